// The shell commands that depend on the device rather than the file system: `repair
// <server_id>` and `scrub [repair]` (RAID-5 only), `showload` (requests per server and
// kind, from this client's counters and the servers' Stats) and `status` (shell/status.h).
// main() wires them into the Shell as ShellHooks.
#pragma once

#include <memory>
#include <ostream>
#include <vector>

#include "client/remote_device.h"
#include "raid/array.h"
#include "shell/shell.h"

namespace memoryfs::shell {

// array: the RAID-5 array, or null in single-server mode. remotes: the servers, in order.
// progress: where the repair progress bar goes (stderr). All must outlive the hooks.
ShellHooks MakeRaidHooks(raid::Array* array,
                         const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes,
                         std::ostream& progress);

}  // namespace memoryfs::shell
