#include "raid/fanout.h"

#include <memory>

namespace memoryfs::raid {

Fanout::Fanout(int num_servers) {
  for (int i = 0; i < num_servers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->thread = std::thread([this, w] { Loop(w); });
  }
}

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

void Fanout::RunAll(std::vector<Task> tasks) {
  if (tasks.empty()) return;
  // The first task's server runs on the calling thread, the others on their workers: the
  // caller works instead of waiting, and a round costs one hand-off fewer (none for a round
  // of one server).
  const int inline_server = tasks.front().server;
  std::vector<std::function<void()>*> here;
  std::mutex mu;
  std::condition_variable done_cv;
  // Counted before the first hand-off: workers decrement it (under mu) as soon as they start.
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
