#include "raid/disconnect_namer.h"

namespace memoryfs::raid {

void DisconnectNamer::OnEvent(ArrayEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool unnamed =
      event.kind == ArrayEvent::Kind::kServerDisconnected && event.request_block < 0;
  if (unnamed && !current_) {
    held_[event.server] = std::move(event);
    return;
  }
  if (unnamed) event.request_block = current_->block;
  if (next_) next_(event);
}

bool DisconnectNamer::Down(Location at) const {
  return array_->failed(at.server) && at.block >= array_->rebuilt(at.server);
}

void DisconnectNamer::Begin(const char* op, int block, bool write) {
  std::lock_guard<std::mutex> lock(mu_);
  const Layout& layout = array_->layout();
  const Location data_at = layout.DataLocation(block);
  const Location parity_at = layout.ParityLocation(data_at.block);
  for (auto it = held_.begin(); it != held_.end();) {
    const int server = it->first;
    if (!array_->failed(server)) {  // repaired since: nothing left to say
      it = held_.erase(it);
      continue;
    }
    const bool without = (data_at.server == server && Down(data_at)) ||
                         (write && parity_at.server == server && Down(parity_at));
    if (!without) {
      ++it;
      continue;
    }
    ArrayEvent event = std::move(it->second);
    it = held_.erase(it);
    event.op = op;
    event.request_block = block;
    if (next_) next_(event);
  }
  current_ = Request{op, block};
}

void DisconnectNamer::End() {
  std::lock_guard<std::mutex> lock(mu_);
  current_.reset();
}

Result<Bytes> DisconnectNamer::Get(int block) {
  if (block < 0 || block >= num_blocks() || block == array_->lock_block()) {
    return array_->Get(block);
  }
  Begin("GET", block, /*write=*/false);
  Result<Bytes> result = array_->Get(block);
  End();
  return result;
}

Status DisconnectNamer::Put(int block, const Bytes& data) {
  if (block < 0 || block >= num_blocks() || block == array_->lock_block()) {
    return array_->Put(block, data);
  }
  Begin("PUT", block, /*write=*/true);
  Status result = array_->Put(block, data);
  End();
  return result;
}

}  // namespace memoryfs::raid
