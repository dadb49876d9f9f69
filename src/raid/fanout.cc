#include "raid/fanout.h"

#include <cassert>

namespace memoryfs::raid {

void Fanout::RunAll(std::vector<Task> tasks) {
  if (tasks.empty()) return;
  // One lane per server, in the order the servers first appear; each runs its tasks in order.
  std::vector<int> lane_of(num_servers_, -1);
  std::vector<std::vector<std::function<void()>>> queues;
  for (Task& t : tasks) {
    assert(t.server >= 0 && t.server < num_servers_);
    if (lane_of[t.server] < 0) {
      lane_of[t.server] = static_cast<int>(queues.size());
      queues.emplace_back();
    }
    queues[lane_of[t.server]].push_back(std::move(t.work));
  }
  std::vector<std::function<void()>> lanes;
  for (auto& queue : queues) {
    if (queue.size() == 1) {
      lanes.push_back(std::move(queue.front()));
      continue;
    }
    lanes.push_back([&queue] {
      for (auto& work : queue) work();
    });
  }
  loop_.Run(std::move(lanes));
}

}  // namespace memoryfs::raid
