#include "server/stall.h"

#include <chrono>
#include <thread>

namespace memoryfs::server {

void Stall::Enter() {
  if (every_ == 0) return;
  std::lock_guard<std::mutex> wait_for_the_pause(pausing_);
}

void Stall::AfterCounted() {
  if (every_ == 0 || ++count_ % every_ != 0) return;
  std::lock_guard<std::mutex> pause(pausing_);
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms_));
}

}  // namespace memoryfs::server
