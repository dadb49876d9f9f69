#include "server/server_flags.h"

#include <doctest/doctest.h>

#include <vector>

namespace memoryfs::server {

namespace {
FlagsOutcome Parse(std::vector<const char*> args, ServerConfig* config, std::string* message) {
  args.insert(args.begin(), "memoryfs_server");
  return ParseServerFlags(static_cast<int>(args.size()), args.data(), config, message);
}
}  // namespace

TEST_CASE("server flags: the course's form and long forms") {
  ServerConfig c;
  std::string m;
  REQUIRE(Parse({"-bs", "128", "-nb", "256", "-port", "8000", "-cblk", "0"}, &c, &m) ==
          FlagsOutcome::kRun);
  CHECK(c.num_blocks == 256);
  CHECK(c.block_size == 128);
  CHECK(c.port == 8000);
  CHECK(c.decayed_block == 0);
  CHECK(c.host == "127.0.0.1");
  ServerConfig d;
  REQUIRE(Parse({"--nb=16", "--bs=64", "--port=0", "-checksum_reply", "int", "-test_corruption"},
                &d, &m) == FlagsOutcome::kRun);
  CHECK(d.checksum_reply == ChecksumReply::kMinusOne);
  CHECK(d.test_corruption);
  CHECK_FALSE(d.decayed_block.has_value());
}

TEST_CASE("server flags: missing flags in the course's order and texts") {
  ServerConfig c;
  std::string m;
  CHECK(Parse({}, &c, &m) == FlagsOutcome::kMissing);
  CHECK(m == "Must specify total number of blocks");
  CHECK(Parse({"-nb", "4", "-port", "1"}, &c, &m) == FlagsOutcome::kMissing);
  CHECK(m == "Must specify block size");
  CHECK(Parse({"-nb", "4", "-bs", "1"}, &c, &m) == FlagsOutcome::kMissing);
  CHECK(m == "Must specify port number");
}

TEST_CASE("server flags: bad values name the flag") {
  ServerConfig c;
  std::string m;
  CHECK(Parse({"-nb", "abc", "-bs", "1", "-port", "1"}, &c, &m) == FlagsOutcome::kInvalid);
  CHECK(m.find("-nb") != std::string::npos);
  CHECK(Parse({"-nb", "4", "-bs", "1", "-port", "70000"}, &c, &m) == FlagsOutcome::kInvalid);
  CHECK(m.find("-port") != std::string::npos);
  CHECK(Parse({"-nb", "4", "-bs", "1", "-port", "1", "-cblk", "4"}, &c, &m) ==
        FlagsOutcome::kInvalid);
  CHECK(m.find("-cblk") != std::string::npos);
  CHECK(Parse({"-nb", "4", "-bs", "1", "-port", "1", "-bogus"}, &c, &m) == FlagsOutcome::kInvalid);
  CHECK(Parse({"-help"}, &c, &m) == FlagsOutcome::kHelp);
  CHECK(m.find("-cblk") != std::string::npos);
}

TEST_CASE("server flags: argparse conventions of core/flags") {
  ServerConfig c;
  std::string m;
  REQUIRE(Parse({"--total_num_blocks", "1_000", "--block_size=64", "-p", " 80 ", "--corrupt", "9"},
                &c, &m) == FlagsOutcome::kRun);
  CHECK(c.num_blocks == 1000);
  CHECK(c.block_size == 64);
  CHECK(c.port == 80);
  CHECK(c.decayed_block == 9);
  CHECK(Parse({"-h"}, &c, &m) == FlagsOutcome::kHelp);
  CHECK(m.find("  -nb N, --total_num_blocks N") != std::string::npos);
  CHECK(Parse({"-nb", "4", "-bs", "1", "-port", "1", "extra"}, &c, &m) == FlagsOutcome::kInvalid);
  CHECK(m == "unexpected argument 'extra'");
  CHECK(Parse({"-nb", "abc"}, &c, &m) == FlagsOutcome::kMissing);  // missing before bad values
  CHECK(m == "Must specify block size");
  CHECK(Parse({"-nb", "0", "-bs", "1", "-port", "1"}, &c, &m) == FlagsOutcome::kInvalid);
  CHECK(m == "invalid value '0' for -nb: expected an integer in [1, 2147483647]");
}

}  // namespace memoryfs::server
