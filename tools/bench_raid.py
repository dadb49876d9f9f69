#!/usr/bin/env python3
"""Benchmark: the RAID-5 array against the single-server mode, in one run.

1. A fixed file-system workload (create F files, append to each, cat each) run by our shell
   (build/bin/memoryfs_shell_rpc) against: one C++ server, one Python reference server, RAID-5
   over N C++ servers, RAID-5 over N Python reference servers. Reports wall time, RPCs (from
   the servers' Stats where available) and the ratio to the single C++ server.
2. The cost of the array's records (member records, the recorded lock, write intent) on the
   healthy path: the same workload over N C++ servers with their records and with
   `-no_metadata` (the servers then answer like the Python server and the shell falls back
   to plain RSM/Put), alternated over --repeat runs; RPCs per command and min/median/max wall
   time of each, and the ratio of the medians.
3. The 2022 shell's opt-in block cache (`-cache 1`): every g22 golden workload on one C++
   server with and without it (outputs checked equal); RPCs and median wall time of 3 runs.
4. Repair speed: RAID-5 over N C++ servers of B blocks each; one server is killed, restarted
   blank and rebuilt with `repair`; reports blocks/s, beside the single server's raw block
   write rate measured with `load` of the same number of blocks in the same run.

Not a test: wall-clock numbers on a shared 2-core machine vary by about +-20%.
On a loaded machine: the shell runs with `-timeout --shell-timeout-ms` (default 30000, so a
slow reply is waited for rather than counted as a failed server), a run that fails anyway (an
exit status, an Error or SERVER_DISCONNECTED line, a server that does not start) is run again
up to --retries times (default 2), the reason of every failure is printed (status, stderr and
stdout tails) and the output says how many runs were retried.
Usage: tools/bench_raid.py [--n 4] [--files 20] [--repeat 5] [--repair-blocks 2048]
                          [--markdown FILE] [--sections workload,records,cache,repair]
                          [--cache-repeat 3] [--cache-cases g01_basic,...]
                          [--retries 2] [--shell-timeout-ms 30000] [--shell PROGRAM]
"""

import argparse
import os
import types
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
import servers  # noqa: E402
import shells  # noqa: E402
from raid import RaidServers  # noqa: E402
from trace_proxy import TraceProxy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import runs  # noqa: E402

BS = 128
FS = ["-is", 64, "-ni", 32, "-cid", 0]
SECTIONS = ("workload", "records", "cache", "repair")
EVENTS = (b"SERVER_DISCONNECTED", b"CORRUPTED_BLOCK", b"treated as failed")
# How shells are run (set by main): the program, its -timeout, the retries.
RUN = types.SimpleNamespace(program=None, timeout_ms=runs.DEFAULT_SHELL_TIMEOUT_MS,
                            retrier=runs.Retrier())


def workload(files, size):
    lines = []
    for i in range(files):
        lines += ["create f%02d" % i, "append f%02d %s" % (i, chr(97 + i % 26) * size)]
    lines += ["cat f%02d" % i for i in range(files)]
    return "\n".join(lines + ["exit"]) + "\n"


def run_workload(args, script, stats_of, check_errors=True, what="workload"):
    """(wall time, RPCs from stats_of or None, stdout) of one shell run; RunFailed with the
    reason when the shell fails, prints an Error line (``check_errors``) or reports a failed
    or corrupt server (a healthy run must not: under load it means a timeout)."""
    before = stats_of()
    started = time.monotonic()
    try:
        result = shells.run_shell([*args, "-timeout", RUN.timeout_ms], script, timeout=600,
                                  program=RUN.program)
    except subprocess.TimeoutExpired as e:
        raise runs.RunFailed(runs.describe(what, None, e.stdout, e.stderr,
                                           "no exit within %d s" % e.timeout)) from None
    elapsed = time.monotonic() - started
    runs.check_completed(what, result, errors=check_errors)
    event = next((e for e in EVENTS if e in result.stdout), None)
    if event is not None:
        raise runs.RunFailed(runs.describe(what, result.returncode, result.stdout, result.stderr,
                                           "a healthy run printed %s" % event.decode()))
    after = stats_of()
    rpcs = None
    if before is not None:
        rpcs = sum(a.get(k, 0) - b.get(k, 0) for a, b in zip(after, before)
                   for k in ("Get", "Put", "RSM", "meta"))
    return elapsed, rpcs, result.stdout


def on_single(pool, kind, nb, script, label):
    """run_workload on one fresh server of ``kind``, killed afterwards."""
    single = pool.start(kind, nb=nb, bs=BS)
    try:
        stats = (lambda: [single.proxy().Stats()]) if kind == "cpp" else (lambda: None)
        return run_workload(["-port", single.port, "-nb", nb, "-bs", BS, *FS], script, stats,
                            what=label)
    finally:
        single.kill()


def on_array(pool, n, nb, script, label, kind="cpp", extra_args=None):
    """run_workload on a fresh RAID-5 array of n servers, killed afterwards."""
    array = RaidServers(pool, n, nb, BS, kind, extra_args)
    try:
        stats = array.loads if kind == "cpp" else (lambda: None)
        return run_workload(array.shell_args(*FS), script, stats, what=label)
    finally:
        for s in array.servers:
            s.kill()


def bench_workload(pool, n, files, size):
    script = workload(files, size)
    nb = 256 * (n - 1)
    rows, outputs = [], []
    for kind in ("cpp", "ref"):
        label = "single server (%s)" % kind
        elapsed, rpcs, out = RUN.retrier.run(label, on_single, pool, kind, nb, script, label)
        rows.append((label, elapsed, rpcs))
        outputs.append(out)
    for kind in ("cpp", "ref"):
        label = "RAID-5, N=%d (%s)" % (n, kind)
        elapsed, rpcs, out = RUN.retrier.run(label, on_array, pool, n, nb, script, label, kind)
        rows.append((label, elapsed, rpcs))
        outputs.append(out)
    if len(set(outputs)) != 1:
        raise RuntimeError("the configurations printed different outputs")
    return rows


def bench_records(pool, n, files, size, repeat):
    """[(label, [times], rpcs)] for the array with and without its records, alternated."""
    script = workload(files, size)
    nb = 256 * (n - 1)
    modes = (("with records", ()), ("-no_metadata", ("-no_metadata",)))
    results = {label: ([], None) for label, _ in modes}
    for _ in range(repeat):
        for label, extra in modes:
            what = "RAID-5, N=%d, %s" % (n, label)
            elapsed, rpcs, _ = RUN.retrier.run(what, on_array, pool, n, nb, script, what, "cpp",
                                               {i: extra for i in range(n)})
            results[label][0].append(elapsed)
            results[label] = (results[label][0], rpcs)
    return [(label, times, rpcs) for label, (times, rpcs) in results.items()]


def bench_cache(pool, repeat=3, cases=None):
    """[(case, rpcs without, rpcs with, median s without, median s with)] over the g22 goldens
    (or ``cases`` of them)."""
    rows = []
    for case in cases or shells.GOLDEN_CASES:
        golden = shells.Golden(case)
        measured = {}
        for cache in (0, 1):
            times, rpcs, outs = [], None, set()
            for _ in range(repeat):
                label = "%s, -cache %d" % (case, cache)
                elapsed, rpcs, out = RUN.retrier.run(label, on_proxied, pool, golden, cache,
                                                     label)
                times.append(elapsed)
                outs.add(out)
            measured[cache] = (rpcs, statistics.median(times), outs)
        if measured[0][2] != measured[1][2]:
            raise RuntimeError("%s: -cache 1 printed something else" % case)
        rows.append((case, measured[0][0], measured[1][0], measured[0][1], measured[1][1]))
    return rows


def on_proxied(pool, golden, cache, label):
    """(wall time, RPCs through a proxy, stdout) of one golden case on a fresh server."""
    server = pool.start("cpp", nb=golden.nb, bs=golden.bs)
    try:
        # Counted by a proxy, so that the cache's own Stats calls count too.
        with TraceProxy(server.port) as proxy:
            elapsed, _, out = run_workload(
                ["-ns", 1, "-startport", proxy.port, *golden.args, "-cache", cache],
                golden.stdin, lambda: None, check_errors=False, what=label)
            return elapsed, len(proxy.lines), out
    finally:
        server.kill()


def tool_shell(args, what):
    return runs.ToolShell([*args, "-timeout", RUN.timeout_ms], program=RUN.program,
                          prompt_timeout=600, what=what)


def bench_repair(pool, n, server_blocks):
    return (RUN.retrier.run("repair", repair_rate, pool, n, server_blocks),
            RUN.retrier.run("load", load_rate, pool, server_blocks))


def repair_rate(pool, n, server_blocks):
    """Blocks/s of `repair` rebuilding one blank server of an array of n."""
    nb = server_blocks * (n - 1)
    array = RaidServers(pool, n, nb, BS)
    shell = None
    try:
        shell = tool_shell(array.shell_args(*FS), "repair shell")
        victim = 1
        repair_s, out = array.timed_repair(shell, victim)
        if not out.startswith(b"Server %d repaired" % victim):
            raise runs.RunFailed(runs.describe("repair %d" % victim, shell.proc.poll(), out,
                                               shell.stderr(), "no 'Server repaired' line"))
        if array.parity_errors():
            raise RuntimeError("parity inconsistent after repair")
        shell.close()
    finally:
        if shell is not None:
            shell.kill()
        for s in array.servers:
            s.kill()
    return server_blocks / repair_s


def load_rate(pool, server_blocks):
    """The single server's raw write rate: `load` Puts every block once."""
    single = pool.start("cpp", nb=server_blocks, bs=BS)
    shell = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            dump = os.path.join(tmp, "blocks.dump")
            with open(dump, "wb") as f:
                pickle.dump("BS_%d_NB_%d_IS_64_MI_32_MF_12_IDS_4" % (BS, server_blocks), f)
                pickle.dump([bytearray([b % 251]) * BS for b in range(server_blocks)], f)
            shell = tool_shell(["-port", single.port, "-nb", server_blocks, "-bs", BS, *FS,
                                "-rootinit", 0], "load shell")
            started = time.monotonic()
            shell.send("load %s" % dump, errors=True)
            load_s = time.monotonic() - started
            shell.close()
    finally:
        if shell is not None:
            shell.kill()
        single.kill()
    return server_blocks / load_s


def workload_lines(rows):
    base = rows[0][1]
    lines = ["| configuration | workload time (s) | RPCs | time / single C++ |",
             "|---|---:|---:|---:|"]
    for label, elapsed, rpcs in rows:
        lines.append("| %s | %.3f | %s | %.2f |" % (label, elapsed,
                                                    rpcs if rpcs is not None else "n/a",
                                                    elapsed / base))
    return lines + [""]


def records_lines(records, args):
    commands = 3 * args.files
    lines = ["| RAID-5, N=%d (cpp), %d runs each | RPCs / command | time min / median / max (s) |"
             % (args.n, args.repeat), "|---|---:|---:|"]
    for label, times, rpcs in records:
        lines.append("| %s | %.2f | %.3f / %.3f / %.3f |" % (
            label, rpcs / commands, min(times), statistics.median(times), max(times)))
    (_, with_times, with_rpcs), (_, without_times, without_rpcs) = records
    lines.append("| ratio records / none | %.2f | %.2f (medians) |" % (
        with_rpcs / without_rpcs, statistics.median(with_times) / statistics.median(without_times)))
    return lines + [""]


def cache_lines(cache, repeat=3):
    lines = ["| golden workload, one C++ server | RPCs | RPCs with -cache (its Stats included) | "
             "ratio | time ratio (medians of %d, through a proxy) |" % repeat,
             "|---|---:|---:|---:|---:|"]
    for case, without, with_cache, t0, t1 in cache:
        lines.append("| %s | %d | %d | %.2f | %.2f |" % (case, without, with_cache,
                                                          with_cache / without, t1 / t0))
    return lines + [""]


def repair_lines(rates, args):
    repair, load = rates
    return ["| repair | blocks/s |", "|---|---:|",
            "| rebuild one blank server of %d blocks (RAID-5, N=%d) | %.0f |"
            % (args.repair_blocks, args.n, repair),
            "| single server: `load` of %d blocks (one Put each) | %.0f |"
            % (args.repair_blocks, load),
            "| ratio repair / single-server writes | %.2f |" % (repair / load), ""]


def run_sections(args):
    lines = []
    with servers.ServerPool() as pool:
        if "workload" in args.sections:
            lines += workload_lines(bench_workload(pool, args.n, args.files, args.size))
        if "records" in args.sections:
            lines += records_lines(bench_records(pool, args.n, args.files, args.size,
                                                 args.repeat), args)
        if "cache" in args.sections:
            lines += cache_lines(bench_cache(pool, args.cache_repeat, args.cache_cases),
                                 args.cache_repeat)
        if "repair" in args.sections:
            lines += repair_lines(bench_repair(pool, args.n, args.repair_blocks), args)
    return lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4, help="servers in the array")
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--size", type=int, default=1000, help="bytes per file")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the records comparison")
    parser.add_argument("--repair-blocks", type=int, default=2048, help="blocks per server")
    parser.add_argument("--markdown", metavar="FILE")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="comma-separated subset of %s (default: all)" % ",".join(SECTIONS))
    parser.add_argument("--cache-repeat", type=int, default=3,
                        help="runs of each golden case in the cache comparison (default 3)")
    parser.add_argument("--cache-cases", type=lambda text: text.split(","), default=None,
                        metavar="CASE,...", help="golden cases of the cache comparison "
                        "(default: all of compat_tests/golden/g22)")
    runs.add_arguments(parser)
    args = parser.parse_args(argv)
    args.sections = args.sections.split(",")
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error("unknown section(s): %s" % ",".join(sorted(unknown)))
    return args


def main(argv=None):
    args = parse_args(argv)
    runs.configure(RUN, args)
    try:
        lines = run_sections(args)
    except runs.RunFailed as failure:
        print("bench_raid: %s\n%s" % (failure, RUN.retrier.summary()), file=sys.stderr)
        return 1
    lines += ["Workload: %d files of %d bytes (-bs %d): create, append, cat each; %d CPUs; "
              "shell -timeout %d ms. %s" % (args.files, args.size, BS, os.cpu_count(),
                                            args.shell_timeout_ms, RUN.retrier.summary())]
    runs.emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
