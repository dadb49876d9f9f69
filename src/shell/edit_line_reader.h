// EditLineReader: line editing and history (libedit) for the shell at a terminal.
//
// - main() uses it only when UseLineEditing(): stdin and stdout both terminals. A pipe or a
//   file, on either side, gets StreamLineReader's exact bytes (line_reader.h): with stdout
//   redirected the transcript keeps today's prompts and no escape sequence, and the user
//   types without editing.
// - Keys are libedit's emacs ones (Left/Right, Home/End, Backspace, Ctrl-A/E/K/U/W, ...) and
//   ~/.editrc's; Up/Down walk the history: the lines of this session that are not blank
//   (a line repeated at once kept once), after those of the history file.
// - libedit shows the prompt and the echo on `out` (the terminal), having put the terminal in
//   its key-by-key mode before the prompt shows; ReadLine returns the line without its
//   newline. Ctrl-D on an empty line is the end of the input: a newline, nullopt. Between two
//   ReadLine calls (while a command runs) the terminal is in its own mode again.
// - Signals: the reader installs no handler and asks libedit for none (EL_SIGNAL off, as it
//   re-raises them to the whole process group; a window resized while a line is typed is
//   noticed at the next line). main()'s SIGINT handler calls CancelLine(): the line being
//   typed is dropped, a newline is shown, and ReadLine prompts again. A handler that ends the
//   process calls RestoreTerminal() first, and main()'s SIGCONT handler calls ResumeEditing().
//   All three are async-signal-safe and callable from any thread; they act on the one reader
//   that exists (Create refuses a second).
// - History file (HistoryFile()): loaded by Create, rewritten after each line entered
//   (libedit's format); its errors are ignored, the history being a comfort.
// - Characters: decoded with the environment's LC_CTYPE, or C.UTF-8 when that is plain ASCII
//   ("C", unset) or missing; for this thread only (uselocale), the process's locale untouched.
// - One thread calls ReadLine; the shell's other output goes to the same terminal through
//   stdio (std::cout is synchronized with it), flushed before each prompt.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "shell/line_reader.h"

namespace memoryfs::shell {

struct EditLineOptions {
  std::string program = "memoryfs";  // libedit's name for this program (~/.editrc sections)
  std::string history_file;          // "": the history stays in memory
  int history_size = 1000;           // lines kept
};

class EditLineReader final : public LineReader {
 public:
  // `in` and `out` must be terminals (kInvalidArgument otherwise) and outlive the reader. A
  // second live reader is kInternal; libedit failing to start, kIOError.
  static Result<std::unique_ptr<EditLineReader>> Create(std::FILE* in, std::FILE* out,
                                                        const EditLineOptions& options);
  // The terminal as Create found it.
  ~EditLineReader() override;

  EditLineReader(const EditLineReader&) = delete;
  EditLineReader& operator=(const EditLineReader&) = delete;

  std::optional<std::string> ReadLine(const std::string& prompt) override;

  // Async-signal-safe. While ReadLine waits for a line, drops the line being typed (ReadLine
  // shows a newline and the prompt again) and returns true; otherwise does nothing and returns
  // false (the caller decides, e.g. to exit as without a reader).
  static bool CancelLine();
  // Async-signal-safe: puts the terminal back in the mode Create found it in (libedit keeps
  // it raw while a line is typed). Nothing when there is no reader.
  static void RestoreTerminal();
  // Async-signal-safe, for SIGCONT: while ReadLine waits, puts libedit's key-by-key mode back
  // (a job-control shell sets its own mode while this one is stopped by Ctrl-Z, and does not
  // restore ours on fg). The line typed so far is kept; it is not redrawn.
  static void ResumeEditing();

 private:
  struct State;
  explicit EditLineReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Whether main() should edit lines: both descriptors are terminals and `env_value`
// (MEMORYFS_LINE_EDITING) is not "0".
bool UseLineEditing(int in_fd, int out_fd, const char* env_value);

// The history file: `memoryfs_history` ($MEMORYFS_HISTORY) when set, "" meaning none; else
// `home`/.memoryfs_history when `home` ($HOME) is set and not empty; else none ("").
std::string HistoryFile(const char* memoryfs_history, const char* home);

}  // namespace memoryfs::shell
