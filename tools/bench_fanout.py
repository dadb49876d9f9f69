#!/usr/bin/env python3
"""The cost of the array's parallel rounds: one round of RPCs to two servers against one RPC,
and the g03 golden workload at N = 4 against N = 1, on an idle machine and with both cores
kept busy by other processes.

Part 1 runs build/bin/memoryfs_bench_fanout against two C++ servers: per repetition it times
single Gets on one server, rounds of two Gets (one per server) through raid::Fanout (lanes on
one thread, one poll loop), and, side by side, the same rounds through the thread-per-server
fan-out it replaced (kept in the benchmark for this comparison). Cells are min / median / max
over the repetitions of each ratio to the single Get of the same repetition. All three spin
up to --spin-us µs before sleeping, as the shell does by default (rpc/poll_wait.h).

Part 2 runs the shell with g03_growth's input on fresh C++ servers, N = 1 and RAID-5 N = 4
alternated, timed from the shell's first prompt (its start-up done) to its exit, the input
written at once; "busy" runs the same with one busy-loop process per core. The shell runs as it
is and with -spin_us 0 (never spinning); with --baseline-build DIR, the shell of that build
(e.g. the commit before) runs side by side in the same run.

    /usr/bin/python3 tools/bench_fanout.py [--repeat 5] [--seconds 1] [--markdown FILE]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
import servers  # noqa: E402
import shells  # noqa: E402
from raid import server_blocks  # noqa: E402
import runs  # noqa: E402

WORKLOAD = "g03_growth"


def micro(pool, seconds, repeat, spin_us):
    """[(single µs, fibers µs, threads µs)] per repetition."""
    a = pool.start("cpp", nb=4, bs=128)
    b = pool.start("cpp", nb=4, bs=128)
    try:
        out = subprocess.run(
            [str(servers.build_dir() / "bin" / "memoryfs_bench_fanout"), str(a.port),
             str(b.port), str(seconds), str(repeat), str(spin_us)],
            capture_output=True, text=True, timeout=60 + 4 * seconds * repeat, check=True)
    finally:
        a.kill()
        b.kill()
    return [tuple(float(x) for x in line.split()) for line in out.stdout.splitlines()]


def one_shell_run(pool, shell, n, golden, extra):
    """Seconds from the shell's first prompt (its start-up done) to its exit, with the
    golden input written at once; its whole output is checked against the golden's."""
    nb = golden.nb if n == 1 else server_blocks(golden.nb, n)
    started = [pool.start("cpp", nb=nb, bs=golden.bs) for _ in range(n)]
    try:
        if n == 1:
            where = ["-port", started[0].port]
        else:
            where = ["-ns", n, "-servers", ",".join("127.0.0.1:%d" % s.port for s in started)]
        shell_proc = shells.InteractiveShell([*where, *golden.args, *extra], program=shell)
        began = time.monotonic()
        shell_proc.proc.stdin.write(golden.stdin)
        shell_proc.proc.stdin.close()
        rest = shell_proc.proc.stdout.read()
        status = shell_proc.proc.wait(600)
        elapsed = time.monotonic() - began
        if status != 0:
            raise runs.RunFailed(runs.describe("%s N=%d" % (shell, n), status, rest,
                                               shell_proc.stderr()))
        if shell_proc.startup + rest != golden.stdout:
            raise runs.RunFailed("%s N=%d: stdout differs from the golden" % (shell, n))
    finally:
        for s in started:
            s.kill()
    return elapsed


class Busy:
    """One busy-loop process per core while in use."""

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                      for _ in range(os.cpu_count() or 2)]
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


def workload(pool, shells_by_name, repeat):
    """times[(build, load, n)] = [net seconds per repetition]."""
    golden = shells.Golden(WORKLOAD)
    times = {}
    for rep in range(repeat):
        for load in ("idle", "busy"):
            ctx = Busy() if load == "busy" else _Idle()
            with ctx:
                for build, (shell, extra) in shells_by_name.items():
                    for n in (1, 4):
                        run = one_shell_run(pool, shell, n, golden, extra)
                        times.setdefault((build, load, n), []).append(run)
                        print("run %d %-4s %-8s N=%d %.3f s" % (rep + 1, load, build, n, run),
                              file=sys.stderr)
    return times


class _Idle:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def ratio_spread(values, base):
    return runs.spread([v / b for v, b in zip(values, base)], 1.0, "%.2f")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="seconds per case of the round benchmark")
    parser.add_argument("--spin-us", type=int, default=30,
                        help="the round benchmark's spin (the shell's -spin_us default: 30)")
    parser.add_argument("--baseline-build", metavar="DIR",
                        help="also run the shell of this build directory, side by side")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables here")
    args = parser.parse_args()
    shells_by_name = {"this": (shells.shell_path(), []),
                      "this, -spin_us 0": (shells.shell_path(), ["-spin_us", 0])}
    if args.baseline_build:
        shells_by_name["baseline"] = (Path(args.baseline_build) / "bin" / "memoryfs_shell_rpc",
                                      [])
    began = time.monotonic()
    with servers.ServerPool() as pool:
        rows = micro(pool, args.seconds, args.repeat, args.spin_us)
        times = workload(pool, shells_by_name, args.repeat)
    took = time.monotonic() - began
    single = [r[0] for r in rows]
    lines = [
        "One round of Get to 2 C++ servers against one Get to one of them, %d repetitions of "
        "%g s per case, spinning up to %d µs before sleeping (µs per call or round; ratios per "
        "repetition, then min / median / max)." % (args.repeat, args.seconds, args.spin_us), "",
        "| fan-out | µs per round | round / single Get |",
        "|---|---:|---:|",
        "| single Get (no fan-out) | %s | 1.00 |" % runs.spread(single, 1.0, "%.1f"),
        "| fiber loop (raid::Fanout) | %s | %s |" % (runs.spread([r[1] for r in rows], 1.0,
                                                                "%.1f"),
                                                    ratio_spread([r[1] for r in rows], single)),
        "| a thread per server (before) | %s | %s |" % (
            runs.spread([r[2] for r in rows], 1.0, "%.1f"),
            ratio_spread([r[2] for r in rows], single)),
        "",
        "%s from the shell's first prompt to its exit (start-up excluded), fresh C++ servers "
        "each run, "
        "%d repetitions, N = 1 and N = 4 alternated; busy: one busy-loop process per core. "
        "Ratio: N = 4 / N = 1 per repetition. The whole run took %.0f s."
        % (WORKLOAD, args.repeat, took), "",
        "| shell | machine | N = 1 (s) | N = 4 (s) | N = 4 / N = 1 | ratio of medians |",
        "|---|---|---:|---:|---:|---:|"]
    for build in shells_by_name:
        for load in ("idle", "busy"):
            one, four = times[(build, load, 1)], times[(build, load, 4)]
            lines.append("| %s | %s | %s | %s | %s | %.2f |" % (
                build, load, runs.spread(one, 1.0, "%.3f"), runs.spread(four, 1.0, "%.3f"),
                ratio_spread(four, one), statistics.median(four) / statistics.median(one)))
    runs.emit(lines, args.markdown)


if __name__ == "__main__":
    main()
