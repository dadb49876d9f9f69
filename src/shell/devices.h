// Devices: what a shell runs on, built from its flags. One RemoteDevice per server; with N >= 3
// servers, the RAID-5 array over them (with the geometry's lock convention); N = 2 is refused.
// `device` is what the file system uses: the array, or the one server.
//
// Lifetimes: the array points into `remotes`; both live as long as the Devices value (moving it
// keeps every pointer valid, the devices themselves do not move).
#pragma once

#include <memory>
#include <vector>

#include "client/block_device.h"
#include "client/remote_device.h"
#include "core/status.h"
#include "raid/array.h"
#include "shell/flags.h"

namespace memoryfs::shell {

struct Devices {
  std::vector<std::unique_ptr<client::RemoteDevice>> remotes;
  std::unique_ptr<raid::Array> array;  // null with one server
  client::BlockDevice* device = nullptr;
};

// sink: receives the array's events (main prints them). kInvalidArgument for two servers. The
// array is assembled (raid::Array::Assemble: its members' records read) before it is returned;
// its refusals are returned.
Result<Devices> MakeDevices(const ShellFlags& flags, raid::Array::EventSink sink);

}  // namespace memoryfs::shell
