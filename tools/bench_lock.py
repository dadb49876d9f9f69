#!/usr/bin/env python3
"""Benchmark: what the array's lock and records cost per command, two shells side by side.

For each shell given (``--shell``, and optionally ``--before``: another build's shell, on
this build's servers, which answer every older client as before), N in ``--sizes`` (1 is the single-server mode) and each command of a fixed set (a
1-block ``cat``, an ``append``, a ``create``, an ``ls``):

- calls: the XML-RPC calls the command sent, counted by a forwarder in front of every server;
- rounds: how many times the shell waited for the network, i.e. the groups of calls that
  overlap in time (calls in flight at once form one round; a call that starts after every
  earlier one ended starts a new one);
- servers: how many servers the command touched;
- wall time: min/median/max over --repeat commands sent to the servers directly (no
  forwarder), and the ratio of medians between the two shells.

Not a test: wall-clock figures on a shared 2-core machine vary; the calls and rounds do not.
Usage: tools/bench_lock.py [--shell BIN] [--before BIN] [--sizes 1,4,8] [--repeat 15]
                           [--markdown FILE]
"""

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "compat_tests"))
sys.path.insert(0, str(ROOT / "tools"))
import servers  # noqa: E402
import shells  # noqa: E402
from conformance_kit.proxy import Forwarder  # noqa: E402

BS = 128
NB = 384
FS = ["-is", 64, "-ni", 32, "-cid", 0]
COMMANDS = (("cat (1 block)", "cat small"), ("append", "append big 0123456789"),
            ("create", "create n{i}"), ("ls", "ls"))


class TimingProxy(Forwarder):
    """Forwards every call and records (start, end) of each, with the server's index."""

    def __init__(self, upstream_port, index, log, lock):
        super().__init__(upstream_port, lambda method, params: None)
        self.index, self.log, self.lock = index, log, lock

    def exchange(self, path, body, headers=None):
        start = time.monotonic()
        try:
            return super().exchange(path, body, headers)
        finally:
            with self.lock:
                self.log.append((start, time.monotonic(), self.index))


def rounds_of(calls):
    """Groups of calls that overlap in time."""
    rounds, end = 0, None
    for start, stop, _ in sorted(calls):
        if end is None or start > end:
            rounds += 1
            end = stop
        else:
            end = max(end, stop)
    return rounds


class Array:
    """N servers of one binary, optionally each behind a TimingProxy, and a shell on them."""

    def __init__(self, pool, shell_bin, n, timed):
        self.log, self.lock, self.proxies = [], threading.Lock(), []
        blocks = NB if n == 1 else -(-NB // (n - 1))
        self.servers = [pool.start("cpp", nb=blocks, bs=BS) for _ in range(n)]
        ports = [s.port for s in self.servers]
        if timed:
            self.proxies = [TimingProxy(p, i, self.log, self.lock).start()
                            for i, p in enumerate(ports)]
            ports = [p.port for p in self.proxies]
        where = (["-port", ports[0]] if n == 1 else
                 ["-ns", n, "-servers", ",".join("127.0.0.1:%d" % p for p in ports)])
        self.shell = shells.InteractiveShell([*where, "-nb", NB, "-bs", BS, *FS],
                                             program=shell_bin)
        self.shell.send("create small")
        self.shell.send("append small abc")
        self.shell.send("create big")

    def command(self, line):
        with self.lock:
            del self.log[:]
        started = time.monotonic()
        out = self.shell.send(line)
        elapsed = time.monotonic() - started
        assert b"Error" not in out, out
        with self.lock:
            calls = list(self.log)
        return elapsed, calls

    def close(self):
        self.shell.close()
        for proxy in self.proxies:
            proxy.stop()


def measure(pool, shell_bin, n, repeat):
    """{command: (calls, rounds, servers, [seconds...])}."""
    results = {}
    timed = Array(pool, shell_bin, n, timed=True)
    counts = {}
    for name, line in COMMANDS:
        _, calls = timed.command(line.format(i=0))
        counts[name] = (len(calls), rounds_of(calls), len({c[2] for c in calls}))
    timed.close()
    direct = Array(pool, shell_bin, n, timed=False)
    for name, line in COMMANDS:
        times = [direct.command(line.format(i=i + 1))[0] for i in range(repeat)]
        results[name] = (*counts[name], times)
    direct.close()
    return results


def spread(times):
    ms = [t * 1000 for t in times]
    return "%.2f / %.2f / %.2f" % (min(ms), statistics.median(ms), max(ms))


def table(results, sizes, names):
    lines = ["| command | N | " + " | ".join("calls %s | rounds %s | servers %s | ms %s" %
                                           (w, w, w, w) for w in names) + " | median ratio |",
             "|---|---|" + "---|---|---|---|" * len(names) + "---|"]
    for name, _ in COMMANDS:
        for n in sizes:
            cells, medians = [], []
            for who in names:
                calls, rounds, touched, times = results[who][n][name]
                cells.append("%d | %d | %d | %s" % (calls, rounds, touched, spread(times)))
                medians.append(statistics.median(times))
            ratio = "%.2f" % (medians[-1] / medians[0]) if len(medians) == 2 else "-"
            lines.append("| %s | %d | %s | %s |" % (name, n, " | ".join(cells), ratio))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shell", default=str(shells.shell_path()))
    parser.add_argument("--before", help="another shell binary to compare with")
    parser.add_argument("--sizes", default="1,4,8")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--markdown", metavar="FILE")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    builds = [("after", args.shell)]
    if args.before:
        builds.insert(0, ("before", args.before))
    results = {}
    with servers.ServerPool() as pool:
        for who, shell_bin in builds:
            results[who] = {n: measure(pool, shell_bin, n, args.repeat) for n in sizes}
    text = table(results, sizes, [who for who, _ in builds])
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")


if __name__ == "__main__":
    main()
