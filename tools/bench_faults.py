#!/usr/bin/env python3
"""Benchmark: the cost of degraded mode and the latency of failure detection, RAID-5 over C++
servers on loopback, with the real shell (memoryfs_shell_rpc).

1. Degraded-mode cost, for each N of --n: `cat` of a file of --file-blocks blocks and an
   `append` of one block to it, on a healthy array and on one whose data server 1 was
   SIGKILLed and already marked failed by the shell (a probe command printed
   SERVER_DISCONNECTED), both on fresh arrays in the same state, alternated over --repeat
   runs. Per command: RPCs served (Get+Put+RSM+metadata, the live servers' Stats before and
   after it) and wall time (command sent to next prompt). The shell runs with -timeout
   --shell-timeout-ms (default 30000): a dead server refuses connections at once, so the
   timeout only keeps a loaded machine from failing a healthy server.
2. Failure-detection latency, N = --detect-n: from the SIGKILL (or SIGSTOP) of server 1 to
   the shell's `SERVER_DISCONNECTED` line on the next command (`cat` of the file, sent right
   after the signal), for each shell -timeout of --timeouts. A killed server is detected by the
   refused connection, a stopped one only by the timeout.

min / median / max over --repeat runs, printed as Markdown (--markdown FILE also writes it).
A run that fails (a server does not start, the shell exits or prints an Error line, a healthy
server reported failed) is run again up to --retries times with its reason printed.
Not a test: wall times on a shared 2-core machine are noisy; compare the columns of one run.

Usage: tools/bench_faults.py [--n 4,8] [--repeat 5] [--timeouts 200,1000] [--detect-n 4]
                             [--file-blocks 12] [--markdown FILE] [--retries 2]
                             [--shell-timeout-ms 30000] [--shell PROGRAM]
"""

import argparse
import os
import re
import signal
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import runs  # noqa: E402
import servers  # noqa: E402
from raid import RaidServers, first_block_on  # noqa: E402

BS = 128
FS = ["-is", 128, "-ni", 16, "-cid", 0]  # 29 block pointers per inode
VICTIM = 1  # a data (and parity) server; server 0 holds the lock
EVENT = re.compile(rb"SERVER_DISCONNECTED (GET|PUT|RSM) (\d+)")
RUN = types.SimpleNamespace(program=None, timeout_ms=runs.DEFAULT_SHELL_TIMEOUT_MS,
                            retrier=runs.Retrier())


def content(blocks, letter="a"):
    """A file's text: no spaces, exactly ``blocks`` blocks."""
    unit = "%s0123456789-" % letter
    return (unit * (blocks * BS // len(unit) + 1))[:blocks * BS]


class Array:
    """A fresh RAID-5 array of n C++ servers with one file f of file_blocks blocks, and a
    shell on it (-timeout timeout_ms)."""

    def __init__(self, pool, n, file_blocks, timeout_ms):
        self.n = n
        self.raid = RaidServers(pool, n, BS * (n - 1), BS)
        self.shell = None
        self.shell = runs.ToolShell(self.raid.shell_args(*FS, "-timeout", timeout_ms),
                                    program=RUN.program, prompt_timeout=120,
                                    what="RAID-5 shell, N=%d" % n)
        self.text = content(file_blocks).encode()
        self.shell.send("create f", errors=True)
        self.shell.send("append f %s" % self.text.decode(), errors=True)
        self.alive = list(range(n))

    def served(self):
        """RPCs served so far by the live servers (Get+Put+RSM+metadata)."""
        total = 0
        for i in self.alive:
            s = self.raid.servers[i].proxy().Stats()
            total += sum(int(s.get(k, 0)) for k in ("Get", "Put", "RSM", "meta"))
        return total

    def timed(self, line):
        """(output, wall seconds, RPCs served) of one command."""
        before = self.served()
        started = time.monotonic()
        out = self.shell.send(line, errors=True)
        elapsed = time.monotonic() - started
        return out, elapsed, self.served() - before

    def victim_block(self):
        """A virtual block of the victim server that is file-system metadata (the bitmap or
        the inode table): reading it does not change what the measured commands do."""
        return first_block_on(VICTIM, self.n, 18)

    def expect_event(self, out, what):
        events = [m.group(0).decode() for m in EVENT.finditer(out)]
        if events != ["SERVER_DISCONNECTED %s %d" % (m.group(1).decode(), VICTIM)
                      for m in EVENT.finditer(out)] or len(events) != 1:
            raise runs.RunFailed(runs.describe(what, self.shell.proc.poll(), out,
                                               self.shell.stderr(),
                                               "expected one SERVER_DISCONNECTED of server %d, "
                                               "got %s" % (VICTIM, events or "none")))

    def fail_victim(self):
        """SIGKILL server VICTIM and let the shell mark it failed."""
        self.raid.servers[VICTIM].kill()
        self.alive.remove(VICTIM)
        out = self.shell.send("showblockslice %d 0 1" % self.victim_block())
        self.expect_event(out, "probe of the killed server")

    def close(self):
        if self.shell is not None:
            self.shell.kill()
        for s in self.raid.servers:
            s.kill()


def cost_run(pool, n, file_blocks, degraded):
    """{"cat": (s, rpcs), "append": (s, rpcs)} on a fresh array, degraded or healthy."""
    array = Array(pool, n, file_blocks, RUN.timeout_ms)
    try:
        if degraded:
            array.fail_victim()
        out, cat_s, cat_rpcs = array.timed("cat f")
        if not out.startswith(array.text):
            raise RuntimeError("cat read back wrong bytes (degraded=%s)" % degraded)
        out, append_s, append_rpcs = array.timed("append f %s" % content(1, "z"))
        if EVENT.search(out):
            raise runs.RunFailed(runs.describe("append", None, out, array.shell.stderr(),
                                               "a server failed during the measurement"))
        array.shell.close()
        return {"cat": (cat_s, cat_rpcs), "append": (append_s, append_rpcs)}
    finally:
        array.close()


def bench_cost(pool, n, file_blocks, repeat):
    """{(command, state): ([seconds], [rpcs])}, healthy and degraded runs alternated."""
    results = {}
    for _ in range(repeat):
        for state in ("healthy", "degraded"):
            label = "N=%d, %s" % (n, state)
            measured = RUN.retrier.run(label, cost_run, pool, n, file_blocks,
                                       state == "degraded")
            for command, (seconds, rpcs) in measured.items():
                times, counts = results.setdefault((command, state), ([], []))
                times.append(seconds)
                counts.append(rpcs)
    return results


def detect_run(pool, n, file_blocks, timeout_ms, fault):
    """Seconds from the signal to the SERVER_DISCONNECTED line of the next command."""
    array = Array(pool, n, file_blocks, timeout_ms)
    try:
        victim = array.raid.servers[VICTIM]
        if fault == "kill":
            victim.kill()
        else:
            victim.send_signal(signal.SIGSTOP)
        signalled = time.monotonic()
        array.shell.write("cat f")
        array.shell.wait_for(b"SERVER_DISCONNECTED")
        latency = time.monotonic() - signalled
        out = array.shell.wait_prompt()
        array.expect_event(out, "cat f after SIG%s" % fault.upper())
        if not EVENT.sub(b"", out).replace(b"\n", b"").startswith(array.text):
            raise RuntimeError("cat after SIG%s read back wrong bytes" % fault.upper())
        return latency
    finally:
        array.close()


def bench_detection(pool, n, file_blocks, timeouts, repeat):
    """{(fault, timeout_ms): [seconds]}."""
    results = {}
    for _ in range(repeat):
        for timeout_ms in timeouts:
            for fault in ("kill", "stop"):
                label = "detect %s, -timeout %d" % (fault, timeout_ms)
                latency = RUN.retrier.run(label, detect_run, pool, n, file_blocks, timeout_ms,
                                          fault)
                results.setdefault((fault, timeout_ms), []).append(latency)
    return results




def counts(values):
    low, high = min(values), max(values)
    return "%d" % low if low == high else "%d-%d" % (low, high)


def millis(seconds):
    """"min / median / max" of durations in seconds, shown in ms."""
    return runs.spread(seconds, 1000.0, "%.1f")


def cost_lines(cost, repeat, file_blocks):
    lines = ["| N | command | RPCs, healthy | RPCs, degraded | RPC ratio | time healthy (ms) "
             "min / median / max | time degraded (ms) min / median / max | time ratio "
             "(medians) |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for n, results in cost:
        for command, shown in (("cat", "`cat` of %d blocks" % file_blocks),
                               ("append", "`append` of 1 block")):
            h_times, h_rpcs = results[(command, "healthy")]
            d_times, d_rpcs = results[(command, "degraded")]
            lines.append("| %d | %s | %s | %s | %.2f | %s | %s | %.2f |" % (
                n, shown, counts(h_rpcs), counts(d_rpcs),
                statistics.median(d_rpcs) / statistics.median(h_rpcs), millis(h_times),
                millis(d_times), statistics.median(d_times) / statistics.median(h_times)))
    return lines + ["", "Degraded: server %d SIGKILLed and marked failed by the shell before "
                    "the measured commands; RPCs are those the live servers served (their "
                    "`Stats`: Get, Put, RSM and metadata requests); %d runs of each state, "
                    "alternated, each on a fresh array." % (VICTIM, repeat), ""]


def detection_lines(detection, n, repeat):
    lines = ["| fault (server %d of N=%d) | shell -timeout (ms) | time to SERVER_DISCONNECTED "
             "(ms) min / median / max | runs |" % (VICTIM, n), "|---|---:|---:|---:|"]
    for (fault, timeout_ms), values in sorted(detection.items(), key=lambda kv: kv[0]):
        lines.append("| SIG%s | %d | %s | %d |" % (fault.upper(), timeout_ms, millis(values),
                                                   len(values)))
    return lines + ["", "From the signal to the line, the next command (`cat` of the file) "
                    "sent right after the signal.", ""]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ints = lambda text: [int(x) for x in text.split(",") if x]
    parser.add_argument("--n", type=ints, default=[4, 8], help="array sizes (default 4,8)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--timeouts", type=ints, default=[200, 1000],
                        help="shell -timeout values for detection (default 200,1000)")
    parser.add_argument("--detect-n", type=int, default=4, help="N of the detection runs")
    parser.add_argument("--file-blocks", type=int, default=12, help="blocks of the file")
    parser.add_argument("--markdown", metavar="FILE")
    runs.add_arguments(parser)
    args = parser.parse_args(argv)
    if any(n < 3 for n in args.n + [args.detect_n]):
        parser.error("RAID-5 needs N >= 3")
    if not 1 <= args.file_blocks <= 28:
        parser.error("--file-blocks must be 1..28 (29 block pointers per inode)")
    return args


def main(argv=None):
    args = parse_args(argv)
    runs.configure(RUN, args)
    for binary in (servers.cpp_server_path(), RUN.program):
        if not runs.executable(binary):
            print("bench_faults: not built: %s" % binary, file=sys.stderr)
            return 2
    try:
        with servers.ServerPool() as pool:
            cost = [(n, bench_cost(pool, n, args.file_blocks, args.repeat)) for n in args.n]
            detection = bench_detection(pool, args.detect_n, args.file_blocks, args.timeouts,
                                        args.repeat)
    except runs.RunFailed as failure:
        print("bench_faults: %s\n%s" % (failure, RUN.retrier.summary()), file=sys.stderr)
        return 1
    lines = cost_lines(cost, args.repeat, args.file_blocks)
    lines += detection_lines(detection, args.detect_n, args.repeat)
    lines.append("C++ servers on loopback, -bs %d, %d CPUs; measurement shells -timeout %d ms. "
                 "%s" % (BS, os.cpu_count(), args.shell_timeout_ms, RUN.retrier.summary()))
    runs.emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
