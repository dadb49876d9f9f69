#include "server/server_flags.h"

#include <climits>

#include "core/flags.h"

namespace memoryfs::server {

namespace {

constexpr long long kMaxBlockSize = 1 << 20;     // 1 MiB
constexpr long long kMaxStoreBytes = 8LL << 30;  // 8 GiB in all

flags::FlagSet ServerFlagSet(const std::string& program) {
  using flags::Flag;
  using flags::Kind;
  using flags::Range;
  flags::FlagSet set;
  set.program = program;
  set.usage = "-nb N -bs BYTES -port PORT [options]";
  set.description =
      "An XML-RPC block server, drop-in for the course's memoryfs_server.py (2022) and "
      "blockserver.py (2023).";
  set.config_flag = true;
  // Required, in the course server's order and with its texts.
  set.flags = {
      Flag(Kind::kInt, "-nb", {"--total_num_blocks"}, "N", "total number of blocks (required)",
           Range{1, INT_MAX}, "Must specify total number of blocks"),
      Flag(Kind::kInt, "-bs", {"--block_size"}, "BYTES", "block size in bytes (required)",
           Range{1, kMaxBlockSize}, "Must specify block size"),
      Flag(Kind::kInt, "-port", {}, "PORT", "TCP port; 0 picks a free one (required)",
           Range{0, 65535}, "Must specify port number"),
      Flag(Kind::kInt, "-cblk", {"--corrupt_block"}, "BLOCK",
           "emulate decay: every Get/RSM of this block fails its checksum"),
      Flag(Kind::kString, "-host", {}, "ADDR", "address to bind (default 127.0.0.1)"),
      Flag(Kind::kString, "-checksum_reply", {}, "fault|int",
           "how a checksum error is answered: fault (default, fault\n"
           "'CHECKSUM_ERROR <block>') or int (legacy <int>-1</int>)"),
      Flag(Kind::kSwitch, "-test_corruption", {}, "",
           "enable the test-only Corrupt(block) method (flips stored\n"
           "bytes, keeps the checksum)"),
      Flag(Kind::kInt, "-delayat", {"--delayat"}, "K",
           "blockserver.py's delay: every K-th Get/Put/RSM is answered\nafter -delay_ms, the "
           "whole server stalled meanwhile (0: never)",
           Range{0, INT_MAX}),
      Flag(Kind::kInt, "-delay_ms", {}, "MS", "the -delayat pause (default 10000, as Python's)",
           Range{0, 3600 * 1000}),
      Flag(Kind::kSwitch, "-no_metadata", {}, "",
           "answer GetMeta/PutMeta/Lock/Unlock as the Python server\ndoes (unknown method)"),
      Flag(Kind::kSwitch, "-no_batches", {}, "",
           "answer GetBlocks/PutBlocks as the Python server does\n(unknown method)"),
      Flag(Kind::kInt, "-idle_timeout_ms", {}, "MS",
           "close a kept-alive connection idle this long (default 60000)", Range{1, INT_MAX}),
      Flag(Kind::kInt, "-max_connections", {}, "N",
           "simultaneous connections; beyond it the longest-idle one is\nclosed (default 4096)",
           Range{1, 100000}),
  };
  return set;
}

// Fills *config from checked values (the required flags are present).
Status Configure(const flags::FlagSet& set, const flags::Values& values, ServerConfig* config) {
  config->num_blocks = static_cast<int>(*values.Int("nb"));
  config->block_size = static_cast<int>(*values.Int("bs"));
  config->port = static_cast<int>(*values.Int("port"));
  config->idle_timeout_ms =
      static_cast<int>(values.Int("idle_timeout_ms").value_or(config->idle_timeout_ms));
  config->max_connections =
      static_cast<int>(values.Int("max_connections").value_or(config->max_connections));
  // Each block costs its bytes plus a 16-byte MD5 digest.
  if (static_cast<long long>(config->num_blocks) * (config->block_size + 16) > kMaxStoreBytes) {
    return Status::Error(
        Code::kInvalidArgument,
        "-nb times (-bs + 16 bytes of checksum) exceeds the 8 GiB this server allocates");
  }
  RETURN_IF_ERROR(flags::CheckRange(set, values, "cblk", {0, config->num_blocks - 1}));
  if (values.Has("cblk")) config->decayed_block = static_cast<int>(*values.Int("cblk"));
  config->host = values.String("host").value_or(config->host);
  const std::string reply = values.String("checksum_reply").value_or("fault");
  if (reply != "fault" && reply != "int") {
    return Status::Error(
        Code::kInvalidArgument,
        "invalid value '" + reply + "' for -checksum_reply: expected fault or int");
  }
  config->checksum_reply = reply == "int" ? ChecksumReply::kMinusOne : ChecksumReply::kFault;
  config->test_corruption = values.Switch("test_corruption");
  config->no_metadata = values.Switch("no_metadata");
  config->no_batches = values.Switch("no_batches");
  config->delay_every = static_cast<int>(values.Int("delayat").value_or(0));
  config->delay_ms = static_cast<int>(values.Int("delay_ms").value_or(config->delay_ms));
  return Status::Ok();
}

}  // namespace

std::string ProgramName(int argc, const char* const* argv) {
  if (argc < 1 || argv[0] == nullptr) return "memoryfs_server";
  const std::string path = argv[0];
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

FlagsOutcome ParseServerFlags(int argc, const char* const* argv, ServerConfig* config,
                              std::string* message) {
  const flags::FlagSet set = ServerFlagSet(ProgramName(argc, argv));
  const Result<flags::Values> values = flags::Parse(set, argc, argv);
  if (values.ok() && (values->help() || values->version())) {
    *message = values->version() ? flags::Version(set) : flags::Help(set);
    return FlagsOutcome::kHelp;
  }
  const Status status = values.ok() ? Configure(set, *values, config) : values.status();
  if (status.ok()) return FlagsOutcome::kRun;
  *message = status.message();
  return status.code() == Code::kNotFound ? FlagsOutcome::kMissing : FlagsOutcome::kInvalid;
}

}  // namespace memoryfs::server
