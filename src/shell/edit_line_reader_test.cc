#include "shell/edit_line_reader.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <string_view>

#include "shell/testing.h"

namespace memoryfs::shell {
namespace {

using namespace std::chrono_literals;

// A pseudo-terminal: the reader reads and writes the slave side (as a shell's stdin and
// stdout), the test types on the master side and reads what the terminal shows.
class Terminal {
 public:
  Terminal() {
    if (!std::getenv("TERM")) setenv("TERM", "vt100", 1);
    REQUIRE(openpty(&master_, &slave_, nullptr, nullptr, nullptr) == 0);
    in = fdopen(dup(slave_), "r");
    out = fdopen(dup(slave_), "w");
    REQUIRE(in != nullptr);
    REQUIRE(out != nullptr);
  }
  ~Terminal() {
    std::fclose(in);
    std::fclose(out);
    close(slave_);
    if (master_ >= 0) close(master_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  void Type(std::string_view keys) {
    REQUIRE(write(master_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size()));
  }
  // Reads what the terminal shows until it contains `text` at or after `from` (true), or 5 s
  // pass (false).
  bool WaitFor(std::string_view text, size_t from = 0) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (shown.find(text, from) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pollfd readable{master_, POLLIN, 0};
      if (poll(&readable, 1, 100) <= 0) continue;
      char bytes[256];
      const ssize_t n = read(master_, bytes, sizeof bytes);
      if (n <= 0) return false;
      shown.append(bytes, static_cast<size_t>(n));
    }
    return true;
  }
  // The terminal goes away: a reader still waiting sees the end of its input.
  void HangUp() {
    close(master_);
    master_ = -1;
  }
  int slave() const { return slave_; }

  std::FILE* in = nullptr;
  std::FILE* out = nullptr;
  std::string shown;

 private:
  int master_ = -1;
  int slave_ = -1;
};

// ReadLine on another thread, so that the test can type while it waits.
class PendingLine {
 public:
  PendingLine(LineReader& reader, std::string prompt)
      : line_(std::async(std::launch::async,
                         [&reader, prompt] { return reader.ReadLine(prompt); })) {}
  // The line, or a failed check (and nullopt) when none comes within 5 s; then `terminal`
  // hangs up so that the reader, and this test, end.
  std::optional<std::string> Get(Terminal& terminal) {
    if (line_.wait_for(5s) != std::future_status::ready) {
      FAIL_CHECK("ReadLine did not return; the terminal shows: " << terminal.shown);
      terminal.HangUp();
    }
    return line_.get();
  }

 private:
  std::future<std::optional<std::string>> line_;
};

// One line: waits for the prompt (libedit then reads key by key), types `keys`, returns the
// line. Keys typed before the prompt would meet the terminal's own line editing instead.
std::optional<std::string> Enter(LineReader& reader, Terminal& terminal, std::string_view keys,
                                 const std::string& prompt = "[cwd=0]%") {
  const size_t from = terminal.shown.size();
  PendingLine line(reader, prompt);
  CHECK(terminal.WaitFor(prompt, from));
  terminal.Type(keys);
  return line.Get(terminal);
}

std::unique_ptr<EditLineReader> MakeReader(Terminal& terminal, std::string history_file = "") {
  EditLineOptions options;
  options.history_file = std::move(history_file);
  Result<std::unique_ptr<EditLineReader>> made =
      EditLineReader::Create(terminal.in, terminal.out, options);
  REQUIRE(made.ok());
  return std::move(*made);
}

TEST_CASE("EditLineReader: shows the prompt, returns the line typed without its newline") {
  Terminal terminal;
  auto reader = MakeReader(terminal);
  CHECK(Enter(*reader, terminal, "create a\r") == "create a");
  CHECK(terminal.WaitFor("[cwd=0]%create a"));
}

TEST_CASE("EditLineReader: editing keys change the line, Up and Down walk the history") {
  Terminal terminal;
  auto reader = MakeReader(terminal);
  CHECK(Enter(*reader, terminal, "create a\r") == "create a");
  CHECK(Enter(*reader, terminal,
              "\x1b[A\x7f"
              "b\r") == "create b");                                 // Up, Backspace, b
  CHECK(Enter(*reader, terminal, "\x1b[A\x1b[A\r") == "create a");   // two lines back
  CHECK(Enter(*reader, terminal, "ls\x1b[D\x1b[Dx\r") == "xls");     // Left twice, insert
  CHECK(Enter(*reader, terminal, "\x1b[A\x1b[A\x1b[B\r") == "xls");  // Up, Up, Down
  CHECK(Enter(*reader, terminal, "   \r") == "   ");
  CHECK(Enter(*reader, terminal, "\x1b[A\r") == "xls");  // a blank line is not remembered
  CHECK(Enter(*reader, terminal, "\x1b[A\x1b[A\r") == "create a");  // nor a repeated one
}

TEST_CASE("EditLineReader: the terminal's UTF-8 text comes back as typed") {
  Terminal terminal;
  auto reader = MakeReader(terminal);
  CHECK(Enter(*reader, terminal, "append f \xc3\xa9t\xc3\xa9\r") == "append f \xc3\xa9t\xc3\xa9");
}

TEST_CASE("EditLineReader: CancelLine drops the line being typed and prompts again") {
  Terminal terminal;
  auto reader = MakeReader(terminal);
  CHECK_FALSE(EditLineReader::CancelLine());  // not waiting: nothing to cancel
  PendingLine line(*reader, "[cwd=7]%");
  REQUIRE(terminal.WaitFor("[cwd=7]%"));
  terminal.Type("create gamma");
  REQUIRE(terminal.WaitFor("gamma"));
  const size_t typed = terminal.shown.size();
  CHECK(EditLineReader::CancelLine());
  REQUIRE(terminal.WaitFor("[cwd=7]%", typed));
  const std::string after = terminal.shown.substr(typed);
  CHECK(after.find('\n') < after.find("[cwd=7]%"));  // a new line, then the prompt
  terminal.Type("ls\r");
  CHECK(line.Get(terminal) == "ls");                    // nothing of the dropped line
  CHECK(Enter(*reader, terminal, "\x1b[A\r") == "ls");  // and it is not in the history
  CHECK(Enter(*reader, terminal, "\x1b[A\x1b[A\r") == "ls");
}

TEST_CASE("EditLineReader: Ctrl-D on an empty line is the end of the input, and so is a hang-up") {
  Terminal terminal;
  auto reader = MakeReader(terminal);
  CHECK(Enter(*reader, terminal, "ab\x04\r") == "ab");  // on a line with text: no end
  CHECK(Enter(*reader, terminal, "\x04") == std::nullopt);
  const size_t from = terminal.shown.size();
  PendingLine line(*reader, "[cwd=0]%");
  REQUIRE(terminal.WaitFor("[cwd=0]%", from));
  terminal.HangUp();
  CHECK(line.Get(terminal) == std::nullopt);
}

TEST_CASE("EditLineReader: RestoreTerminal puts back the mode Create found") {
  Terminal terminal;
  termios found{};
  REQUIRE(tcgetattr(terminal.slave(), &found) == 0);
  REQUIRE((found.c_lflag & ICANON));
  auto reader = MakeReader(terminal);
  PendingLine line(*reader, "[cwd=0]%");
  REQUIRE(terminal.WaitFor("[cwd=0]%"));
  termios editing{};
  REQUIRE(tcgetattr(terminal.slave(), &editing) == 0);
  CHECK_FALSE((editing.c_lflag & ICANON));  // libedit reads key by key
  CHECK((editing.c_lflag & ISIG));          // Ctrl-C still raises SIGINT
  EditLineReader::RestoreTerminal();
  termios restored{};
  REQUIRE(tcgetattr(terminal.slave(), &restored) == 0);
  CHECK(restored.c_lflag == found.c_lflag);
  CHECK(restored.c_iflag == found.c_iflag);
  const size_t from = terminal.shown.size();
  CHECK(EditLineReader::CancelLine());  // the next prompt puts libedit's mode back
  REQUIRE(terminal.WaitFor("[cwd=0]%", from));
  terminal.Type("done\r");
  CHECK(line.Get(terminal) == "done");
}

TEST_CASE("EditLineReader: ResumeEditing puts back the key-by-key mode while a line waits") {
  Terminal terminal;
  termios found{};
  REQUIRE(tcgetattr(terminal.slave(), &found) == 0);
  auto reader = MakeReader(terminal);
  EditLineReader::ResumeEditing();  // not waiting: nothing changes
  termios now{};
  REQUIRE(tcgetattr(terminal.slave(), &now) == 0);
  CHECK(now.c_lflag == found.c_lflag);
  PendingLine line(*reader, "[cwd=0]%");
  REQUIRE(terminal.WaitFor("[cwd=0]%"));
  terminal.Type("l");
  REQUIRE(terminal.WaitFor("%l"));
  REQUIRE(tcsetattr(terminal.slave(), TCSANOW, &found) == 0);  // as a shell does after Ctrl-Z
  EditLineReader::ResumeEditing();                             // SIGCONT, on fg
  REQUIRE(tcgetattr(terminal.slave(), &now) == 0);
  CHECK_FALSE((now.c_lflag & ICANON));
  terminal.Type("x\x7fs\r");  // Backspace is libedit's again, not the terminal's
  CHECK(line.Get(terminal) == "ls");
}

TEST_CASE("EditLineReader: the history file carries lines to the next session") {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("memoryfs_history_" + std::to_string(getpid()));
  std::filesystem::remove(file);
  {
    Terminal terminal;
    auto reader = MakeReader(terminal, file.string());
    CHECK(Enter(*reader, terminal, "create kept\r") == "create kept");
    CHECK(std::filesystem::exists(file));  // written at once, not only at a clean exit
  }
  {
    Terminal terminal;
    auto reader = MakeReader(terminal, file.string());
    CHECK(Enter(*reader, terminal, "\x1b[A\r") == "create kept");
  }
  std::filesystem::remove(file);
}

TEST_CASE("EditLineReader: Create wants terminals and one reader at a time") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::FILE* pipe_in = fdopen(fds[0], "r");
  Terminal terminal;
  CHECK(EditLineReader::Create(pipe_in, terminal.out, {}).status().code() ==
        Code::kInvalidArgument);
  auto reader = MakeReader(terminal);
  CHECK(EditLineReader::Create(terminal.in, terminal.out, {}).status().code() == Code::kInternal);
  reader.reset();
  CHECK(EditLineReader::Create(terminal.in, terminal.out, {}).ok());
  std::fclose(pipe_in);
  close(fds[1]);
}

TEST_CASE("UseLineEditing: both ends terminals, unless MEMORYFS_LINE_EDITING=0") {
  Terminal terminal;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  CHECK(UseLineEditing(terminal.slave(), terminal.slave(), nullptr));
  CHECK(UseLineEditing(terminal.slave(), terminal.slave(), "1"));
  CHECK_FALSE(UseLineEditing(terminal.slave(), terminal.slave(), "0"));
  CHECK_FALSE(UseLineEditing(fds[0], terminal.slave(), nullptr));  // input piped
  CHECK_FALSE(UseLineEditing(terminal.slave(), fds[1], nullptr));  // output redirected
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("HistoryFile: $MEMORYFS_HISTORY, else $HOME/.memoryfs_history, else none") {
  CHECK(HistoryFile("/tmp/h", "/home/u") == "/tmp/h");
  CHECK(HistoryFile("", "/home/u") == "");  // set and empty: no file
  CHECK(HistoryFile(nullptr, "/home/u") == "/home/u/.memoryfs_history");
  CHECK(HistoryFile(nullptr, "") == "");
  CHECK(HistoryFile(nullptr, nullptr) == "");
}

}  // namespace
}  // namespace memoryfs::shell
