#!/usr/bin/env python3
"""Regenerate docs/performance.md: run every benchmark and rewrite the page from their tables.

    /usr/bin/python3 tools/perf_report.py                # ~15-20 min on a 2-core machine

runs, one after the other (never two at once, so they do not load each other):

  tools/bench_server.py    --runs times (it has no --repeat), tables merged
  tools/bench_raid.py      --runs times with --repeat R, tables merged
  tools/bench_repair.py    --repeat R
  tools/bench_big.py       --repeat R --sizes S (modest by default: 1024,4096,16384; the
                           issue's 65,536 blocks of 4 KiB per server: --big-sizes 4096,16384,65536)
  tools/bench_latency.py   --repeat R

Every table compares configurations measured side by side in the same run. Merging runs of a
tool: a cell holding one number becomes `min / median / max` over the runs; a cell holding
several (already a spread) keeps its text with each number replaced by its median over the
runs; everything else is the last run's. The tables each tool wrote are kept in --out-dir.

Options: --repeat R (5) --runs K (5) --big-sizes S --only NAME,... --out-dir DIR
         --output FILE (docs/performance.md) --build-dir DIR
"""

import argparse
import datetime
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

INTRO = """# Performance

Every number here comes from a benchmark that runs the configurations it compares side by side
in the same run (alternated where it repeats), on loopback. This page is generated: to
reproduce it, run

```sh
{command}
```

which runs each benchmark below in turn and rewrites this file from their `--markdown` tables
(`tools/perf_report.py --help` for the options; each tool also runs on its own). Wall-clock
rates on a shared 2-core machine vary by about ±25% from run to run; the ratios, measured within
one run, are what to read. Spreads are min / median / max over the runs.

Generated {date} in {took:.0f} s on {machine}.{note}
"""

SECTIONS = {
    "server": ("Server: calls/s, ours vs the Python reference server (`tools/bench_server.py`)",
               """The tool measures each case for a fixed time against both servers, one after
the other in one run; it was run {runs} times and each cell is min / median / max over the runs.
Python `xmlrpc.client.ServerProxy` clients (C++ `memoryfs_bench_client` where the case says so).

Why two concurrency rows. With 8 Python client processes the *clients* are the bottleneck: a
Python `ServerProxy` call costs about 180 µs of CPU, so 8 of them saturate both cores at about
10,000 calls/s whatever the server does (measured 2026-11-22: our server uses about 47 µs of CPU
per call, the Python server about 210 µs). With 8 C++ clients (`tools/bench_client.cc`, about
10 µs per call) the servers are the bottleneck and the comparison is of the servers: the Python
server is single-threaded and closes the connection after every call; ours serves each
connection on its own thread, with keep-alive.
""", ""),
    "raid": ("RAID-5 vs one server (`tools/bench_raid.py`)",
             """The same shell workload (20 files of 1000 bytes: create, append, cat each) against one
server and against RAID-5 over 4 servers, each with C++ servers and with Python reference
servers; the outputs of all four runs are checked to be identical. Then the cost of the array's
member records, recorded lock and write intent (docs/report.md 2.7): the same workload over 4
C++ servers with them and with `-no_metadata` (the shell then uses the plain protocol),
alternated over --repeat {repeat} runs; every g22 golden workload on one server with and without
the 2022 shell's opt-in block cache (`-cache 1`), its outputs checked equal. Then one server of
a 4-server array (2048 blocks each) is killed, restarted blank and rebuilt with `repair`. The
tool was run {runs} times; cells are min / median / max over those runs.
""", """Reading the tables: the file system issues about 15,000 virtual requests for this workload,
almost all of them Gets of the free bitmap (see `load/summary.md`), which RAID-5 serves with one
Get each, so the array adds few RPCs (every virtual Put becomes 2 Gets + 2 Puts) and its
requests to different servers run in parallel. The records add a few RPCs per command (the N-1
member records read in the Lock's round, and 3 intent requests per writing command in one more
round). The 2022 shell's opt-in cache (`-cache 1`) cuts the golden workloads' requests to a
fraction of what the reference makes (its one Stats per command included). Repair rebuilds a
server more slowly than one server absorbs plain writes, because every rebuilt block needs N-1
reads before its write (this table's repair uses blocks of 128 bytes; the next two sections
measure the batched repair).
"""),
    "repair": ("Repair and scrub: batched calls vs block by block (`tools/bench_repair.py`)",
               """RAID-5 over 4 servers; server 1 is killed, restarted blank and rebuilt with `repair 1`,
then `scrub` reads every stripe. `batched`: our servers and shell with `GetBlocks`/`PutBlocks`
(docs/protocol.md, "Batched block calls"); `no-batches`: our servers with `-no_batches`, block
by block; `python`: the Python reference servers (block by block) under our shell. The
configurations are alternated within each of the --repeat {repeat} repetitions.
""", ""),
    "big": ("Big arrays (`tools/bench_big.py`)",
            """8 servers of B blocks of 4 KiB for each size B, filled with consistent random stripes
written straight to the servers with `PutBlocks`; VmRSS of each server is read once every block
has been written (a fresh server may not have touched its memory). The shell's start-up is
measured to its first prompt (it makes the file system) and as `-command status` (it assembles
the array only); then `repair` of one member restarted blank and a `scrub`, --repeat {repeat}
times. The second table divides each cost by what it should be proportional to: a cost linear
in the blocks has a per-block ratio near 1 across sizes, a cost independent of them an absolute
ratio near 1. Sizes of this run: {big_sizes} blocks per server{big_note}.
""", ""),
    "latency": ("A simulated network (`tools/bench_latency.py`, `tools/latency_proxy.py`)",
                """No netem here: each server sits behind `tools/latency_proxy.py`, a TCP proxy that
holds each direction's bytes back by a one-way delay, in order. The golden workloads run
through it at each delay, on fresh servers, each beside its zero (the same flags with a workload
of just `exit`, i.e. the shell's start-up) whose time and rounds are subtracted. A *round* is a
request sent while no request is in flight at any proxy of the run: the workload's dependent
round trips, which a network makes cost one RTT = 2 x delay each. `time / (rounds x RTT)` near 1
means the workload's time is its rounds' latency; `added / (rounds x RTT)` compares only the
time the delay added (over the 0 ms run) with rounds x RTT: its excess over 1 is the proxy's
own cost per hop (thread wake-ups, tens of µs). RAID-5 sends the requests of one virtual
operation to different servers in parallel, so it makes more requests than rounds. The 2023
edition (`fsmain`) always caches blocks; the 2022 shell only with `-cache 1`. The
configurations and delays are alternated within each of the --repeat {repeat} repetitions.
""", ""),
}


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = ", %.0f GiB RAM" % (int(line.split()[1]) / 2**20)
    except OSError:
        pass
    distro = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip('"') + ", "
    except OSError:
        pass
    return "%s%s %s, %s, %d CPUs%s, Python %s" % (
        distro, platform.system(), platform.release(), cpu, os.cpu_count(), mem,
        platform.python_version())


def run_tool(script, args, log):
    argv = [sys.executable, str(TOOLS / script), *map(str, args)]
    print("$ " + " ".join(shlex.quote(a) for a in argv), file=sys.stderr, flush=True)
    started = time.monotonic()
    with open(log, "a") as out:
        out.write("$ %s\n" % " ".join(argv))
        out.flush()
        subprocess.run(argv, check=True, stdout=out, stderr=out, cwd=REPO)
    print("  %.0f s" % (time.monotonic() - started), file=sys.stderr, flush=True)


def split_cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def merge_cell(cells):
    if len(set(cells)) == 1:
        return cells[0]
    numbers = [NUMBER.findall(c) for c in cells]
    templates = {NUMBER.sub("#", c) for c in cells}
    if len(templates) != 1 or not numbers[0]:
        return cells[-1]
    template = templates.pop()
    if len(numbers[0]) == 1 and template.strip("#x ") == "":
        values = [float(n[0]) for n in numbers]
        decimals = max(len(n[0].partition(".")[2]) for n in numbers)
        fmt = "%%.%df" % decimals
        suffix = template.replace("#", "")
        return " / ".join(fmt % v for v in (min(values), statistics.median(values),
                                             max(values))) + suffix
    out = template
    for i in range(len(numbers[0])):
        values = [float(n[i]) for n in numbers]
        decimals = max(len(n[i].partition(".")[2]) for n in numbers)
        out = out.replace("#", "%.*f" % (decimals, statistics.median(values)), 1)
    return out


def merge_runs(texts):
    """One Markdown text from several runs' texts of the same tool (see the module doc)."""
    runs = [t.splitlines() for t in texts]
    if len({len(r) for r in runs}) != 1:
        return texts[-1]
    merged = []
    for lines in zip(*runs):
        if all(l.startswith("|") for l in lines) and not set(lines[-1]) <= set("|-: "):
            rows = [split_cells(l) for l in lines]
            if len({len(r) for r in rows}) == 1 and len({r[0] for r in rows}) == 1:
                cells = [rows[0][0]] + [merge_cell([r[i] for r in rows])
                                        for i in range(1, len(rows[0]))]
                merged.append("| " + " | ".join(cells) + " |")
                continue
        merged.append(lines[-1])
    return "\n".join(merged) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="--repeat of each tool")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs of bench_server and bench_raid (merged)")
    parser.add_argument("--big-sizes", default="1024,4096,16384",
                        help="bench_big.py --sizes (the issue's: 4096,16384,65536)")
    parser.add_argument("--only", help="comma-separated subset of: " + ",".join(SECTIONS))
    parser.add_argument("--out-dir", help="where the tools' tables and log go (default: temp)")
    parser.add_argument("--output", default=str(REPO / "docs" / "performance.md"))
    parser.add_argument("--build-dir", help="C++ build directory (else $MEMORYFS_BUILD_DIR "
                        "or <repo>/build)")
    parser.add_argument("--note", default="", help="a sentence added to the intro")
    args = parser.parse_args()
    if args.build_dir:
        os.environ["MEMORYFS_BUILD_DIR"] = str(Path(args.build_dir).resolve())
    out = Path(args.out_dir or tempfile.mkdtemp(prefix="perf_report."))
    out.mkdir(parents=True, exist_ok=True)
    log = out / "perf_report.log"
    only = args.only.split(",") if args.only else list(SECTIONS)
    began = time.monotonic()
    tables = {}
    r = args.repeat
    if "server" in only:
        texts = []
        for i in range(args.runs):
            f = out / ("bench_server.%d.md" % i)
            run_tool("bench_server.py", ["--markdown", f], log)
            texts.append(f.read_text())
        tables["server"] = merge_runs(texts)
    if "raid" in only:
        texts = []
        for i in range(args.runs):
            f = out / ("bench_raid.%d.md" % i)
            run_tool("bench_raid.py", ["--repeat", r, "--markdown", f], log)
            texts.append(f.read_text())
        tables["raid"] = merge_runs(texts)
    if "repair" in only:
        run_tool("bench_repair.py", ["--repeat", r, "--markdown", out / "bench_repair.md"], log)
        tables["repair"] = (out / "bench_repair.md").read_text()
    if "big" in only:
        run_tool("bench_big.py", ["--repeat", r, "--sizes", args.big_sizes, "--markdown",
                                  out / "bench_big.md"], log)
        tables["big"] = (out / "bench_big.md").read_text()
    if "latency" in only:
        run_tool("bench_latency.py", ["--repeat", r, "--markdown", out / "bench_latency.md"],
                 log)
        tables["latency"] = (out / "bench_latency.md").read_text()
    took = time.monotonic() - began

    command = "/usr/bin/python3 tools/perf_report.py"
    extra = [a for a in sys.argv[1:]]
    if extra:
        command += " " + " ".join(shlex.quote(a) for a in extra)
    biggest = max(int(s) for s in args.big_sizes.split(","))
    big_note = ("" if biggest >= 65536 else
                "; the issue's size, 8 x 65,536 blocks of 4 KiB (2 GiB), is "
                "`--big-sizes 4096,16384,65536` (about 8 more minutes)")
    fields = dict(runs=args.runs, repeat=r, big_sizes=args.big_sizes.replace(",", ", "),
                  big_note=big_note)
    note = (" " + args.note) if args.note else ""
    parts = [INTRO.format(command=command, date=datetime.datetime.now(
        datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), took=took, machine=machine(),
        note=note)]
    for name, (title, before, after) in SECTIONS.items():
        if name not in tables:
            continue
        parts.append("## %s\n\n%s\n%s" % (title, before.format(**fields), tables[name]))
        if after:
            parts.append(after.format(**fields))
    Path(args.output).write_text("\n".join(parts))
    print("wrote %s (tables in %s)" % (args.output, out), file=sys.stderr)


if __name__ == "__main__":
    main()
