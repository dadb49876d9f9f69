#!/usr/bin/env python3
"""Benchmark: the golden workloads over a simulated network (issue 12, item 5).

Every block server sits behind a tools/latency_proxy.py proxy that delays each direction's
bytes by --delays one-way milliseconds (default 0, 0.25 and 1); the proxies of a run share
one round counter (a *round*: a request sent while no request is in flight at any proxy of
the run, i.e. the workload's dependent round trips). Configurations, alternated within each
repetition so that load on the machine hits them alike:

  N=1            the 2022 shell, one C++ server (the golden .cmdline flags)
  N=1 -cache 1   the same with the 2022 shell's opt-in client block cache
  N=4 RAID-5     the 2022 shell over 4 C++ servers, one proxy per server
  2023 N=1       fsmain (the 2023 edition, which always caches) on the g23 inputs

Each workload (compat_tests/golden/g22/<name>.in, default g01-g04 and g06; the g23 ones for
fsmain) runs on fresh servers, and so does its zero: the same flags with a workload of just
`exit`, whose time and rounds (start-up) are subtracted. Outputs are checked against the
golden stdout. Reported per configuration and delay, summed over the workloads: time minus
start-up (min / median / max over --repeat runs), rounds, RTT = 2 x delay, rounds x RTT, the
ratio time / (rounds x RTT), and the ratio of the time added over the 0 ms run to
rounds x RTT (1.0 means every round costs exactly one RTT more and nothing else does).

Not a test. Usage: tools/bench_latency.py [--delays 0,0.25,1] [--repeat 5]
                   [--workloads g01,g02,g03,g04,g06] [--configs ...] [--markdown FILE]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "compat_tests"))
sys.path.insert(0, str(HERE))
import servers  # noqa: E402
import shells  # noqa: E402
from latency_proxy import LatencyProxy, RoundCounter  # noqa: E402
from raid import server_blocks  # noqa: E402
import runs  # noqa: E402

CONFIGS = {  # name: (golden dir, servers, extra shell flags, program)
    "N=1": (shells.GOLDEN_DIR, 1, [], "shell"),
    "N=1 -cache 1": (shells.GOLDEN_DIR, 1, ["-cache", 1], "shell"),
    "N=4 RAID-5": (shells.GOLDEN_DIR, 4, [], "shell"),
    "2023 N=1 (fsmain)": (shells.GOLDEN23_DIR, 1, [], "fsmain"),
}
DEFAULT_WORKLOADS = "g01,g02,g03,g04,g06"


def golden_by_prefix(directory, prefix):
    names = sorted(p.stem for p in directory.glob(prefix + "*.in"))
    if len(names) != 1:
        raise SystemExit("no single golden workload %s* in %s" % (prefix, directory))
    return shells.Golden(names[0], directory)


def one_run(pool, config, golden, stdin, delay_ms, check):
    """(seconds, rounds, requests) of the shell run with ``stdin`` on fresh servers."""
    directory, n, extra, program = CONFIGS[config]
    path = shells.fsmain_path() if program == "fsmain" else shells.shell_path()
    nb = golden.nb if n == 1 else server_blocks(golden.nb, n)
    started_servers = [pool.start("cpp", nb=nb, bs=golden.bs) for _ in range(n)]
    counter = RoundCounter()
    proxies = [LatencyProxy(("127.0.0.1", s.port), delay_ms, counter).start()
               for s in started_servers]
    try:
        if n == 1:
            where = ["-port", proxies[0].port]
        else:
            where = ["-ns", n, "-servers", ",".join("127.0.0.1:%d" % p.port for p in proxies)]
        args = [*where, *golden.args, *extra]
        started = time.monotonic()
        result = shells.run_shell(args, stdin, timeout=600, program=path)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            raise RuntimeError("%s %s failed: %r" % (config, golden.name, result.stderr[-300:]))
        if check and result.stdout != golden.stdout:
            raise RuntimeError("%s %s: stdout differs from the golden" % (config, golden.name))
        rounds, requests = counter.snapshot()
    finally:
        for p in proxies:
            p.stop()
        for s in started_servers:
            s.kill()
    return elapsed, rounds, requests




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", default="0,0.25,1", help="one-way delays, ms")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workloads", default=DEFAULT_WORKLOADS,
                        help="golden name prefixes, comma-separated")
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help="comma-separated, of: " + ", ".join(CONFIGS))
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables here")
    args = parser.parse_args()
    delays = [float(d) for d in args.delays.split(",")]
    configs = [c.strip() for c in args.configs.split(",")]
    for c in configs:
        if c not in CONFIGS:
            raise SystemExit("unknown configuration %r" % c)
    prefixes = args.workloads.split(",")
    goldens = {c: [golden_by_prefix(CONFIGS[c][0], p) for p in prefixes] for c in configs}
    # results[(config, delay)] = list over repetitions of (net seconds, net rounds, requests)
    results = {(c, d): [] for c in configs for d in delays}
    zeros = {(c, d): [] for c in configs for d in delays}  # start-up: (seconds, rounds)
    per_workload = {(c, d, g.name): [] for c in configs for d in delays for g in goldens[c]}
    began = time.monotonic()
    with servers.ServerPool() as pool:
        for rep in range(args.repeat):
            for d in delays:
                for c in configs:
                    total = [0.0, 0, 0]
                    zero_total = [0.0, 0]
                    for g in goldens[c]:
                        zero = one_run(pool, c, g, b"exit\n", d, check=False)
                        run = one_run(pool, c, g, g.stdin, d, check=True)
                        net = (run[0] - zero[0], run[1] - zero[1], run[2] - zero[2])
                        per_workload[(c, d, g.name)].append(net)
                        for i in range(3):
                            total[i] += net[i]
                        zero_total[0] += zero[0]
                        zero_total[1] += zero[1]
                    results[(c, d)].append(tuple(total))
                    zeros[(c, d)].append(tuple(zero_total))
                    print("run %d  %5.2f ms  %-18s %7.3f s  %5d rounds  %5d requests"
                          % (rep + 1, d, c, total[0], total[1], total[2]), file=sys.stderr)
    took = time.monotonic() - began

    names = ", ".join(g.name for g in goldens[configs[0]])
    lines = [
        "Golden workloads (%s; the g23 inputs for fsmain), each server behind a latency proxy; "
        "time minus start-up (the same flags with a workload of just `exit`), summed over the "
        "workloads, min / median / max of %d runs; rounds: requests sent while none was in "
        "flight at any proxy (start-up's subtracted; the last column is the start-up's, "
        "medians, summed over the workloads). Ratio: median time / (rounds x RTT); "
        "added: (median time - median time at 0 ms) / (rounds x RTT). The whole run took "
        "%.0f s." % (names, args.repeat, took), "",
        "| configuration | one-way delay | time (s) | rounds | requests | RTT (ms) "
        "| rounds x RTT (s) | time / (rounds x RTT) | added / (rounds x RTT) "
        "| start-up: time (s), rounds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in configs:
        zero_median = None
        if 0.0 in delays:
            zero_median = statistics.median(r[0] for r in results[(c, 0.0)])
        for d in delays:
            measured = results[(c, d)]
            times = [r[0] for r in measured]
            rounds = statistics.median(r[1] for r in measured)
            requests = statistics.median(r[2] for r in measured)
            rtt = 2 * d / 1000.0
            ideal = rounds * rtt
            median = statistics.median(times)
            ratio = "%.2f" % (median / ideal) if ideal else "n/a (%.0f µs / round)" % (
                1e6 * median / rounds if rounds else 0)
            added = ("%.2f" % ((median - zero_median) / ideal)
                     if ideal and zero_median is not None else "")
            start_time = statistics.median(z[0] for z in zeros[(c, d)])
            start_rounds = statistics.median(z[1] for z in zeros[(c, d)])
            lines.append("| %s | %g ms | %s | %d | %d | %g | %.3f | %s | %s | %.3f, %d |" % (
                c, d, runs.spread(times, 1.0, "%.3f"), rounds, requests, 2 * d, ideal, ratio,
                added, start_time, start_rounds))
    biggest = max(delays)
    lines += ["", "Per workload at %g ms one way (median time minus start-up, s; rounds):"
              % biggest, "",
              "| workload | " + " | ".join(configs) + " |",
              "|---|" + "---:|" * len(configs)]
    for i, prefix in enumerate(prefixes):
        cells = []
        for c in configs:
            measured = per_workload[(c, biggest, goldens[c][i].name)]
            cells.append("%.3f s, %d" % (statistics.median(r[0] for r in measured),
                                         statistics.median(r[1] for r in measured)))
        lines.append("| %s | %s |" % (goldens[configs[0]][i].name, " | ".join(cells)))
    runs.emit(lines, args.markdown)


if __name__ == "__main__":
    main()
