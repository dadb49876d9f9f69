// libedit behind LineReader. libedit's own read function is replaced (EL_GETCFN) by ReadChar,
// which waits on the terminal and on a self-pipe: CancelLine(), from a signal handler, writes
// to the pipe and ReadChar fails with EINTR, so that el_gets() returns with the line dropped.
// (libedit's builtin read retries the first EINTR; SA_RESTART, which main() keeps for its
// RPCs, would hide it anyway; and the handler may run on another thread.)
#include "shell/edit_line_reader.h"

#include <fcntl.h>
#include <histedit.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cwchar>

namespace memoryfs::shell {
namespace {

// The one reader's process-wide part, read by the async-signal-safe entry points (on any
// thread: a signal may be handled by another thread than the one in ReadLine, hence the pipe
// rather than relying on EINTR, and atomics rather than volatile).
std::atomic<bool> g_waiting{false};  // ReadLine is inside el_gets
static_assert(std::atomic<bool>::is_always_lock_free);
int g_cancel_pipe[2] = {-1, -1};  // CancelLine writes a byte to [1]; ReadChar polls [0]
int g_terminal_fd = -1;           // where g_found_mode is restored
struct termios g_found_mode {};
struct termios g_editing_mode {};  // libedit's key-by-key mode, once g_editing_mode_known
std::atomic<bool> g_editing_mode_known{false};

bool CancelPending() {
  pollfd pending{g_cancel_pipe[0], POLLIN, 0};
  return poll(&pending, 1, 0) > 0 && (pending.revents & POLLIN);
}

void DrainCancelPipe() {
  char bytes[64];
  while (read(g_cancel_pipe[0], bytes, sizeof bytes) > 0) {
  }
}

// uselocale() for a scope: this thread decodes and encodes characters with `locale`.
class LocaleScope {
 public:
  explicit LocaleScope(locale_t locale) : saved_(locale ? uselocale(locale) : nullptr) {}
  ~LocaleScope() {
    if (saved_) uselocale(saved_);
  }
  LocaleScope(const LocaleScope&) = delete;
  LocaleScope& operator=(const LocaleScope&) = delete;

 private:
  locale_t saved_;
};

// The environment's LC_CTYPE; C.UTF-8 instead of plain ASCII (an unset or "C" locale, the
// usual case in containers whose terminal speaks UTF-8) or of a locale that does not exist.
locale_t TerminalLocale() {
  locale_t locale = newlocale(LC_CTYPE_MASK, "", static_cast<locale_t>(0));
  if (locale && std::string(nl_langinfo_l(CODESET, locale)) == "ANSI_X3.4-1968") {
    freelocale(locale);
    locale = static_cast<locale_t>(0);
  }
  if (!locale) locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return locale;  // may be (locale_t)0: the thread's locale is kept
}

}  // namespace

struct EditLineReader::State {
  std::FILE* out = nullptr;
  int in_fd = -1;
  EditLine* el = nullptr;
  History* hist = nullptr;  // the lines entered (libedit's history)
  HistEvent event{};
  std::string prompt;
  std::string history_file;
  locale_t locale = static_cast<locale_t>(0);

  static State* Of(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return static_cast<State*>(data);
  }
  static char* Prompt(EditLine* el) { return Of(el)->prompt.data(); }
  static int ReadChar(EditLine* el, wchar_t* character);
  void Remember(const std::string& line);
};

// One character from the terminal: 1, 0 at its end, -1 on an error or a cancelled line
// (errno EINTR). Bytes that are not a character of the locale are dropped, as libedit does.
int EditLineReader::State::ReadChar(EditLine* el, wchar_t* character) {
  const State* state = Of(el);
  char bytes[MB_LEN_MAX];
  size_t have = 0;
  *character = L'\0';
  while (true) {
    pollfd fds[2] = {{g_cancel_pipe[0], POLLIN, 0}, {state->in_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;  // the handler, if it cancels, has written to the pipe
      return -1;
    }
    if (fds[0].revents & POLLIN) {
      errno = EINTR;
      return -1;
    }
    if (fds[1].revents == 0) continue;
    const ssize_t got = read(state->in_fd, &bytes[have], 1);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return static_cast<int>(got);
    ++have;
    std::mbstate_t shift{};
    const size_t used = std::mbrtowc(character, bytes, have, &shift);
    if (used == static_cast<size_t>(-2) && have < sizeof bytes) continue;  // one more byte
    if (used == static_cast<size_t>(-1) || used == static_cast<size_t>(-2)) {
      have = 0;
      continue;
    }
    return 1;
  }
}

void EditLineReader::State::Remember(const std::string& line) {
  if (line.find_first_not_of(" \t\r\n\v\f") == std::string::npos) return;
  history(hist, &event, H_ENTER, line.c_str());
  if (!history_file.empty()) history(hist, &event, H_SAVE, history_file.c_str());
}

Result<std::unique_ptr<EditLineReader>> EditLineReader::Create(std::FILE* in, std::FILE* out,
                                                               const EditLineOptions& options) {
  if (!isatty(fileno(in)) || !isatty(fileno(out))) {
    return Status::Error(Code::kInvalidArgument, "line editing needs a terminal");
  }
  if (g_cancel_pipe[0] >= 0) return Status::Error(Code::kInternal, "a line reader exists");
  auto state = std::make_unique<State>();
  state->out = out;
  state->in_fd = fileno(in);
  state->history_file = options.history_file;
  state->locale = TerminalLocale();
  if (pipe2(g_cancel_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    if (state->locale) freelocale(state->locale);
    return Status::Error(Code::kIOError, "pipe for line editing failed");
  }
  g_terminal_fd = state->in_fd;
  tcgetattr(g_terminal_fd, &g_found_mode);
  // The reader owns the pipe and the state from here: its destructor undoes everything.
  std::unique_ptr<EditLineReader> reader(new EditLineReader(std::move(state)));
  State& s = *reader->state_;
  LocaleScope locale(s.locale);
  s.el = el_init(options.program.c_str(), in, out, stderr);
  s.hist = history_init();
  if (!s.el || !s.hist) return Status::Error(Code::kIOError, "libedit failed to start");
  history(s.hist, &s.event, H_SETSIZE, options.history_size);
  history(s.hist, &s.event, H_SETUNIQUE, 1);
  if (!s.history_file.empty()) history(s.hist, &s.event, H_LOAD, s.history_file.c_str());
  el_set(s.el, EL_EDITOR, "emacs");
  el_set(s.el, EL_SIGNAL, 0);
  el_set(s.el, EL_CLIENTDATA, &s);
  el_set(s.el, EL_PROMPT, &State::Prompt);
  el_set(s.el, EL_HIST, history, s.hist);
  el_set(s.el, EL_GETCFN, &State::ReadChar);
  el_source(s.el, nullptr);  // ~/.editrc, when there is one
  return reader;
}

EditLineReader::EditLineReader(std::unique_ptr<State> state) : state_(std::move(state)) {}

EditLineReader::~EditLineReader() {
  {
    LocaleScope locale(state_->locale);
    if (state_->el) el_end(state_->el);  // the terminal's mode back
    if (state_->hist) history_end(state_->hist);
  }
  g_terminal_fd = -1;
  g_editing_mode_known = false;
  if (state_->locale) freelocale(state_->locale);
  close(g_cancel_pipe[0]);
  close(g_cancel_pipe[1]);
  g_cancel_pipe[0] = g_cancel_pipe[1] = -1;
}

std::optional<std::string> EditLineReader::ReadLine(const std::string& prompt) {
  State& s = *state_;
  s.prompt = prompt;
  LocaleScope locale(s.locale);
  while (true) {
    std::fflush(s.out);
    DrainCancelPipe();  // a Ctrl-C that came after the last line was entered
    g_waiting = true;
    // Key by key before the prompt shows: a key typed once it is seen is never met by the
    // terminal's own line discipline (which would take Ctrl-D or Backspace itself).
    el_set(s.el, EL_PREP_TERM, 1);
    if (!g_editing_mode_known && tcgetattr(s.in_fd, &g_editing_mode) == 0) {
      g_editing_mode_known = true;  // for ResumeEditing(); the same mode for every line
    }
    int count = 0;
    const char* line = el_gets(s.el, &count);
    g_waiting = false;
    if (line && count > 0) {
      std::string text(line, static_cast<size_t>(count));
      if (text.back() == '\n') text.pop_back();  // the Enter that ended the line
      s.Remember(text);
      return text;
    }
    const bool cancelled = count < 0 && errno == EINTR && CancelPending();
    std::fputs("\n", s.out);  // the cursor leaves the dropped line (or the last prompt)
    std::fflush(s.out);
    if (!cancelled) return std::nullopt;  // Ctrl-D on an empty line, or the terminal is gone
  }
}

bool EditLineReader::CancelLine() {
  if (!g_waiting || g_cancel_pipe[1] < 0) return false;
  const int saved_errno = errno;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_cancel_pipe[1], &byte, 1);
  errno = saved_errno;
  return true;
}

void EditLineReader::RestoreTerminal() {
  if (g_terminal_fd < 0) return;
  const int saved_errno = errno;
  tcsetattr(g_terminal_fd, TCSANOW, &g_found_mode);
  errno = saved_errno;
}

}  // namespace memoryfs::shell

// LeakSanitizer (-DMEMORYFS_SANITIZE=address): libedit's el_init() looks the terminal up in
// terminfo, where ncurses leaks a copy of its sgr0 string on every lookup. Not ours to fix;
// any other leak still fails the build's tests. Unused without the sanitizer.
extern "C" const char* __lsan_default_suppressions() { return "leak:_nc_trim_sgr0\n"; }

namespace memoryfs::shell {

void EditLineReader::ResumeEditing() {
  if (!g_waiting || !g_editing_mode_known || g_terminal_fd < 0) return;
  const int saved_errno = errno;
  tcsetattr(g_terminal_fd, TCSANOW, &g_editing_mode);
  errno = saved_errno;
}

bool UseLineEditing(int in_fd, int out_fd, const char* env_value) {
  if (env_value && std::string(env_value) == "0") return false;
  return isatty(in_fd) && isatty(out_fd);
}

std::string HistoryFile(const char* memoryfs_history, const char* home) {
  if (memoryfs_history) return memoryfs_history;
  if (home && *home) return std::string(home) + "/.memoryfs_history";
  return "";
}

}  // namespace memoryfs::shell
