#include "rpc/fiber_loop.h"

#include <poll.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "rpc/poll_wait.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define MEMORYFS_FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define MEMORYFS_FIBER_TSAN 1
#endif

namespace memoryfs::rpc {

namespace {

// A fiber's stack. Lanes run the whole client stack (xmlrpc-c's parser included, 16 KiB receive
// buffers on the stack), far below this; a page below it is kept inaccessible, so an overflow
// is a clean crash, never a silent overwrite.
constexpr size_t kStackBytes = 512 * 1024;

thread_local FiberLoop* t_loop = nullptr;  // the loop whose Run is in progress on this thread

}  // namespace

// An execution context (the caller's stack or a fiber's), with what the sanitizers need to
// follow a switch between stacks.
struct FiberLoop::Context {
  ucontext_t uc;
  const void* stack_bottom = nullptr;  // learned for the caller's stack (AddressSanitizer)
  size_t stack_size = 0;
  void* fake_stack = nullptr;
  void* tsan_fiber = nullptr;
};

struct FiberLoop::Waiting {
  pollfd want{};
  Deadline deadline;
  bool waiting = false;
  Status woke;
  Lane* lane = nullptr;  // null: lane 0, on the caller's stack
};

struct FiberLoop::Lane {
  enum class State { kRunnable, kWaiting, kDone };
  FiberLoop* loop = nullptr;
  Context context;
  void* map = nullptr;  // the stack and its guard page
  size_t map_bytes = 0;
  std::function<void()> work;
  State state = State::kDone;
  Waiting wait;
};

namespace {

// Switches from `from` to `to`; returns when something switches back to `from`. `learn`, when
// set, receives the bounds of the stack that switched back (AddressSanitizer needs them to
// switch to it later).
template <typename Context>
void Switch(Context* from, Context* to, Context* learn) {
#ifdef MEMORYFS_FIBER_ASAN
  __sanitizer_start_switch_fiber(&from->fake_stack, to->stack_bottom, to->stack_size);
#endif
#ifdef MEMORYFS_FIBER_TSAN
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  swapcontext(&from->uc, &to->uc);
#ifdef MEMORYFS_FIBER_ASAN
  if (learn != nullptr) {
    __sanitizer_finish_switch_fiber(from->fake_stack, &learn->stack_bottom, &learn->stack_size);
  } else {
    __sanitizer_finish_switch_fiber(from->fake_stack, nullptr, nullptr);
  }
#else
  (void)learn;
#endif
}

thread_local void* t_starting = nullptr;  // the Lane that FiberMain is entering

}  // namespace

FiberLoop::FiberLoop()
    : main_wait_(std::make_unique<Waiting>()), main_context_(std::make_unique<Context>()) {}

FiberLoop::~FiberLoop() {
  for (auto& lane : fibers_) {
#ifdef MEMORYFS_FIBER_TSAN
    __tsan_destroy_fiber(lane->context.tsan_fiber);
#endif
    ::munmap(lane->map, lane->map_bytes);
  }
}

void FiberLoop::FiberMain() {
  Lane* lane = static_cast<Lane*>(t_starting);
  FiberLoop* loop = lane->loop;
#ifdef MEMORYFS_FIBER_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &loop->main_context_->stack_bottom,
                                  &loop->main_context_->stack_size);
#endif
  for (;;) {  // one lane per Run, for as long as the loop lives
    try {
      lane->work();
    } catch (...) {
      if (!loop->error_) loop->error_ = std::current_exception();
    }
    lane->work = nullptr;
    lane->state = Lane::State::kDone;
    Switch(&lane->context, loop->main_context_.get(), loop->main_context_.get());
  }
}

std::unique_ptr<FiberLoop::Lane> FiberLoop::NewFiber() {
  auto lane = std::make_unique<Lane>();
  lane->loop = this;
  lane->wait.lane = lane.get();
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  lane->map_bytes = kStackBytes + page;
  lane->map = ::mmap(nullptr, lane->map_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (lane->map == MAP_FAILED) throw std::bad_alloc();
  ::mprotect(lane->map, page, PROT_NONE);  // the guard page, below the stack
  Context& c = lane->context;
  ::getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = static_cast<char*>(lane->map) + page;
  c.uc.uc_stack.ss_size = kStackBytes;
  c.uc.uc_link = nullptr;
  c.stack_bottom = c.uc.uc_stack.ss_sp;
  c.stack_size = kStackBytes;
  ::makecontext(&c.uc, &FiberLoop::FiberMain, 0);
#ifdef MEMORYFS_FIBER_TSAN
  c.tsan_fiber = __tsan_create_fiber(0);
#endif
  return lane;
}

void FiberLoop::Run(std::vector<std::function<void()>> lanes) {
  if (t_loop != nullptr || lanes.size() <= 1) {  // nested, or nothing to overlap
    for (auto& lane : lanes) lane();
    return;
  }
  while (fibers_.size() < lanes.size() - 1) fibers_.push_back(NewFiber());
  active_ = lanes.size() - 1;
  for (size_t i = 1; i < lanes.size(); ++i) {
    fibers_[i - 1]->work = std::move(lanes[i]);
    fibers_[i - 1]->state = Lane::State::kRunnable;
  }
#ifdef MEMORYFS_FIBER_TSAN
  main_context_->tsan_fiber = __tsan_get_current_fiber();
#endif
  t_loop = this;
  error_ = nullptr;
  try {
    lanes[0]();
  } catch (...) {
    error_ = std::current_exception();
  }
  RunUntil(/*main_waits=*/false);
  t_loop = nullptr;
  active_ = 0;
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
}

bool FiberLoop::Done(bool main_waits) const {
  if (main_waits) return !main_wait_->waiting;
  for (size_t i = 0; i < active_; ++i) {
    if (fibers_[i]->state != Lane::State::kDone) return false;
  }
  return true;
}

void FiberLoop::RunUntil(bool main_waits) {
  while (!Done(main_waits)) {
    bool ran = false;
    for (size_t i = 0; i < active_; ++i) {
      if (fibers_[i]->state != Lane::State::kRunnable) continue;
      Resume(fibers_[i].get());
      ran = true;
    }
    if (!ran) PollOnce();
  }
}

void FiberLoop::Resume(Lane* lane) {
  running_ = lane;
  t_starting = lane;
  ++switches_;
  Switch(main_context_.get(), &lane->context, static_cast<Context*>(nullptr));
  running_ = nullptr;
}

void FiberLoop::Wake(Waiting* w, Status outcome) {
  w->woke = std::move(outcome);
  w->waiting = false;
  if (w->lane != nullptr) w->lane->state = Lane::State::kRunnable;
}

void FiberLoop::PollOnce() {
  waiters_.clear();
  fds_.clear();
  if (main_wait_->waiting) waiters_.push_back(main_wait_.get());
  for (size_t i = 0; i < active_; ++i) {
    if (fibers_[i]->state == Lane::State::kWaiting) waiters_.push_back(&fibers_[i]->wait);
  }
  Deadline earliest = Deadline::max();
  for (Waiting* w : waiters_) {
    fds_.push_back(w->want);
    earliest = std::min(earliest, w->deadline);
  }
  const int n = PollWait(fds_.data(), fds_.size(), earliest);
  if (n < 0 && errno == EINTR) return;  // the caller polls again
  if (n < 0) {
    const Status failed =
        Status::Error(Code::kUnavailable, std::string("poll: ") + std::strerror(errno));
    for (Waiting* w : waiters_) Wake(w, failed);
    return;
  }
  const Deadline now = Clock::now();
  for (size_t i = 0; i < waiters_.size(); ++i) {
    if (fds_[i].revents != 0) {
      Wake(waiters_[i], Status::Ok());
    } else if (now >= waiters_[i]->deadline) {
      Wake(waiters_[i], Status::Error(Code::kDeadlineExceeded, "timed out"));
    }
  }
}

Status FiberLoop::Wait(int fd, short events, Deadline deadline) {
  if (Clock::now() >= deadline) {
    // Past the deadline before waiting (this process did not run meanwhile: stopped, or
    // descheduled): what has arrived by now still counts.
    pollfd now{fd, events, 0};
    if (::poll(&now, 1, 0) > 0) return Status::Ok();
    return Status::Error(Code::kDeadlineExceeded, "timed out");
  }
  Lane* lane = running_;
  Waiting* w = lane != nullptr ? &lane->wait : main_wait_.get();
  w->want = pollfd{fd, events, 0};
  w->deadline = deadline;
  w->waiting = true;
  if (lane == nullptr) {  // lane 0: run the others until this wait is over
    RunUntil(/*main_waits=*/true);
    return main_wait_->woke;
  }
  lane->state = Lane::State::kWaiting;
  ++switches_;
  Switch(&lane->context, main_context_.get(), main_context_.get());
  return lane->wait.woke;
}

bool WaitInLoop(int fd, short events, Deadline deadline, Status* status) {
  if (t_loop == nullptr) return false;
  *status = t_loop->Wait(fd, events, deadline);
  return true;
}

}  // namespace memoryfs::rpc
