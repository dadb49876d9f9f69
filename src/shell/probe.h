// ProbeMembers: the RAID-5 shell's start-up check of its servers, each asked once before the
// array is assembled: our server through Stats (its block size and count), the Python one
// through a Get of the last block the array needs. A server that cannot serve the array is
// named with the reason, and the shell does not start (kInvalidArgument):
//   server 1 (127.0.0.1:8001) has blocks of 512 bytes: this shell was given -bs 128
//   server 1 (127.0.0.1:8001) has 64 blocks: -nb 768 over 4 servers needs 256 on each
//   servers 0, 2 are unreachable (127.0.0.1:8000: connection refused; ...): RAID-5 runs
//   with one server down at most; start them first
// One unreachable server is not an error: the array starts degraded and says so (the
// assignment's SERVER_DISCONNECTED line). The single-server shell is not probed: its RPCs are
// the reference's, one for one.
#pragma once

#include <memory>
#include <vector>

#include "client/remote_device.h"
#include "core/status.h"

namespace memoryfs::shell {

// remotes: the array's servers, in order, each of server_blocks blocks of block_size bytes.
// nb: the shell's -nb (for the message).
Status ProbeMembers(const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes, int nb,
                    int server_blocks, int block_size);

}  // namespace memoryfs::shell
