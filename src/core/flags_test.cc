#include "core/flags.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

namespace memoryfs::flags {

namespace {
po::options_description Desc() {
  po::options_description desc("test");
  desc.add_options()("nb", po::value<std::string>(), "")("bs", po::value<std::string>(), "")(
      "config", po::value<std::string>(), "")("verbose", "");
  return desc;
}
}  // namespace

TEST_CASE("flags: single-dash and double-dash long options") {
  const char* argv[] = {"prog", "-nb", "256", "--bs=128", "-verbose"};
  po::variables_map vm;
  REQUIRE(Parse(5, argv, Desc(), &vm).ok());
  CHECK(Int(vm, "nb", 1, 1000)->value() == 256);
  CHECK(Int(vm, "bs", 1, 1000)->value() == 128);
  CHECK(vm.count("verbose") == 1);
}

TEST_CASE("flags: bad values name the flag") {
  const char* argv[] = {"prog", "-nb", "abc"};
  po::variables_map vm;
  REQUIRE(Parse(3, argv, Desc(), &vm).ok());
  auto r = Int(vm, "nb", 1, 1000);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "invalid value 'abc' for -nb: expected an integer in [1, 1000]");
  const char* argv2[] = {"prog", "-nb", "0"};
  po::variables_map vm2;
  REQUIRE(Parse(3, argv2, Desc(), &vm2).ok());
  CHECK_FALSE(Int(vm2, "nb", 1, 1000).ok());
  CHECK_FALSE(Int(vm2, "bs", 1, 1000)->has_value());
}

TEST_CASE("flags: unknown flag and missing value are errors, not exits") {
  const char* argv[] = {"prog", "-bogus", "1"};
  po::variables_map vm;
  CHECK_FALSE(Parse(3, argv, Desc(), &vm).ok());
  const char* argv2[] = {"prog", "-nb"};
  po::variables_map vm2;
  CHECK_FALSE(Parse(2, argv2, Desc(), &vm2).ok());
}

TEST_CASE("flags: INI config file, command line wins") {
  const std::string path = "flags_test_config.ini";
  {
    std::ofstream out(path);
    out << "nb = 512\nbs = 64\n";
  }
  const char* argv[] = {"prog", "-config", path.c_str(), "-nb", "100"};
  po::variables_map vm;
  REQUIRE(Parse(5, argv, Desc(), &vm).ok());
  CHECK(Int(vm, "nb", 1, 1000)->value() == 100);
  CHECK(Int(vm, "bs", 1, 1000)->value() == 64);
  std::remove(path.c_str());
  const char* argv2[] = {"prog", "-config", "/nonexistent/x.ini"};
  po::variables_map vm2;
  CHECK_FALSE(Parse(3, argv2, Desc(), &vm2).ok());
}

}  // namespace memoryfs::flags
