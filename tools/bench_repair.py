#!/usr/bin/env python3
"""Benchmark: repair and scrub speed, side by side in one run (issue 12, item 3).

RAID-5 over N servers of B blocks of BS bytes; server 1 is killed, restarted blank and
rebuilt with `repair 1`, then `scrub` reads every stripe. Configurations, alternated within
each repetition so that load on the machine hits them alike:

  batched       our servers and shell: GetBlocks/PutBlocks, reads and writes overlapped
  no-batches    our servers with -no_batches: block by block, reads and writes overlapped
  baseline      the programs of --baseline-build (e.g. the commit before batches), if given
  python        the Python reference servers (block by block), our shell
  python-base   the same with the --baseline-build shell, if given

Reports blocks/s of repair and scrub, min/median/max over --repeat runs, and each median's
ratio to the baseline's (or to no-batches without one). Not a test.

Usage: tools/bench_repair.py [--n 4] [--blocks 4096] [--bs 128] [--repeat 5]
                            [--baseline-build DIR] [--markdown FILE]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
import servers  # noqa: E402
import shells  # noqa: E402
from raid import RaidServers  # noqa: E402
import runs  # noqa: E402

FS = ["-is", 64, "-ni", 32, "-cid", 0, "-timeout", 60000]


class Build:
    """Runs pool.start and the shell from one build directory."""

    def __init__(self, directory):
        self.directory = Path(directory)

    def __enter__(self):
        self.saved = os.environ.get("MEMORYFS_BUILD_DIR")
        os.environ["MEMORYFS_BUILD_DIR"] = str(self.directory)
        return self

    def __exit__(self, *exc):
        if self.saved is None:
            os.environ.pop("MEMORYFS_BUILD_DIR", None)
        else:
            os.environ["MEMORYFS_BUILD_DIR"] = self.saved


def one_run(pool, build, kind, extra, n, blocks, bs):
    """(repair blocks/s, scrub blocks/s, RPCs the shell sent during the repair)."""
    with Build(build):
        nb = blocks * (n - 1)
        array = RaidServers(pool, n, nb, bs, kind, {i: extra for i in range(n)})
        shell = shells.InteractiveShell(array.shell_args(*FS), program=shells.shell_path())
        try:
            victim = 1
            repair_s, out = array.timed_repair(shell, victim)
            if not out.startswith(b"Server %d repaired" % victim):
                raise RuntimeError("repair failed: %r" % out[-300:])
            started = time.monotonic()
            out = shell.send("scrub")
            scrub_s = time.monotonic() - started
            if b"no mismatch" not in out:
                raise RuntimeError("scrub failed: %r" % out[-300:])
        finally:
            shell.close()
            for s in array.servers:
                s.kill()
    return blocks / repair_s, blocks * n / scrub_s




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--blocks", type=int, default=4096, help="blocks per server")
    parser.add_argument("--bs", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-build", help="a build directory of the programs before")
    parser.add_argument("--python-baseline", action="store_true",
                        help="also the baseline shell over Python servers")
    parser.add_argument("--markdown", help="also write the table here")
    args = parser.parse_args()
    build = servers.build_dir()
    configs = [("batched", build, "cpp", ()), ("no-batches", build, "cpp", ("-no_batches",))]
    if args.baseline_build:
        configs.append(("baseline", args.baseline_build, "cpp", ()))
    configs.append(("python", build, "ref", ()))
    if args.baseline_build and args.python_baseline:
        configs.append(("python-base", args.baseline_build, "ref", ()))
    results = {name: ([], []) for name, *_ in configs}
    with servers.ServerPool() as pool:
        for rep in range(args.repeat):
            for name, directory, kind, extra in configs:
                repair, scrub = one_run(pool, directory, kind, extra, args.n, args.blocks,
                                        args.bs)
                results[name][0].append(repair)
                results[name][1].append(scrub)
                print("run %d %-12s repair %8.0f blocks/s  scrub %8.0f blocks/s"
                      % (rep + 1, name, repair, scrub), file=sys.stderr)
    reference = "baseline" if args.baseline_build else "no-batches"
    base = [statistics.median(v) for v in results[reference]]
    lines = ["Repair and scrub, N = %d, %d blocks of %d bytes per server, %d runs (blocks/s, "
             "min / median / max; ratio of medians to %s)" % (args.n, args.blocks, args.bs,
                                                             args.repeat, reference), "",
             "| configuration | repair | ratio | scrub | ratio |", "|---|---:|---:|---:|---:|"]
    for name, *_ in configs:
        repair, scrub = results[name]
        lines.append("| %s | %s | %.2fx | %s | %.2fx |" % (
            name, runs.spread(repair), statistics.median(repair) / base[0], runs.spread(scrub),
            statistics.median(scrub) / base[1]))
    if args.baseline_build and "python-base" in results:
        py_now = statistics.median(results["python"][0])
        py_base = statistics.median(results["python-base"][0])
        lines += ["", "Python servers, repair now / before: %.2fx" % (py_now / py_base)]
    runs.emit(lines, args.markdown)


if __name__ == "__main__":
    main()
