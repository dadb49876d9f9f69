// LineReader: where the shell's command lines come from, and who shows the prompt.
//
// The Shell asks for one line at a time, passing the prompt ("[cwd=N]%"). Two readers exist:
// StreamLineReader (here), today's bytes over any istream (pipes, files, the unit tests), and
// EditLineReader (edit_line_reader.h), libedit line editing for a terminal. One thread calls
// ReadLine; neither reader installs signal handlers.
#pragma once

#include <istream>
#include <optional>
#include <ostream>
#include <string>

namespace memoryfs::shell {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // Shows `prompt`, then reads one line and returns it without its end of line; nullopt at the
  // end of the input (or when it can no longer be read).
  virtual std::optional<std::string> ReadLine(const std::string& prompt) = 0;
};

// The prompt on `out` (no newline, flushed), then std::getline on `in`: exactly the bytes the
// reference shell (Python's input()) shows over a pipe. A last line without a newline is still
// a line. No editing: an escape sequence is just bytes of the line.
class StreamLineReader final : public LineReader {
 public:
  // Both streams must outlive the reader.
  StreamLineReader(std::istream& in, std::ostream& out) : in_(in), out_(out) {}

  std::optional<std::string> ReadLine(const std::string& prompt) override;

 private:
  std::istream& in_;
  std::ostream& out_;
};

}  // namespace memoryfs::shell
