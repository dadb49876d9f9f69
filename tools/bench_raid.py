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
Usage: tools/bench_raid.py [--n 4] [--files 20] [--repeat 5] [--repair-blocks 2048]
                          [--markdown FILE]
"""

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
import servers  # noqa: E402
import shells  # noqa: E402
from raid import RaidServers, data_location  # noqa: E402
from trace_proxy import TraceProxy  # noqa: E402

BS = 128
FS = ["-is", 64, "-ni", 32, "-cid", 0]


def workload(files, size):
    lines = []
    for i in range(files):
        lines += ["create f%02d" % i, "append f%02d %s" % (i, chr(97 + i % 26) * size)]
    lines += ["cat f%02d" % i for i in range(files)]
    return "\n".join(lines + ["exit"]) + "\n"


def run_workload(args, script, stats_of, check_errors=True):
    before = stats_of()
    started = time.monotonic()
    result = shells.run_shell(args, script, timeout=600)
    elapsed = time.monotonic() - started
    if result.returncode != 0 or (check_errors and b"Error" in result.stdout):
        raise RuntimeError("workload failed: %s" % result.stdout[-500:])
    after = stats_of()
    rpcs = None
    if before is not None:
        rpcs = sum(a.get(k, 0) - b.get(k, 0) for a, b in zip(after, before)
                   for k in ("Get", "Put", "RSM", "meta"))
    return elapsed, rpcs, result.stdout


def bench_workload(pool, n, files, size):
    script = workload(files, size)
    nb = 256 * (n - 1)
    rows, outputs = [], []
    for kind in ("cpp", "ref"):
        single = pool.start(kind, nb=nb, bs=BS)
        stats = (lambda s=single: [s.proxy().Stats()]) if kind == "cpp" else (lambda: None)
        elapsed, rpcs, out = run_workload(["-port", single.port, "-nb", nb, "-bs", BS, *FS],
                                          script, stats)
        rows.append(("single server (%s)" % kind, elapsed, rpcs))
        outputs.append(out)
        single.kill()
    for kind in ("cpp", "ref"):
        array = RaidServers(pool, n, nb, BS, kind)
        stats = array.loads if kind == "cpp" else (lambda: None)
        elapsed, rpcs, out = run_workload(array.shell_args(*FS), script, stats)
        rows.append(("RAID-5, N=%d (%s)" % (n, kind), elapsed, rpcs))
        outputs.append(out)
        for s in array.servers:
            s.kill()
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
            array = RaidServers(pool, n, nb, BS, "cpp", {i: extra for i in range(n)})
            elapsed, rpcs, _ = run_workload(array.shell_args(*FS), script, array.loads)
            results[label][0].append(elapsed)
            results[label] = (results[label][0], rpcs)
            for s in array.servers:
                s.kill()
    return [(label, times, rpcs) for label, (times, rpcs) in results.items()]


def bench_cache(pool, repeat=3):
    """[(case, rpcs without, rpcs with, median s without, median s with)] over the g22 goldens."""
    rows = []
    for case in shells.GOLDEN_CASES:
        golden = shells.Golden(case)
        measured = {}
        for cache in (0, 1):
            times, rpcs, outs = [], None, set()
            for _ in range(repeat):
                server = pool.start("cpp", nb=golden.nb, bs=golden.bs)
                # Counted by a proxy, so that the cache's own Stats calls count too.
                with TraceProxy(server.port) as proxy:
                    elapsed, _, out = run_workload(
                        ["-ns", 1, "-startport", proxy.port, *golden.args, "-cache", cache],
                        golden.stdin, lambda: None, check_errors=False)
                    rpcs = len(proxy.lines)
                times.append(elapsed)
                outs.add(out)
                server.kill()
            measured[cache] = (rpcs, statistics.median(times), outs)
        if measured[0][2] != measured[1][2]:
            raise RuntimeError("%s: -cache 1 printed something else" % case)
        rows.append((case, measured[0][0], measured[1][0], measured[0][1], measured[1][1]))
    return rows


def bench_repair(pool, n, server_blocks):
    nb = server_blocks * (n - 1)
    array = RaidServers(pool, n, nb, BS)
    shell = shells.InteractiveShell(array.shell_args(*FS))
    victim = 1
    array.servers[victim].kill()
    probe = next(v for v in range(1, nb) if data_location(v, n)[0] == victim)
    shell.send("showblockslice %d 0 1" % probe)  # detects the failure
    array.servers[victim].start()  # blank
    started = time.monotonic()
    out = shell.send("repair %d" % victim)
    repair_s = time.monotonic() - started
    if not out.startswith(b"Server %d repaired" % victim):
        raise RuntimeError("repair failed: %r" % out)
    if array.parity_errors():
        raise RuntimeError("parity inconsistent after repair")
    shell.close()
    for s in array.servers:
        s.kill()

    # The single server's raw write rate: `load` Puts every block once.
    single = pool.start("cpp", nb=server_blocks, bs=BS)
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "blocks.dump")
        with open(dump, "wb") as f:
            pickle.dump("BS_%d_NB_%d_IS_64_MI_32_MF_12_IDS_4" % (BS, server_blocks), f)
            pickle.dump([bytearray([b % 251]) * BS for b in range(server_blocks)], f)
        single_shell = shells.InteractiveShell(["-port", single.port, "-nb", server_blocks,
                                                "-bs", BS, *FS, "-rootinit", 0])
        started = time.monotonic()
        single_shell.send("load %s" % dump)
        load_s = time.monotonic() - started
        single_shell.close()
    single.kill()
    return server_blocks / repair_s, server_blocks / load_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=4, help="servers in the array")
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--size", type=int, default=1000, help="bytes per file")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the records comparison")
    parser.add_argument("--repair-blocks", type=int, default=2048, help="blocks per server")
    parser.add_argument("--markdown", metavar="FILE")
    args = parser.parse_args()
    with servers.ServerPool() as pool:
        rows = bench_workload(pool, args.n, args.files, args.size)
        records = bench_records(pool, args.n, args.files, args.size, args.repeat)
        cache = bench_cache(pool)
        repair_rate, load_rate = bench_repair(pool, args.n, args.repair_blocks)
    base = rows[0][1]
    lines = ["| configuration | workload time (s) | RPCs | time / single C++ |",
             "|---|---:|---:|---:|"]
    for label, elapsed, rpcs in rows:
        lines.append("| %s | %.3f | %s | %.2f |" % (label, elapsed,
                                                    rpcs if rpcs is not None else "n/a",
                                                    elapsed / base))
    commands = 3 * args.files
    lines += ["", "| RAID-5, N=%d (cpp), %d runs each | RPCs / command | time min / median / max (s) |"
              % (args.n, args.repeat), "|---|---:|---:|"]
    for label, times, rpcs in records:
        lines.append("| %s | %.2f | %.3f / %.3f / %.3f |" % (
            label, rpcs / commands, min(times), statistics.median(times), max(times)))
    (_, with_times, with_rpcs), (_, without_times, without_rpcs) = records
    lines.append("| ratio records / none | %.2f | %.2f (medians) |" % (
        with_rpcs / without_rpcs, statistics.median(with_times) / statistics.median(without_times)))
    lines += ["", "| golden workload, one C++ server | RPCs | RPCs with -cache (its Stats included) | "
              "ratio | time ratio (medians of 3, through a proxy) |", "|---|---:|---:|---:|---:|"]
    for case, without, with_cache, t0, t1 in cache:
        lines.append("| %s | %d | %d | %.2f | %.2f |" % (case, without, with_cache,
                                                          with_cache / without, t1 / t0))
    lines += ["", "| repair | blocks/s |", "|---|---:|",
              "| rebuild one blank server of %d blocks (RAID-5, N=%d) | %.0f |"
              % (args.repair_blocks, args.n, repair_rate),
              "| single server: `load` of %d blocks (one Put each) | %.0f |"
              % (args.repair_blocks, load_rate),
              "| ratio repair / single-server writes | %.2f |" % (repair_rate / load_rate),
              "", "Workload: %d files of %d bytes (-bs %d): create, append, cat each; "
              "%d CPUs." % (args.files, args.size, BS, os.cpu_count())]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)


if __name__ == "__main__":
    main()
