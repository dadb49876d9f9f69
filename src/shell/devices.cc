#include "shell/devices.h"

#include "shell/dialect.h"
#include "shell/probe.h"

namespace memoryfs::shell {

Result<Devices> MakeDevices(const ShellFlags& flags, DeviceCallbacks callbacks) {
  const int n = flags.num_servers;
  if (n == 2) {
    return Status::Error(Code::kInvalidArgument,
                         "RAID-5 needs at least 3 servers (-ns 1 for one server)");
  }
  const int nb = flags.geometry.num_blocks();
  const int bs = flags.geometry.block_size();
  // Each server holds nb blocks alone, or its share of the stripes in RAID-5.
  const int server_blocks = n == 1 ? nb : raid::Layout(n).ServerBlocksFor(nb);
  client::TimeoutPolicy policy;
  policy.retry = n == 1 && flags.geometry.edition() == Edition::k2023;
  policy.retry_wait_ms = flags.retry_wait_ms;
  policy.on_timeout = std::move(callbacks.on_timeout);
  policy.stop_requested = std::move(callbacks.stop_requested);
  Devices devices;
  std::vector<client::BlockDevice*> members;
  for (const rpc::Endpoint& endpoint : flags.servers) {
    devices.remotes.push_back(std::make_unique<client::RemoteDevice>(endpoint, server_blocks, bs,
                                                                     flags.timeout_ms, policy));
    members.push_back(devices.remotes.back().get());
  }
  devices.device = members.front();
  if (n > 1) {
    RETURN_IF_ERROR(ProbeMembers(devices.remotes, nb, server_blocks, bs));
    raid::ArrayOptions options;
    options.lock = flags.geometry.lock();
    options.force = flags.force;
    if (flags.command != "status") {  // status reads the array, not its file system
      options.num_inodes = flags.geometry.max_inodes();
      options.inode_size = flags.geometry.inode_size();
    }
    raid::Array::EventSink sink = std::move(callbacks.array_events);
    if (Dialect::For(flags.geometry.edition()).events_name_blocks) {
      devices.namer = std::make_unique<raid::DisconnectNamer>(std::move(sink));
      sink = devices.namer->sink();
    }
    devices.array = std::make_unique<raid::Array>(members, nb, bs, std::move(sink), options);
    devices.device = devices.array.get();
    if (devices.namer) {
      devices.namer->Attach(devices.array.get());
      devices.device = devices.namer.get();
    }
    RETURN_IF_ERROR(devices.array->Assemble());
  }
  return devices;
}

}  // namespace memoryfs::shell
