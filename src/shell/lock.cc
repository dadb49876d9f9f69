#include "shell/lock.h"

#include <chrono>
#include <ctime>
#include <thread>

namespace memoryfs::shell {

namespace {

std::string WallClockNow() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

}  // namespace

Result<bool> DiskLock::TryRecorded(std::string* last_waiting) {
  Result<client::LockReply> r = device_.Lock(block_, holder_, options_.lease_ms);
  if (!r.ok()) return r.status();
  const auto say = [this](const std::string& text) {
    if (options_.notice) options_.notice(text);
  };
  const std::string previous = r->holder.empty() ? "" : ToString(r->holder);
  if (!client::LockConvention::HeldByOther(r->old)) {
    held_recorded_ = true;
    if (r->broken) {
      say("broke the lock held by " + previous + ": its lease of " + std::to_string(r->lease_ms) +
          " ms ran out (last renewed " + std::to_string(r->age_ms) + " ms ago)");
    }
    return true;
  }
  std::string waiting =
      previous.empty() ? "a client that records no holder (a Python shell?); it is never broken"
                       : previous;
  if (waiting != *last_waiting) {
    *last_waiting = waiting;
    if (!previous.empty()) {
      waiting += " (lease " + std::to_string(r->lease_ms) + " ms, renewed " +
                 std::to_string(r->age_ms) + " ms ago)";
    }
    say("waiting for the lock, held by " + waiting + "; Ctrl-C stops waiting");
  }
  return false;
}

Status DiskLock::Acquire(const std::function<bool()>& cancelled) {
  held_recorded_ = false;
  if (options_.recorded) {
    const std::string who = options_.who.empty() ? "a client" : options_.who;
    const std::string text = who + ", since " + WallClockNow();
    holder_ = ToBytes(text);
  }
  std::string last_waiting;
  for (int attempt = 0;; ++attempt) {
    if (cancelled && cancelled()) {
      return Status::Error(Code::kCancelled, "stopped while waiting for the lock");
    }
    if (attempt >= 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 200 ? 1 : 10));
    }
    if (options_.recorded) {
      Result<bool> taken = TryRecorded(&last_waiting);
      if (taken.ok()) {
        if (*taken) return Status::Ok();
        continue;
      }
      if (taken.status().code() != Code::kUnimplemented) return taken.status();
      options_.recorded = false;  // the lock's server keeps no records: the plain lock
    }
    ASSIGN_OR_RETURN(const Bytes old, device_.RSM(block_));
    if (!client::LockConvention::HeldByOther(old)) return Status::Ok();
  }
}

Status DiskLock::Release() {
  if (held_recorded_) {
    held_recorded_ = false;
    return device_.Unlock(block_, holder_, {});
  }
  return device_.Put(block_, client::LockConvention::Released(device_.block_size()));
}

}  // namespace memoryfs::shell
