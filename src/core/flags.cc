#include "core/flags.h"

#include <charconv>
#include <fstream>

namespace memoryfs::flags {

Status Parse(int argc, const char* const* argv, const po::options_description& desc,
             po::variables_map* vm) {
  try {
    namespace cls = po::command_line_style;
    const int style = cls::unix_style | cls::allow_long_disguise;
    po::store(po::command_line_parser(argc, argv).options(desc).style(style).run(), *vm);
    if (desc.find_nothrow("config", false) != nullptr && vm->count("config")) {
      const std::string path = (*vm)["config"].as<std::string>();
      std::ifstream in(path);
      if (!in) return Status::Error(Code::kInvalidArgument, "cannot read config file " + path);
      po::store(po::parse_config_file(in, desc, /*allow_unregistered=*/false), *vm);
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    return Status::Error(Code::kInvalidArgument, e.what());
  }
  return Status::Ok();
}

Result<std::optional<long long>> Int(const po::variables_map& vm, const std::string& name,
                                     long long min, long long max) {
  if (!vm.count(name)) return std::optional<long long>();
  const std::string text = vm[name].as<std::string>();
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return Status::Error(Code::kInvalidArgument, "invalid value '" + text + "' for -" + name +
                                                     ": expected an integer in [" +
                                                     std::to_string(min) + ", " +
                                                     std::to_string(max) + "]");
  }
  return std::optional<long long>(value);
}

std::string String(const po::variables_map& vm, const std::string& name,
                   const std::string& fallback) {
  return vm.count(name) ? vm[name].as<std::string>() : fallback;
}

}  // namespace memoryfs::flags
