#include "shell/line_reader.h"

namespace memoryfs::shell {

std::optional<std::string> StreamLineReader::ReadLine(const std::string& prompt) {
  out_ << prompt;
  out_.flush();
  std::string line;
  if (!std::getline(in_, line)) return std::nullopt;
  return line;
}

}  // namespace memoryfs::shell
