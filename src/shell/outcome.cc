#include "shell/outcome.h"

namespace memoryfs::shell {

std::string ExitStatusHelp() {
  return "Exit status:\n"
         "  0    the shell ended (exit, or the end of its input); with -command, the command\n"
         "       succeeded\n"
         "  1    with -command, the command failed or was refused: it printed an \"Error: ...\"\n"
         "       line (e.g. \"Error: not found\"), or \"command X not valid.\", or a refused\n"
         "       repair, or a scrub left a mismatch unrepaired; also a \"Must specify ...\"\n"
         "       check of the flags, or a device error at start-up\n"
         "  2    with -command, a usage error: a wrong number of arguments, a word that is not\n"
         "       an integer, a number out of the geometry's range, scrub with a word other\n"
         "       than repair; also a malformed flag, or servers refused at start (another\n"
         "       block size, too few blocks, more than one unreachable)\n"
         "  -command status: 0 healthy, 1 degraded, 2 failed\n"
         "  128+N  stopped by signal N (Ctrl-C: 130)\n";
}

}  // namespace memoryfs::shell
