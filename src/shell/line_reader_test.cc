#include "shell/line_reader.h"

#include <doctest/doctest.h>

#include <sstream>

namespace memoryfs::shell {
namespace {

TEST_CASE("StreamLineReader: the prompt without a newline, then each line without its own") {
  std::istringstream in("create a\n\n  ls  \n\x1b[A\nlast");
  std::ostringstream out;
  StreamLineReader reader(in, out);
  CHECK(reader.ReadLine("[cwd=0]%") == "create a");
  CHECK(out.str() == "[cwd=0]%");
  CHECK(reader.ReadLine("[cwd=0]%") == "");
  CHECK(reader.ReadLine("[cwd=3]%") == "  ls  ");
  CHECK(reader.ReadLine("[cwd=3]%") == "\x1b[A");  // no editing: the bytes as typed
  CHECK(reader.ReadLine("[cwd=3]%") == "last");    // a last line without a newline
  CHECK(reader.ReadLine("[cwd=3]%") == std::nullopt);
  CHECK(out.str() == "[cwd=0]%[cwd=0]%[cwd=3]%[cwd=3]%[cwd=3]%[cwd=3]%");
}

// A stream buffer that records what was written and what had been flushed at each sync().
class RecordingBuffer : public std::stringbuf {
 public:
  std::string flushed;

 protected:
  int sync() override {
    flushed = str();
    return 0;
  }
};

TEST_CASE("StreamLineReader: the prompt is flushed before the line is read") {
  RecordingBuffer buffer;
  std::ostream out(&buffer);
  std::istringstream in("x\n");
  StreamLineReader reader(in, out);
  REQUIRE(reader.ReadLine("[cwd=0]%") == "x");
  CHECK(buffer.flushed == "[cwd=0]%");
}

TEST_CASE("StreamLineReader: empty input is the end at once, after the prompt") {
  std::istringstream in("");
  std::ostringstream out;
  StreamLineReader reader(in, out);
  CHECK(reader.ReadLine("[cwd=0]%") == std::nullopt);
  CHECK(out.str() == "[cwd=0]%");
}

}  // namespace
}  // namespace memoryfs::shell
