// `status`: the health of what the shell runs on, modelled on `zpool status` and `mdadm
// --detail`: the array's state (ONLINE, DEGRADED, FAILED), what to do about it, an interrupted
// repair or the last scrub, and per member its endpoint, state and error counts (READ WRITE
// CKSUM, raid::MemberErrors, since this shell started).
//
// Before printing, every live member is asked once (raid::Array::CheckMembers; one server: a
// Get of block 0), so a server that died or restarted blank since the last command shows as
// FAILED now (and the assignment's message for it is printed, once, as for any command).
// Runs without the disk lock: it changes no block.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "client/remote_device.h"
#include "raid/array.h"

namespace memoryfs::shell {

// Also the exit status of `-command status`, for scripts.
enum class Health : int { kOnline = 0, kDegraded = 1, kFailed = 2 };

const char* HealthName(Health health);

// array: the RAID-5 array, or null for one server (remotes.front()). last_scrub: the summary
// of this shell's last scrub ("" when none ran).
Health PrintStatus(raid::Array* array,
                   const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes,
                   const std::string& last_scrub, std::ostream& out);

}  // namespace memoryfs::shell
