#include "core/edition.h"

#include <doctest/doctest.h>

namespace memoryfs {
namespace {

TEST_CASE("Edition: names parse back, anything else does not") {
  for (Edition edition : {Edition::k2022, Edition::k2023}) {
    CHECK(ParseEdition(EditionName(edition)) == edition);
  }
  CHECK(ParseEdition("2024") == std::nullopt);
  CHECK(ParseEdition(" 2023") == std::nullopt);
  CHECK(ParseEdition("") == std::nullopt);
}

}  // namespace
}  // namespace memoryfs
