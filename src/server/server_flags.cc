#include "server/server_flags.h"

#include <climits>
#include <sstream>

#include "core/flags.h"

namespace memoryfs::server {

namespace {

constexpr long long kMaxBlockSize = 1 << 20;     // 1 MiB
constexpr long long kMaxStoreBytes = 8LL << 30;  // 8 GiB in all

flags::po::options_description Description() {
  namespace po = flags::po;
  po::options_description desc(
      "memoryfs_server: an XML-RPC block server, drop-in for the course's memoryfs_server.py\n"
      "Usage: memoryfs_server -nb BLOCKS -bs BYTES -port PORT [options]\nOptions");
  auto s = [] { return po::value<std::string>(); };
  desc.add_options()                                                                  //
      ("nb", s(), "total number of blocks (required)")                                //
      ("bs", s(), "block size in bytes (required)")                                   //
      ("port", s(), "TCP port; 0 picks a free one (required)")                        //
      ("cblk", s(), "emulate decay: every Get/RSM of this block fails its checksum")  //
      ("host", s(), "address to bind (default 127.0.0.1)")                            //
      ("config", s(), "INI file with any of these keys; the command line wins")       //
      ("checksum_reply", s(),
       "how a checksum error is answered: fault (default, "
       "fault 'CHECKSUM_ERROR <block>') or int (legacy <int>-1</int>)")  //
      ("test_corruption", s()->implicit_value("1"),
       "enable the test-only Corrupt(block) method (flips stored bytes, keeps the checksum)")   //
      ("idle_timeout_ms", s(), "close a kept-alive connection idle this long (default 60000)")  //
      ("max_connections", s(),
       "simultaneous connections; beyond it the longest-idle one is closed (default 4096)")  //
      ("help", "print this help");
  return desc;
}

}  // namespace

FlagsOutcome ParseServerFlags(int argc, const char* const* argv, ServerConfig* config,
                              std::string* message) {
  const auto desc = Description();
  flags::po::variables_map vm;
  Status parsed = flags::Parse(argc, argv, desc, &vm);
  if (!parsed.ok()) {
    *message = parsed.message();
    return FlagsOutcome::kInvalid;
  }
  if (vm.count("help")) {
    std::ostringstream out;
    out << desc;
    *message = out.str();
    return FlagsOutcome::kHelp;
  }
  // The course server's checks, in its order and with its texts.
  const struct {
    const char* name;
    const char* missing;
  } required[] = {{"nb", "Must specify total number of blocks"},
                  {"bs", "Must specify block size"},
                  {"port", "Must specify port number"}};
  for (const auto& r : required) {
    if (!vm.count(r.name)) {
      *message = r.missing;
      return FlagsOutcome::kMissing;
    }
  }
  auto nb = flags::Int(vm, "nb", 1, INT_MAX);
  auto bs = flags::Int(vm, "bs", 1, kMaxBlockSize);
  auto port = flags::Int(vm, "port", 0, 65535);
  auto idle = flags::Int(vm, "idle_timeout_ms", 1, INT_MAX);
  auto conns = flags::Int(vm, "max_connections", 1, 100000);
  for (const Status& s : {nb.status(), bs.status(), port.status(), idle.status(), conns.status()}) {
    if (!s.ok()) {
      *message = s.message();
      return FlagsOutcome::kInvalid;
    }
  }
  config->num_blocks = static_cast<int>(**nb);
  config->block_size = static_cast<int>(**bs);
  config->port = static_cast<int>(**port);
  if (idle->has_value()) config->idle_timeout_ms = static_cast<int>(**idle);
  if (conns->has_value()) config->max_connections = static_cast<int>(**conns);
  // Each block costs its bytes plus a 16-byte MD5 digest.
  if (static_cast<long long>(config->num_blocks) * (config->block_size + 16) > kMaxStoreBytes) {
    *message = "-nb times (-bs + 16 bytes of checksum) exceeds the 8 GiB this server allocates";
    return FlagsOutcome::kInvalid;
  }
  auto cblk = flags::Int(vm, "cblk", 0, config->num_blocks - 1);
  if (!cblk.ok()) {
    *message = cblk.status().message();
    return FlagsOutcome::kInvalid;
  }
  if (cblk->has_value()) config->decayed_block = static_cast<int>(**cblk);
  config->host = flags::String(vm, "host", config->host);
  const std::string reply = flags::String(vm, "checksum_reply", "fault");
  if (reply == "fault") {
    config->checksum_reply = ChecksumReply::kFault;
  } else if (reply == "int") {
    config->checksum_reply = ChecksumReply::kMinusOne;
  } else {
    *message = "invalid value '" + reply + "' for -checksum_reply: expected fault or int";
    return FlagsOutcome::kInvalid;
  }
  const std::string corrupt = flags::String(vm, "test_corruption", "0");
  if (corrupt != "0" && corrupt != "1" && corrupt != "true" && corrupt != "false") {
    *message = "invalid value '" + corrupt + "' for -test_corruption: expected 0 or 1";
    return FlagsOutcome::kInvalid;
  }
  config->test_corruption = corrupt == "1" || corrupt == "true";
  return FlagsOutcome::kRun;
}

}  // namespace memoryfs::server
