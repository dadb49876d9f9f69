// Command-line helpers shared by both programs: argparse-style single-dash long options
// (`-nb 256`), GNU long forms (`--nb=256`), an optional INI file named by `-config` whose keys
// are the same names (the command line wins), and integer values checked with clear errors.
// Every value is declared as a string and converted here, so that every bad value gets one
// uniform message naming the flag. Nothing here exits or throws.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>

#include "core/status.h"

namespace memoryfs::flags {

namespace po = boost::program_options;

// Parses argv against desc, then the file of `-config` (if desc has "config" and it is set).
// Unknown flags, missing values and unreadable config files are kInvalidArgument.
Status Parse(int argc, const char* const* argv, const po::options_description& desc,
             po::variables_map* vm);

// The integer value of flag `name`, or nullopt when absent. A value that is not an integer
// in [min, max] is kInvalidArgument: "invalid value 'x' for -name: expected an integer in
// [min, max]".
Result<std::optional<long long>> Int(const po::variables_map& vm, const std::string& name,
                                     long long min, long long max);

// The string value of flag `name`, or `fallback`.
std::string String(const po::variables_map& vm, const std::string& name,
                   const std::string& fallback);

}  // namespace memoryfs::flags
