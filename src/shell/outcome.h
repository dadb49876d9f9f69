// Outcome: what one command of the shell came to, as a value. The one source of -command's exit
// status (Shell::RunCommand) and of the "Exit status:" section of both programs' --help
// (ExitStatusHelp, which help2man makes the man pages' EXIT STATUS).
//
// The shell records it where it prints the command's answer (Shell::Usage, Shell::Fail,
// Shell::PrintError); the bytes printed are the same either way, and the interactive shell
// ignores it. The rule:
//   kOk      the command did what it was asked. Also `help`, `exit`, an empty line, a degraded
//            array (a failed server is reported, the command still succeeds), a CORRUPTED_BLOCK
//            that was rebuilt, and a warning on stderr after the command (the array could not
//            publish its state): the command's own work was done.
//   kFailed  the line was well formed but the command was not done, or found a problem:
//            - any "Error: ..." line of the file system ("Error: not found", "not a directory",
//              "not a file", no free block or inode...) or of a device ("Error: UNAVAILABLE:
//              ..."), the lock not taken, the lock not released;
//            - "command X not valid." (no such command here), `help X` of no such command;
//            - a refused `repair` (whatever the reason, the id's range included: the array
//              judges it), a `scrub` that leaves a mismatch unrepaired (`scrub` finding any,
//              `scrub repair` one it cannot repair);
//            - `load` of a missing, unreadable or malformed file, `save` that cannot write;
//            - a `cluster` command that exited non-zero.
//   kUsage   the line itself is wrong, whatever the file system or the array holds: a wrong
//            number of arguments ("Error: cat requires one argument"), a word that is not an
//            integer where one is expected ("Error: abc not a valid Integer"), a number outside
//            the range the geometry fixes (showblock, showinode, showblockslice), `scrub` with a
//            word other than `repair`, `help` with more than one word.
// `status` has its own exit status (0 healthy, 1 degraded, 2 failed; shell/status.h); a usage
// error of `status` itself is kUsage (2).
#pragma once

#include <string>

namespace memoryfs::shell {

// The values are the exit statuses.
enum class Outcome { kOk = 0, kFailed = 1, kUsage = 2 };

// The one that says more: kUsage over kFailed over kOk.
constexpr Outcome Worse(Outcome a, Outcome b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// The "Exit status:" section of --help (after the options), for memoryfs_shell_rpc and fsmain:
// the outcomes above, `status`'s own values, and the statuses of the start-up and of signals.
std::string ExitStatusHelp();

}  // namespace memoryfs::shell
