#include "shell/flags.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace memoryfs::shell {
namespace {

ParsedShellFlags Parse(std::vector<std::string> words, Program program = Program::kShellRpc) {
  words.insert(words.begin(), program == Program::kFsmain ? "fsmain" : "memoryfs_shell_rpc");
  std::vector<const char*> argv;
  for (const std::string& word : words) argv.push_back(word.c_str());
  return ParseShellFlags(static_cast<int>(argv.size()), argv.data(), program);
}

ParsedShellFlags Fsmain(std::vector<std::string> words) {
  return Parse(std::move(words), Program::kFsmain);
}

TEST_CASE("Flags: the golden command lines") {
  const ParsedShellFlags parsed = Parse({"-ns", "1", "-startport", "8000", "-nb", "1024", "-bs",
                                         "512", "-is", "64", "-ni", "32", "-cid", "0"});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  const ShellFlags& f = parsed.flags;
  CHECK(f.geometry == *fs::Geometry::Create(1024, 512, 32, 64));
  CHECK(f.cid == 0);
  CHECK(f.num_servers == 1);
  CHECK(f.start_port == 8000);
  CHECK(f.servers == std::vector<rpc::Endpoint>{{"127.0.0.1", 8000}});
  CHECK(f.root_init);
  CHECK(f.timeout_ms == 1000);
  CHECK(f.shell_options().geometry == f.geometry);
  CHECK(f.geometry.edition() == Edition::k2022);
}

TEST_CASE("Flags: fsmain's command line, the 2023 golden ones") {
  const ParsedShellFlags parsed =
      Fsmain({"-port", "8000", "-nb", "1024", "-bs", "512", "-is", "64", "-ni", "32", "-cid", "0"});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  const ShellFlags& f = parsed.flags;
  CHECK(f.geometry == *fs::Geometry::Create(1024, 512, 32, 64, Edition::k2023));
  CHECK(f.servers == std::vector<rpc::Endpoint>{{"127.0.0.1", 8000}});
  CHECK(f.num_servers == 1);
  CHECK(f.timeout_ms == 5000);  // the reference's socket timeout
  CHECK(f.retry_wait_ms == 10000);
  CHECK(f.log_cache);
  CHECK(f.root_init);
  CHECK(f.shell_options().log_cache);
}

TEST_CASE("Flags: fsmain's defaults: a missing or 0 value, aliases, positional words") {
  ParsedShellFlags parsed = Fsmain({});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  CHECK(parsed.flags.geometry == *fs::Geometry::Create(256, 128, 16, 16, Edition::k2023));
  CHECK(parsed.flags.cid == 0);
  CHECK(parsed.flags.servers == std::vector<rpc::Endpoint>{{"127.0.0.1", 8000}});

  parsed = Fsmain({"-nb", "0", "-bs", "0", "-ni", "0", "-is", "0", "-port", "0", "-cid", "0"});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  CHECK(parsed.flags.geometry == *fs::Geometry::Create(256, 128, 16, 16, Edition::k2023));
  CHECK(parsed.flags.start_port == 8000);

  parsed = Fsmain({"--total_num_blocks", "512", "--block_size=256", "--max_num_inodes", "32",
                   "--inode_size", "32", "--client_id", "7", "--port", "9000", "any", "words"});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  CHECK(parsed.flags.geometry == *fs::Geometry::Create(512, 256, 32, 32, Edition::k2023));
  CHECK(parsed.flags.cid == 7);
  CHECK(parsed.flags.servers == std::vector<rpc::Endpoint>{{"127.0.0.1", 9000}});

  // The client id is byte 0 of the last-writer block.
  CHECK(Fsmain({"-cid", "255"}).flags.cid == 255);
  CHECK(Fsmain({"-cid", "256"}).status.message() == "Must specify valid cid");
  CHECK(Fsmain({"-cid", "-1"}).exit_status == 1);
  CHECK(Fsmain({"-port", "70000"}).status.message() == "Must specify port number");
  // The 2023 RAID-5 project's flags: -ns with -startport (or -servers); the cache's lines off
  // unless -logcache 1.
  CHECK(Fsmain({"-ns", "3"}).status.message() == "Must specify port number");
  ParsedShellFlags raid = Fsmain({"-ns", "4", "-startport", "9000", "-nb", "768"});
  REQUIRE(raid.status.ok());
  CHECK(raid.flags.num_servers == 4);
  CHECK(raid.flags.servers.back().port == 9003);
  CHECK_FALSE(raid.flags.log_cache);
  CHECK(Fsmain({"-ns", "4", "-startport", "9000", "-logcache", "1"}).flags.log_cache);
  CHECK(Fsmain({"-port", "9000"}).flags.log_cache);
}

TEST_CASE("Flags: the edition, from -edition or the config key, and what it changes") {
  ParsedShellFlags parsed = Parse({"-cid", "1", "-port", "8000", "-edition", "2023"});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  CHECK(parsed.flags.geometry.edition() == Edition::k2023);
  CHECK(parsed.flags.geometry.max_blocks_per_file() == 2);  // (16 - 8) / 4
  CHECK(parsed.flags.timeout_ms == 5000);
  parsed = Parse({"-cid", "1", "-port", "8000", "-edition", "2023", "-timeout", "300",
                  "-retry_wait_ms", "50", "-logcache", "0"});
  REQUIRE(parsed.status.ok());
  CHECK(parsed.flags.timeout_ms == 300);
  CHECK(parsed.flags.retry_wait_ms == 50);
  CHECK_FALSE(parsed.flags.shell_options().log_cache);

  parsed = Fsmain({"-edition", "2022"});
  REQUIRE(parsed.status.ok());
  CHECK(parsed.flags.geometry.edition() == Edition::k2022);
  CHECK(parsed.flags.timeout_ms == 1000);

  const std::string path = "/tmp/memoryfs_edition_test_" + std::to_string(::getpid()) + ".ini";
  std::ofstream(path) << "edition = 2023\ncid = 2\nport = 8100\n";
  parsed = Parse({"-config", path});
  std::remove(path.c_str());
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  CHECK(parsed.flags.geometry.edition() == Edition::k2023);

  CHECK(Parse({"-cid", "0", "-port", "8000", "-edition", "2024"}).status.message() ==
        "error: argument -edition/--edition: must be 2022 or 2023, not '2024'");
  CHECK(Parse({"-cid", "0", "-port", "8000", "-logcache", "2"}).exit_status == 2);
  CHECK(Parse({"-cid", "0", "-port", "8000", "-retry_wait_ms", "0"}).exit_status == 2);
  // Its RAID-5 mode.
  parsed = Parse({"-cid", "0", "-ns", "3", "-startport", "8000", "-edition", "2023"});
  REQUIRE(parsed.status.ok());
  CHECK(parsed.flags.num_servers == 3);
}

TEST_CASE("Flags: defaults, spellings and aliases") {
  ParsedShellFlags parsed = Parse({"-cid", "3", "-port", "9000"});
  REQUIRE(parsed.status.ok());
  CHECK(parsed.flags.geometry == fs::Geometry());
  CHECK(parsed.flags.servers == std::vector<rpc::Endpoint>{{"127.0.0.1", 9000}});

  parsed = Parse({"--cid=1", "--nb=512", "-bs=256", "--total_num_blocks", "1024", "-ns", "4",
                  "--startport", "8000", "-rootinit", "0", "-timeout", "250", "extra", "words"});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  CHECK(parsed.flags.geometry.num_blocks() == 512);  // -nb given first wins over its alias
  CHECK(parsed.flags.geometry.block_size() == 256);
  CHECK(parsed.flags.num_servers == 4);
  CHECK(parsed.flags.servers.back() == rpc::Endpoint{"127.0.0.1", 8003});
  CHECK_FALSE(parsed.flags.root_init);
  CHECK(parsed.flags.timeout_ms == 250);

  // -port with -ns/-startport: those win (the 2023 RAID scripts pass both).
  parsed = Parse({"-cid", "0", "-port", "7000", "-ns", "3", "-startport", "8000"});
  REQUIRE(parsed.status.ok());
  CHECK(parsed.flags.num_servers == 3);
  CHECK(parsed.flags.start_port == 8000);
  parsed = Parse({"-cid", "0", "-port", "7000", "-ns", "2"});
  REQUIRE(parsed.status.ok());
  CHECK(parsed.flags.start_port == 7000);
  CHECK(parsed.flags.num_servers == 2);

  // Only rootinit 1 initialises, like `if args.rootinit == 1`.
  parsed = Parse({"-cid", "0", "-port", "7000", "-rootinit", "2"});
  CHECK_FALSE(parsed.flags.root_init);

  parsed = Parse({"-cid", "0", "-servers", "a:1, b:2,localhost:8003"});
  REQUIRE(parsed.status.ok());
  CHECK(parsed.flags.num_servers == 3);
  CHECK(parsed.flags.servers ==
        std::vector<rpc::Endpoint>{{"a", 1}, {"b", 2}, {"localhost", 8003}});
}

TEST_CASE("Flags: the reference's checks, in its order, on stdout, non-zero status") {
  struct Case {
    std::vector<std::string> words;
    std::string message;
  };
  const Case cases[] = {
      {{}, "Must specify valid cid"},
      {{"-port", "8000"}, "Must specify valid cid"},
      {{"-cid", "8", "-port", "8000"}, "Must specify valid cid"},
      {{"-cid", "-1", "-port", "8000"}, "Must specify valid cid"},
      {{"-cid", "0"}, "Must specify valid ns"},
      {{"-cid", "0", "-startport", "8000"}, "Must specify valid ns"},
      {{"-cid", "0", "-ns", "0", "-startport", "8000"}, "Must specify valid ns"},
      {{"-cid", "0", "-ns", "2"}, "Must specify port number"},
      {{"-cid", "0", "-ns", "1", "-startport", "0"}, "Must specify port number"},
      {{"-cid", "0", "-ns", "2", "-startport", "65535"}, "Must specify port number"},
      {{"-cid", "0", "-ns", "2", "-servers", "a:1"}, "Must specify valid ns"},
  };
  for (const Case& c : cases) {
    const ParsedShellFlags parsed = Parse(c.words);
    CHECK_FALSE(parsed.status.ok());
    CHECK(parsed.status.message() == c.message);
    CHECK(parsed.message_on_stdout);
    CHECK(parsed.exit_status == 1);
    std::ostringstream out, err;
    CHECK(ReportShellFlags(parsed, out, err) == 1);
    CHECK(out.str() == c.message + "\n");
    CHECK(err.str().empty());
  }
}

TEST_CASE("Flags: malformed values name the flag, on stderr, status 2") {
  ParsedShellFlags parsed = Parse({"-cid", "0", "-port", "8000", "-nb", "lots"});
  CHECK(parsed.status.message() ==
        "error: argument -nb/--total_num_blocks: invalid int value: 'lots'");
  CHECK_FALSE(parsed.message_on_stdout);
  CHECK(parsed.exit_status == 2);
  // argparse checks types before the program's own checks.
  parsed = Parse({"-cid", "zero"});
  CHECK(parsed.status.message() == "error: argument -cid/--cid: invalid int value: 'zero'");
  parsed = Parse({"-cid", "0", "-port", "8000", "-bs", "0"});
  CHECK(parsed.status.message().find("invalid file system geometry") != std::string::npos);
  parsed = Parse({"-cid", "0", "-port", "8000", "-bogus", "1"});
  CHECK(parsed.exit_status == 2);
  parsed = Parse({"-cid", "0", "-port", "8000", "-timeout", "0"});
  CHECK(parsed.exit_status == 2);
  parsed = Parse({"-cid", "0", "-port", "8000", "-lease_ms", "0"});
  CHECK(parsed.status.message() ==
        "error: argument -lease_ms/--lease_ms: must be a positive number of milliseconds");
  parsed = Parse({"-cid", "0", "-port", "8000", "-force", "2"});
  CHECK(parsed.status.message() == "error: argument -force/--force: must be 0 or 1");
  parsed = Parse({"-cid", "0", "-port", "8000", "-lease_ms", "250", "-force", "1"});
  CHECK(parsed.status.ok());
  CHECK(parsed.flags.lease_ms == 250);
  CHECK(parsed.flags.force);
  CHECK(Parse({"-cid", "0", "-port", "8000"}).flags.lease_ms == 10000);
  parsed = Parse({"-cid", "0", "-servers", "nocolon"});
  CHECK(parsed.status.message() == "error: argument -servers: invalid server address 'nocolon'");
  parsed = Parse({"-cid", "0", "-port", "8000", "-nb"});
  CHECK(parsed.exit_status == 2);  // missing value
  std::ostringstream out, err;
  CHECK(ReportShellFlags(parsed, out, err) == 2);
  CHECK(out.str().empty());
  CHECK_FALSE(err.str().empty());
}

TEST_CASE("Flags: --help") {
  for (const char* spelling : {"--help", "-help", "-h"}) {
    const ParsedShellFlags parsed = Parse({spelling});
    CHECK(parsed.help);
    std::ostringstream out, err;
    CHECK(ReportShellFlags(parsed, out, err) == 0);
    CHECK(out.str().find("-startport") != std::string::npos);
  }
  const ParsedShellFlags parsed = Fsmain({"--help"});
  CHECK(parsed.help);
  std::ostringstream out, err;
  CHECK(ReportShellFlags(parsed, out, err) == 0);
  CHECK(out.str().find("Usage: fsmain") == 0);
  CHECK(out.str().find("--client_id") != std::string::npos);
  CHECK(out.str().find("RAID-5 (the 2023 project)") != std::string::npos);
}

TEST_CASE("Flags: -config INI file, the command line wins") {
  const std::string path = "/tmp/memoryfs_flags_test_" + std::to_string(::getpid()) + ".ini";
  {
    std::ofstream file(path);
    file << "# shell settings\nnb = 512\nbs=128\ncid=5\nport=8100\nunrelated_key=1\n";
  }
  ParsedShellFlags parsed = Parse({"-config", path, "-cid", "2"});
  REQUIRE_MESSAGE(parsed.status.ok(), parsed.status.ToString());
  CHECK(parsed.flags.geometry.num_blocks() == 512);
  CHECK(parsed.flags.cid == 2);
  CHECK(parsed.flags.start_port == 8100);
  CHECK(parsed.flags.config_file == path);
  std::remove(path.c_str());
  parsed = Parse({"-config", "/nonexistent/x.ini", "-cid", "2"});
  CHECK(parsed.exit_status == 2);
}

TEST_CASE("Flags: -spin_us is 30 by default, 0 turns spinning off, out of range is refused") {
  for (Program program : {Program::kShellRpc, Program::kFsmain}) {
    CAPTURE(static_cast<int>(program));
    const auto parse = [&](std::vector<std::string> extra) {
      std::vector<std::string> words{"-cid", "0", "-port", "8000"};
      words.insert(words.end(), extra.begin(), extra.end());
      return Parse(words, program);
    };
    ParsedShellFlags parsed = parse({});
    REQUIRE(parsed.status.ok());
    CHECK(parsed.flags.spin_us == kDefaultSpinMicros);
    CHECK(kDefaultSpinMicros == 30);
    parsed = parse({"-spin_us", "0"});
    REQUIRE(parsed.status.ok());
    CHECK(parsed.flags.spin_us == 0);
    parsed = parse({"--spin_us=250"});
    REQUIRE(parsed.status.ok());
    CHECK(parsed.flags.spin_us == 250);
    for (const char* bad : {"-1", "10001"}) {
      parsed = parse({"-spin_us", bad});
      CHECK(parsed.exit_status == 2);
      CHECK(parsed.status.message() ==
            "error: argument -spin_us/--spin_us: must be 0 to 10000 microseconds");
    }
  }
}

}  // namespace
}  // namespace memoryfs::shell
