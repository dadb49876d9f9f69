"""Runs that survive a busy machine: shared by the measurement tools (bench_raid.py,
bench_server.py, load_analysis.py, bench_faults.py; spread and emit by the benchmarks too).

* ``RunFailed``: a run that did not complete, with the reason as text: the exit status, the
  last lines of stderr and of stdout (never a bytes repr of a whole output).
* ``describe(...)`` builds that text; ``shell_failure(shell, what)`` builds it for an
  InteractiveShell (its status, its stderr, what it printed since the last prompt).
* ``Retrier``: runs a measurement, and when it raises RunFailed (or a server does not start)
  logs the reason and runs it again, at most ``retries`` more times; it counts the retries so
  that a tool can print how many of its runs were retried.
* ``ToolShell``: shells.InteractiveShell with a configurable prompt timeout whose failures
  are RunFailed with the reason.
* ``spread(values)``: "min / median / max" of repeated measurements; ``emit(lines, path)``:
  a tool's table printed, and written to its ``--markdown`` file when given.

Timeouts sized for measurement: the tools pass the shell ``-timeout MS`` (``--shell-timeout-ms``,
default DEFAULT_SHELL_TIMEOUT_MS) so that a loaded machine makes a run slower, not failed.
"""

import os
import re
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
import servers  # noqa: E402
import shells  # noqa: E402

DEFAULT_SHELL_TIMEOUT_MS = 30000  # the shell's per-RPC timeout (its default, 1000, is a
                                  # failure detector: too short for a loaded machine)
DEFAULT_RETRIES = 2
TAIL_LINES = 5
TAIL_WIDTH = 160


# An error of the device, not of the file system (Error: UNAVAILABLE: ... timed out after 1000
# ms): fatal to a measurement even where the workload expects Error: ERROR_... lines.
STATUS_ERROR = re.compile(rb"Error: (?!ERROR_)[A-Z_]{4,}: [^\n]*")


def spread(values, scale=1.0, fmt="%.0f"):
    """"min / median / max" of values * scale, each formatted with fmt."""
    return " / ".join(fmt % (v * scale)
                      for v in (min(values), statistics.median(values), max(values)))


def emit(lines, markdown=None):
    """Prints a tool's result (lines of Markdown) and writes it to `markdown` when given."""
    text = "\n".join(lines) + "\n"
    print(text)
    if markdown:
        Path(markdown).write_text(text)


class RunFailed(RuntimeError):
    """A run did not complete; str() is the reason (status, stderr and stdout tails)."""


def _text(data):
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def tail(data, lines=TAIL_LINES, width=TAIL_WIDTH):
    """The last ``lines`` non-empty lines of ``data`` (bytes or str), each cut to ``width``
    characters, indented; "(empty)" when there is nothing."""
    kept = [line for line in _text(data).splitlines() if line.strip()][-lines:]
    if not kept:
        return "    (empty)"
    cut = lambda line: line if len(line) <= width else line[:width] + "... (%d chars)" % len(line)
    return "\n".join("    " + cut(line) for line in kept)


def status_text(returncode):
    if returncode is None:
        return "the process is still running"
    if returncode < 0:
        return "killed by signal %d" % -returncode
    return "exit status %d" % returncode


def describe(what, returncode=None, stdout=None, stderr=None, note=None):
    """One failure, as text: what failed and why, then the tails of stderr and stdout."""
    head = "%s failed: %s" % (what, status_text(returncode))
    if note:
        head += "; " + note
    return "%s\n  stderr (last lines):\n%s\n  stdout (last lines):\n%s" % (
        head, tail(stderr), tail(stdout))


def check_completed(what, result, errors=True):
    """Raise RunFailed for a CompletedProcess that exited non-zero or printed an Error line
    (with ``errors``) or a device error (STATUS_ERROR, always); return it otherwise."""
    stdout = _text(result.stdout)
    if errors:
        error_lines = [line for line in stdout.splitlines() if "Error" in line]
    else:
        error_lines = [m.group(0).decode("utf-8", "replace")
                       for m in STATUS_ERROR.finditer(stdout.encode())]
    if result.returncode != 0 or error_lines:
        note = None
        if error_lines:
            note = "it printed %d Error line(s), the first: %s" % (
                len(error_lines), error_lines[0][:TAIL_WIDTH])
        raise RunFailed(describe(what, result.returncode, result.stdout, result.stderr, note))
    return result


def shell_failure(shell, what, note=None):
    """RunFailed describing an InteractiveShell that failed (its status, stderr, output)."""
    return RunFailed(describe(what, shell.proc.poll(), shell.buffer, shell.stderr(), note))


class Retrier:
    """Runs measurements with bounded retries and counts them."""

    def __init__(self, retries=DEFAULT_RETRIES, log=None):
        self.retries = retries
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.retried = []  # (label, reason) of every failed attempt that was retried

    def run(self, label, function, *args, **kwargs):
        """function(*args, **kwargs), again after a RunFailed or ServerStartError, at most
        ``retries`` more times; the last failure propagates as RunFailed."""
        for attempt in range(self.retries + 1):
            try:
                return function(*args, **kwargs)
            except (RunFailed, servers.ServerStartError) as failure:
                if attempt == self.retries:
                    raise RunFailed("%s: gave up after %d attempt(s); the last one:\n%s"
                                    % (label, attempt + 1, failure)) from None
                self.retried.append((label, str(failure)))
                self.log("%s: attempt %d of %d failed, retrying:\n%s"
                         % (label, attempt + 1, self.retries + 1, failure))
        raise AssertionError("unreachable")

    def summary(self):
        """"Retried runs: 0." or "Retried runs: 2 (label x2)."."""
        if not self.retried:
            return "Retried runs: 0."
        counts = {}
        for label, _ in self.retried:
            counts[label] = counts.get(label, 0) + 1
        return "Retried runs: %d (%s)." % (len(self.retried), ", ".join(
            "%s x%d" % item for item in counts.items()))


class ToolShell(shells.InteractiveShell):
    """An InteractiveShell whose prompt timeout is ``prompt_timeout`` seconds and whose failures
    (exit, no prompt in time) raise RunFailed naming the status, stderr and output."""

    def __init__(self, args, program=None, prompt_timeout=120.0, what="shell"):
        self.prompt_timeout = prompt_timeout
        self.what = what
        self.buffer = b""
        self.proc = None
        self._stderr_done = threading.Event()
        try:
            super().__init__(args, program=program)
        except AssertionError as e:
            raise self._failure(str(e).split(";")[0]) from None

    def _drain_stderr(self):
        try:
            super()._drain_stderr()
        finally:
            self._stderr_done.set()

    def _failure(self, note):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            self._stderr_done.wait(5)  # everything it wrote on stderr, for the reason
        return shell_failure(self, self.what, note)

    def wait_prompt(self, timeout=None):
        try:
            return super().wait_prompt(self.prompt_timeout if timeout is None else timeout)
        except AssertionError as e:
            raise self._failure(str(e).split(";")[0]) from None

    def wait_for(self, text, timeout=None):
        try:
            return super().wait_for(text, self.prompt_timeout if timeout is None else timeout)
        except AssertionError as e:
            raise self._failure(str(e).split(";")[0]) from None

    def send(self, line, errors=False):
        """The command's output; with ``errors``, an Error line in it is a RunFailed."""
        try:
            self.write(line)
        except OSError as e:
            raise self._failure("could not send %r: %s" % (line[:40], e)) from None
        out = self.wait_prompt()
        if errors and b"Error" in out:
            first = next(l for l in out.decode("utf-8", "replace").splitlines() if "Error" in l)
            raise RunFailed(describe(self.what + ": command %r" % line[:40], self.proc.poll(),
                                     out, self.stderr(), "it printed: " + first[:TAIL_WIDTH]))
        return out

    def close(self, timeout=30):
        """exit; RunFailed if it does not exit with status 0 within ``timeout`` s."""
        try:
            self.proc.stdin.write(b"exit\n")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            status = self.proc.wait(timeout)
        except Exception:  # subprocess.TimeoutExpired
            raise self._failure("did not exit within %d s of 'exit'" % timeout) from None
        if status != 0:
            raise shell_failure(self, self.what, "after 'exit'")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def add_arguments(parser, shell=True):
    """The flags every measurement tool shares: --retries, and (with ``shell``) --shell-timeout-ms
    and --shell (the shell program, for tests: e.g. a script that fails once)."""
    parser.add_argument("--retries", type=int, default=DEFAULT_RETRIES,
                        help="runs that fail (a timeout, a crash, an Error line) are run again "
                             "up to this many times (default %(default)s)")
    if shell:
        parser.add_argument("--shell-timeout-ms", type=int, default=DEFAULT_SHELL_TIMEOUT_MS,
                            metavar="MS", help="the shell's -timeout MS, its per-RPC timeout "
                            "(default %(default)s: sized for a loaded machine)")
        parser.add_argument("--shell", metavar="PROGRAM", default=None,
                            help="the shell program (default: the build's memoryfs_shell_rpc)")


def configure(run, args):
    """Sets how a tool runs its shells, from the flags of add_arguments: ``run.program``
    (shell_program), ``run.timeout_ms`` (--shell-timeout-ms) and ``run.retrier`` (a Retrier
    of --retries)."""
    run.program = shell_program(args)
    run.timeout_ms = args.shell_timeout_ms
    run.retrier = Retrier(args.retries)


def shell_program(args):
    """The shell program the tool runs: --shell, or the build's memoryfs_shell_rpc."""
    return Path(args.shell).resolve() if getattr(args, "shell", None) else shells.shell_path()


def executable(path):
    return Path(path).is_file() and os.access(path, os.X_OK)
