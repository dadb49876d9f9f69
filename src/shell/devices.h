// Devices: what a shell runs on, built from its flags. One RemoteDevice per server; with N >= 3
// servers, the RAID-5 array over them (with the geometry's lock convention); N = 2 is refused.
// `device` is what the file system uses: the array, or the one server. (The 2023 edition's
// block cache goes on top of it in the Shell, see shell.h.) In the 2023 RAID project, whose
// messages name blocks (Dialect::events_name_blocks), the array's events and the file
// system's calls go through a raid::DisconnectNamer, so that every SERVER_DISCONNECTED names a
// block, also for a failure met by a request for no data block.
//
// Timeouts are the edition's concern, decided here: at-most-once (a timed-out call fails)
// except for the 2023 edition on one server, whose calls are retried (client::TimeoutPolicy:
// on_timeout, then -retry_wait_ms, then the same request again).
//
// Lifetimes: the array points into `remotes`; both live as long as the Devices value (moving it
// keeps every pointer valid, the devices themselves do not move).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "client/block_device.h"
#include "client/remote_device.h"
#include "core/status.h"
#include "raid/array.h"
#include "raid/disconnect_namer.h"
#include "shell/flags.h"

namespace memoryfs::shell {

struct Devices {
  std::vector<std::unique_ptr<client::RemoteDevice>> remotes;
  std::unique_ptr<raid::DisconnectNamer> namer;  // the 2023 RAID project's only, else null
  std::unique_ptr<raid::Array> array;            // null with one server
  client::BlockDevice* device = nullptr;
};

// What the devices report to main, and what they ask it. Every member may be empty.
struct DeviceCallbacks {
  raid::Array::EventSink array_events;   // the array's events (main prints them)
  std::function<void()> on_timeout;      // before each retry of a timed-out call: main prints
                                         // SERVER_TIMED_OUT
  std::function<bool()> stop_requested;  // Ctrl-C: a timed-out call is not retried
};

// kInvalidArgument for two servers. The array is assembled (raid::Array::Assemble: its
// members' records read) before it is returned; its refusals are returned.
Result<Devices> MakeDevices(const ShellFlags& flags, DeviceCallbacks callbacks);
// The same, with only the array's events.
inline Result<Devices> MakeDevices(const ShellFlags& flags, raid::Array::EventSink sink) {
  return MakeDevices(flags, DeviceCallbacks{std::move(sink), nullptr, nullptr});
}

}  // namespace memoryfs::shell
