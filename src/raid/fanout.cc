#include "raid/fanout.h"

#include <cassert>

namespace memoryfs::raid {

Fanout::~Fanout() {
  for (auto& w : workers_) {
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->stop = true;
    }
    w->cv.notify_one();
    w->thread.join();
  }
}

void Fanout::RunAll(std::vector<Task> tasks, Mode mode) {
  if (tasks.empty()) return;
  for ([[maybe_unused]] const Task& t : tasks) assert(t.server >= 0 && t.server < num_servers_);
  if (mode == Mode::kThreads) {
    RunOnThreads(std::move(tasks));
  } else {
    RunInLanes(std::move(tasks));
  }
}

void Fanout::RunInLanes(std::vector<Task> tasks) {
  // One lane per server, in the order the servers first appear; each runs its tasks in order.
  std::vector<int> lane_of(num_servers_, -1);
  std::vector<std::vector<std::function<void()>>> queues;
  for (Task& t : tasks) {
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

void Fanout::Loop(Worker* w) {
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock<std::mutex> lock(w->mu);
      w->cv.wait(lock, [w] { return w->stop || !w->queue.empty(); });
      if (w->queue.empty()) return;
      work = std::move(w->queue.front());
      w->queue.pop_front();
    }
    work();
  }
}

void Fanout::RunOnThreads(std::vector<Task> tasks) {
  while (static_cast<int>(workers_.size()) < num_servers_) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->thread = std::thread([w] { Loop(w); });
  }
  // The first task's server runs on the calling thread, the others on their workers: the
  // caller works instead of waiting, and a round costs one hand-off fewer.
  const int inline_server = tasks.front().server;
  std::vector<std::function<void()>*> here;
  std::mutex mu;
  std::condition_variable done_cv;
  // Counted before the first hand-off: workers decrement it (under mu) as they finish.
  size_t remaining = 0;
  for (const Task& t : tasks) remaining += t.server == inline_server ? 0 : 1;
  for (Task& t : tasks) {
    if (t.server == inline_server) {
      here.push_back(&t.work);
      continue;
    }
    Worker* w = workers_[t.server].get();
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->queue.push_back([&, work = std::move(t.work)] {
        work();
        std::lock_guard<std::mutex> l(mu);
        if (--remaining == 0) done_cv.notify_one();
      });
    }
    w->cv.notify_one();
  }
  for (std::function<void()>* work : here) (*work)();
  std::unique_lock<std::mutex> lock(mu);
  done_cv.wait(lock, [&] { return remaining == 0; });
}

}  // namespace memoryfs::raid
