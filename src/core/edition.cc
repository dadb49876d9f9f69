#include "core/edition.h"

namespace memoryfs {

const char* EditionName(Edition edition) { return edition == Edition::k2022 ? "2022" : "2023"; }

std::optional<Edition> ParseEdition(std::string_view name) {
  if (name == "2022") return Edition::k2022;
  if (name == "2023") return Edition::k2023;
  return std::nullopt;
}

}  // namespace memoryfs
