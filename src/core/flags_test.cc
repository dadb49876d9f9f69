#include "core/flags.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace memoryfs::flags {
namespace {

// The 2023 course edition's fsmain.py: six int flags, extra words ignored, no -config.
FlagSet Fsmain2023() {
  const auto int_flag = [](const char* name, const char* alias, const char* help) {
    std::vector<std::string> aliases;
    if (alias != nullptr) aliases.push_back(alias);
    return Flag(Kind::kInt, name, std::move(aliases), "N", help);
  };
  FlagSet set;
  set.program = "fsmain.py";
  set.usage = "[-nb N] [-bs N] [-ni N] [-is N] [-cid N] [-port P]";
  set.positionals = Extra::kIgnore;
  set.style = Style::kArgparse;
  set.flags = {int_flag("-nb", "--total_num_blocks", "total number of blocks"),
               int_flag("-bs", "--block_size", "block size"),
               int_flag("-ni", "--max_num_inodes", "max number of inodes"),
               int_flag("-is", "--inode_size", "inode size"),
               int_flag("-cid", "--client_id", "client id"),
               int_flag("-port", nullptr, "server port")};
  return set;
}

// A set with every kind and option, refusing what it can refuse, in the plain style.
FlagSet Strict() {
  FlagSet set;
  set.program = "strict";
  set.usage = "-nb N [options]\n[more options]";
  set.description = "A test program.";
  set.config_flag = true;
  set.flags = {
      {Kind::kInt, "-nb", {"--total_num_blocks"}, "N", "blocks", Range{1, 1000}, "Need nb"},
      {Kind::kInt, "-startport", {}, "P", "first port"},
      {Kind::kString, "-servers", {}, "LIST", "servers\nand more"},
      {Kind::kSwitch, "-verbose", {}, "", "talk"},
      {Kind::kInt, "-port", {}, "P", "port"},
      {Kind::kInt, "-portmap", {}, "P", "port map"},
  };
  return set;
}

Result<Values> Run(const FlagSet& set, std::vector<std::string> words) {
  words.insert(words.begin(), set.program);
  std::vector<const char*> argv;
  for (const std::string& word : words) argv.push_back(word.c_str());
  return Parse(set, static_cast<int>(argv.size()), argv.data());
}

std::string Error(const FlagSet& set, std::vector<std::string> words) {
  const Result<Values> values = Run(set, std::move(words));
  REQUIRE_FALSE(values.ok());
  return values.status().message();
}

// An INI file removed when the test ends.
class IniFile {
 public:
  explicit IniFile(const std::string& text)
      : path_("/tmp/memoryfs_core_flags_test_" + std::to_string(::getpid()) + ".ini") {
    std::ofstream(path_) << text;
  }
  ~IniFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("flags: the 2023 fsmain.py table") {
  const Result<Values> v = Run(Fsmain2023(), {"-nb", "512", "--block_size=256", "-ni=32", "-is",
                                              "64", "--client_id", "3", "words", "-port", "8000"});
  REQUIRE_MESSAGE(v.ok(), v.status().ToString());
  CHECK(v->Int("nb") == 512);
  CHECK(v->Int("bs") == 256);
  CHECK(v->Int("ni") == 32);
  CHECK(v->Int("is") == 64);
  CHECK(v->Int("cid") == 3);
  CHECK(v->Int("port") == 8000);
  CHECK_FALSE(v->help());
  CHECK(v->config_file().empty());
  CHECK_FALSE(Run(Fsmain2023(), {})->Has("nb"));
  CHECK(Error(Fsmain2023(), {"-cid", "x"}) == "argument -cid/--client_id: invalid int value: 'x'");
  CHECK(Error(Fsmain2023(), {"-config", "f"}) == "unrecognised option '-config'");
  CHECK(Help(Fsmain2023()).find("  -cid N, --client_id N") != std::string::npos);
}

TEST_CASE("flags: --version, exactly and before --, answers the version and checks nothing") {
  const Result<Values> v = Run(Fsmain2023(), {"-cid", "x", "--version"});
  REQUIRE(v.ok());
  CHECK(v->version());
  CHECK(Version(Fsmain2023()) == Fsmain2023().program + " " + MEMORYFS_VERSION_FOR_TEST + "\n");
  CHECK_FALSE(Run(Fsmain2023(), {"-port", "1", "--", "--version"})->version());
  CHECK(Error(Fsmain2023(), {"--versio"}).find("--versio") != std::string::npos);
}

TEST_CASE("flags: single-dash, GNU forms and aliases") {
  for (const std::vector<std::string>& words :
       std::vector<std::vector<std::string>>{{"-nb", "256"},
                                             {"--nb", "256"},
                                             {"--nb=256"},
                                             {"-nb=256"},
                                             {"--total_num_blocks", "256"},
                                             {"-total_num_blocks=256"}}) {
    const Result<Values> v = Run(Strict(), words);
    REQUIRE_MESSAGE(v.ok(), v.status().ToString());
    CHECK(v->Int("nb") == 256);
    CHECK(v->String("nb") == "256");
  }
  // The first occurrence wins, under whichever name.
  CHECK(Run(Strict(), {"--nb=5", "--total_num_blocks", "6", "-nb", "7"})->Int("nb") == 5);
}

TEST_CASE("flags: unique prefixes, ambiguous prefixes name the candidates") {
  CHECK(Run(Strict(), {"-nb", "1", "-startp", "8000"})->Int("startport") == 8000);
  CHECK(Run(Strict(), {"-nb", "1", "--se=a:1"})->String("servers") == "a:1");
  CHECK(Run(Strict(), {"-n", "9"})->Int("nb") == 9);
  CHECK(Run(Strict(), {"--total=9"})->Int("nb") == 9);
  // An exact name wins over the longer names it is a prefix of.
  CHECK(Run(Strict(), {"-nb", "1", "-port", "2"})->Int("port") == 2);
  CHECK(Error(Strict(), {"-nb", "1", "-s", "1"}) ==
        "option '-s' is ambiguous and matches '-startport', '-servers'");
  CHECK(Error(Strict(), {"-nb", "1", "--po", "1"}) ==
        "option '--po' is ambiguous and matches '-port', '-portmap'");
  // Prefixes of several names of one flag are not ambiguous.
  CHECK(Run(Fsmain2023(), {"-c", "4"})->Int("cid") == 4);
  CHECK(Error(Fsmain2023(), {"-n", "4"}) == "option '-n' is ambiguous and matches '-nb', '-ni'");
}

TEST_CASE("flags: positional words ignored or refused, -- ends the flags") {
  CHECK(Run(Fsmain2023(), {"a", "-nb", "3", "-", "--", "-bogus"})->Int("nb") == 3);
  CHECK(Error(Strict(), {"-nb", "3", "extra"}) == "unexpected argument 'extra'");
  CHECK(Error(Strict(), {"-nb", "3", "--", "-verbose"}) == "unexpected argument '-verbose'");
}

TEST_CASE("flags: integers as Python's int() reads them") {
  const Result<Values> v = Run(Fsmain2023(), {"-nb", " 1_000 ", "-bs", "+64", "-ni", "0017", "-cid",
                                              "-1", "-port=-2", "-is", "99999999999999999999999"});
  REQUIRE_MESSAGE(v.ok(), v.status().ToString());
  CHECK(v->Int("nb") == 1000);
  CHECK(v->Int("bs") == 64);
  CHECK(v->Int("ni") == 17);
  CHECK(v->Int("cid") == -1);  // a negative value, not a flag
  CHECK(v->Int("port") == -2);
  CHECK(v->Int("is") == INT64_MAX);  // clamped
  for (const char* bad : {"1.5", "", "1__0", "_1", "0x10", "12a", "- 1"}) {
    CHECK(Error(Fsmain2023(), {"-nb", bad}) ==
          std::string("argument -nb/--total_num_blocks: invalid int value: '") + bad + "'");
  }
  CHECK(Error(Strict(), {"-nb", "abc"}) ==
        "invalid value 'abc' for -nb: expected an integer in [1, 1000]");
  CHECK(Error(Strict(), {"-nb", "1001"}) ==
        "invalid value '1001' for -nb: expected an integer in [1, 1000]");
  CHECK(Error(Strict(), {"-nb", "1", "-port", "x"}) ==
        "invalid value 'x' for -port: expected an integer");
  FlagSet argparse_style = Strict();
  argparse_style.style = Style::kArgparse;
  CHECK(Error(argparse_style, {"-nb", "0"}) ==
        "argument -nb/--total_num_blocks: invalid value '0': expected an integer in [1, 1000]");
}

TEST_CASE("flags: syntax errors, required flags, switches, checks in order") {
  CHECK(Error(Strict(), {"-nb", "1", "-bogus", "1"}) == "unrecognised option '-bogus'");
  CHECK(Error(Strict(), {"-nb", "1", "---", "1"}) == "unrecognised option '---'");
  CHECK(Error(Strict(), {"-nb"}) == "the required argument for option '-nb' is missing");
  const Result<Values> missing = Run(Strict(), {"-port", "x"});  // before the values
  CHECK(missing.status().code() == Code::kNotFound);
  CHECK(missing.status().message() == "Need nb");
  CHECK(Run(Strict(), {"-nb", "1", "-port", "x"}).status().code() == Code::kInvalidArgument);
  CHECK(Run(Strict(), {"-nb", "1", "-verbose"})->Switch("verbose"));
  CHECK(Run(Strict(), {"-nb", "1", "-verbose=true"})->Switch("verbose"));
  CHECK_FALSE(Run(Strict(), {"-nb", "1", "-verbose=0"})->Switch("verbose"));
  CHECK_FALSE(Run(Strict(), {"-nb", "1"})->Switch("verbose"));
  CHECK(Error(Strict(), {"-nb", "1", "-verbose=yes"}) ==
        "invalid value 'yes' for -verbose: expected 0 or 1");
  // A value is the next word, whatever it looks like.
  CHECK(Run(Strict(), {"-nb", "1", "-servers", "-x"})->String("servers") == "-x");
}

TEST_CASE("flags: CheckRange for ranges known after parsing") {
  const Result<Values> v = Run(Strict(), {"-nb", "4", "-port", "4"});
  REQUIRE(v.ok());
  CHECK(CheckRange(Strict(), *v, "port", {0, 4}).ok());
  CHECK(CheckRange(Strict(), *v, "startport", {0, 0}).ok());  // not given
  CHECK(CheckRange(Strict(), *v, "port", {0, 3}).message() ==
        "invalid value '4' for -port: expected an integer in [0, 3]");
}

TEST_CASE("flags: -config INI file, the command line wins") {
  const IniFile ini(
      "# comment\n; comment too\n[section]\n\n  nb = 512  # trailing comment\n"
      "startport=7\ntotal_num_blocks = 9\nservers = a:1, b:2\nverbose = 1\n");
  const Result<Values> v = Run(Strict(), {"-config", ini.path(), "-startport", "8"});
  REQUIRE_MESSAGE(v.ok(), v.status().ToString());
  CHECK(v->Int("nb") == 512);
  CHECK(v->Int("startport") == 8);
  CHECK(v->String("servers") == "a:1, b:2");
  CHECK(v->Switch("verbose"));
  CHECK(v->config_file() == ini.path());
  CHECK(Run(Strict(), {"-conf", ini.path(), "-nb", "3"})->Int("nb") == 3);
  CHECK(Error(Strict(), {"-config", "/nonexistent/x.ini"}) ==
        "cannot read config file /nonexistent/x.ini");
  CHECK(Error(Strict(), {"-config", "/tmp"}) == "cannot read config file /tmp");
}

TEST_CASE("flags: unknown INI keys ignored or refused, bad lines refused") {
  const IniFile ini("nb = 5\nbogus = 1\n");
  CHECK(Error(Strict(), {"-config", ini.path()}) == "unrecognised option 'bogus'");
  FlagSet lenient = Strict();
  lenient.unknown_ini_keys = Extra::kIgnore;
  CHECK(Run(lenient, {"-config", ini.path()})->Int("nb") == 5);
  const IniFile bad("nb = 5\njunk line\n");
  CHECK(Error(lenient, {"-config", bad.path()}) ==
        "the options configuration file contains an invalid line 'junk line'");
  const IniFile prefix("n = 5\n");  // keys are exact names
  CHECK(Error(Strict(), {"-config", prefix.path()}) == "unrecognised option 'n'");
}

TEST_CASE("flags: --help spellings and text") {
  for (const char* spelling : {"-h", "-help", "--help", "--he"}) {
    const Result<Values> v = Run(Strict(), {spelling, "-config", "/nonexistent"});
    REQUIRE(v.ok());
    CHECK(v->help());
  }
  CHECK(Help(Strict()) ==
        "Usage: strict -nb N [options]\n"
        "              [more options]\n"
        "\n"
        "A test program.\n"
        "\n"
        "Options:\n"
        "  -h, --help                    show this help and exit\n"
        "  -nb N, --total_num_blocks N   blocks\n"
        "  -startport P                  first port\n"
        "  -servers LIST                 servers\n"
        "                                and more\n"
        "  -verbose                      talk\n"
        "  -port P                       port\n"
        "  -portmap P                    port map\n"
        "  -config FILE                  INI file of `key = value` lines (keys: the flags' "
        "names);\n"
        "                                the command line wins\n");
}

}  // namespace
}  // namespace memoryfs::flags
