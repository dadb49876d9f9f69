#!/usr/bin/env python3
"""Regenerate docs/performance.md: run every benchmark and rewrite the page from their tables.

    /usr/bin/python3 tools/perf_report.py                # ~15-20 min on a 2-core machine

runs, one after the other (never two at once, so they do not load each other):

  tools/bench_server.py    --runs times (it has no --repeat), tables merged
  tools/bench_raid.py      --runs times with --repeat R, tables merged
  tools/bench_fanout.py    --repeat R
  tools/bench_repair.py    --repeat R
  tools/bench_big.py       --repeat R --sizes S (modest by default: 1024,4096,16384; the
                           issue's 65,536 blocks of 4 KiB per server: --big-sizes 4096,16384,65536)
  tools/bench_latency.py   --repeat R

Every table compares configurations measured side by side in the same run. Merging runs of a
tool: a cell holding one number becomes `min / median / max` over the runs; a cell holding
several (already a spread) keeps its text with each number replaced by its median over the
runs; everything else is the last run's. The tables each tool wrote are kept in --out-dir.

Options: --repeat R (5) --runs K (5) --big-sizes S --only NAME,... --out-dir DIR
         --output FILE (docs/performance.md) --build-dir DIR --note TEXT
         --from-dir DIR: run nothing, rewrite the page from the tables of an earlier --out-dir
         (to change the page's text without measuring again)
"""

import argparse
import datetime
import json
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
BIG_SIZES = "1024,4096,16384"
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
the other in one run; it was run {runs} times and each cell is min / median / max over the runs
(the C++ / ref ratio of each run, then their spread).

Why two concurrency rows. With 8 Python client processes the *clients* are the bottleneck: a
Python `ServerProxy` call costs about 180 µs of CPU, so 8 of them saturate both cores at about
10,000 calls/s whatever the server does. With 8 C++ clients (`tools/bench_client.cc`) the
servers are the bottleneck and the comparison is of the servers: the Python server is
single-threaded and closes the connection after every call; ours serves each connection on its
own thread, with keep-alive, and parses and writes Get/Put/RSM without a general XML parser
(`rpc/block_xml`, `docs/call_cost.md`). The second table is the CPU time (user + system) per
call of the C++ clients and of each server in those two cases.
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
fraction of what the reference makes (its one Stats per command included). In the last table
`load` writes one block per Put, while `repair` reads and writes with the batch calls
`GetBlocks`/`PutBlocks` (next section): every rebuilt block still needs N-1 reads before its
write, but a call now carries up to 256 blocks of 128 bytes, so the ratio compares batched
rebuilding with unbatched writing.
"""),
    "fanout": ("Parallel rounds: one round of RPCs to several servers vs one RPC (`tools/bench_fanout.py`)",
               """The array sends the requests of one round (the N-1 reads of a degraded read, the reads and
writes of a parity update, the member records of a lock) to different servers at once
(`src/raid/fanout.h`): each server's requests run in a lane of an `rpc::FiberLoop`
(`src/rpc/fiber_loop.h`), all on the shell's own thread, every wait for a socket suspending
its lane, the answers collected in one `poll()`. Before, each server had a worker thread, and
every round handed requests to them and waited for them (mutexes, condition variables, a
context switch per hand-off); the benchmark keeps that design beside the new one and runs
both in the same run, in turns of 10 ms. Every wait of the shell's thread first polls for up
to `-spin_us` µs (default 30) before it sleeps (`src/rpc/poll_wait.h`), backing off where
spins miss. Then the g03 golden workload at N = 4 against N = 1, idle and with a busy-loop
process per core, --repeat {repeat} times; the shell also with `-spin_us 0`.
""", """Reading the tables. On this virtual machine, waking an idle vCPU costs tens of µs, so a reply
that finds the shell asleep costs more than the work of the call: a single Get takes about 70
µs when the shell sleeps for its answer and about 22 µs when it spins (compare the g03 times
with and without `-spin_us 0`). A round of two RPCs cannot cost just one RPC on 2 cores: the
shell encodes and decodes two calls and two servers need a core each, so part of the work is
serial whatever the fan-out; what the fiber loop removes is the hand-offs between threads. On
a busy machine every request wakes a server that must preempt a busy loop, and N = 4 makes
about 1.56 times the requests of N = 1 for 1.16 times the rounds (the member records and
write intents, docs/report.md 2.7), so its time grows with its requests, not its rounds.
"""),
    "repair": ("Repair and scrub: batched calls vs block by block (`tools/bench_repair.py`)",
               """RAID-5 over 4 servers; server 1 is killed, restarted blank and rebuilt with `repair 1`,
then `scrub` reads every stripe. `batched`: our servers and shell with `GetBlocks`/`PutBlocks`
(docs/protocol.md, "Batched block calls"); `no-batches`: our servers with `-no_batches`, block
by block; `python`: the Python reference servers (block by block) under our shell. The
configurations are alternated within each of the --repeat {repeat} repetitions.
""", """Reading the table: over our servers repair and scrub run their per-server requests in lanes
on the shell's thread; over Python servers (single-threaded, a connection per call, about
150-250 µs of CPU per call) on a thread per server (`Array::BulkMode`), because the four
CPU-bound servers keep both cores busy and one client thread would get one share of them for
every server's calls. There the servers' CPU is the limit: 4 calls per rebuilt block (3 Gets,
1 Put) at about 3,300 blocks/s is some 13,000 Python calls/s, both cores' worth.
"""),
    "big": ("Big arrays (`tools/bench_big.py`)",
            """8 servers of B blocks of 4 KiB for each size B, filled with consistent random stripes
written straight to the servers with `PutBlocks`; VmRSS of each server is read once every block
has been written (a fresh server may not have touched its memory). The shell's start-up is
measured to its first prompt (it makes the file system) and as `-command status` (it assembles
the array only); then `repair` of one member restarted blank and a `scrub`, --repeat {repeat}
times. The second table divides each cost by what it should be proportional to: a cost linear
in the blocks has a per-block ratio near 1 across sizes, a cost independent of them an absolute
ratio near 1. Sizes of this run: {big_sizes} blocks per server{big_note}.
""", """Reading the tables: the server keeps its blocks in one zero-initialised array and an MD5 per
block (`src/server/block_store.cc`), so its memory is the blocks' bs + 16 bytes plus a fixed
few MiB, and it touches all of it at start-up: the RSS after start-up is already that of the
full server, and start-up time grows linearly with the blocks (about 100 ms or more for
256 MiB), where a lazily allocated store would start in constant time and fill its memory as
it is written. The shell's start-up, to its prompt or for `-command status`, does not grow
measurably with the array's size. Repair and scrub are linear in the blocks: per block rebuilt,
N-1 blocks are read in batches and one is written; per stripe, N blocks are read and checked.
On this shared machine their per-block cost moves between sizes by tens of per cent from load
alone (compare two runs); a per-block cost that grows steadily with the size would point at
memory effects (caches, the blank member's pages faulted in as it is refilled), which these
numbers neither show nor rule out.
"""),
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
""", """Reading the table: each round costs one RTT plus the work done for it locally (the 0 ms row's
µs / round: the shell's, the server's and the Python proxy's, some 60-200 µs on this machine)
plus the proxy's late wake-ups; so at 0.25 ms one way the local part is still large and the
ratio well above 1, while at 1 ms the RTT dominates. Over a real network a workload's time is
therefore about its rounds x RTT, and what saves time is fewer rounds: the 2022 cache cuts them
to about a third, the 2023 edition's cache to under half (each lock taken also reads the
last-writer block, rewritten when another client wrote last: docs/edition2023.md), and RAID-5
makes fewer rounds than requests because its requests to different servers go out together.
"""),
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
        out.write("# took %.1f s\n" % (time.monotonic() - started))
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


def run_all(out, only, args):
    """Runs the tools; their tables go to ``out``."""
    log = out / "perf_report.log"
    r = args.repeat
    if "server" in only:
        for i in range(args.runs):
            run_tool("bench_server.py", ["--markdown", out / ("bench_server.%d.md" % i)], log)
    if "raid" in only:
        for i in range(args.runs):
            run_tool("bench_raid.py", ["--repeat", r, "--markdown",
                                       out / ("bench_raid.%d.md" % i)], log)
    if "fanout" in only:
        run_tool("bench_fanout.py", ["--repeat", r, "--markdown", out / "bench_fanout.md"], log)
    if "repair" in only:
        run_tool("bench_repair.py", ["--repeat", r, "--markdown", out / "bench_repair.md"], log)
    if "big" in only:
        run_tool("bench_big.py", ["--repeat", r, "--sizes", args.big_sizes, "--markdown",
                                  out / "bench_big.md"], log)
    if "latency" in only:
        run_tool("bench_latency.py", ["--repeat", r, "--markdown", out / "bench_latency.md"],
                 log)


def load_tables(out, only):
    """(tables by section, seconds the run took, its date) from a run's directory."""
    tables = {}
    for name in ("server", "raid"):
        files = sorted(out.glob("bench_%s.*.md" % name))
        if name in only and files:
            tables[name] = merge_runs([f.read_text() for f in files])
    for name in ("fanout", "repair", "big", "latency"):
        f = out / ("bench_%s.md" % name)
        if name in only and f.exists():
            tables[name] = f.read_text()
    meta = out / "meta.json"
    if meta.exists():
        m = json.loads(meta.read_text())
        return tables, m["took"], datetime.datetime.fromisoformat(m["date"])
    # A run interrupted before its meta file: the tools' own times from the log.
    log = (out / "perf_report.log").read_text() if (out / "perf_report.log").exists() else ""
    took = sum(float(x) for x in re.findall(r"^# took (\d+(?:\.\d+)?) s$", log, re.M))
    newest = max((f.stat().st_mtime for f in out.glob("*.md")), default=time.time())
    return tables, took, datetime.datetime.fromtimestamp(newest, datetime.timezone.utc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="--repeat of each tool")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs of bench_server and bench_raid (merged)")
    parser.add_argument("--big-sizes", default=BIG_SIZES,
                        help="bench_big.py --sizes (the issue's: 4096,16384,65536)")
    parser.add_argument("--only", help="comma-separated subset of: " + ",".join(SECTIONS))
    parser.add_argument("--out-dir", help="where the tools' tables and log go (default: temp)")
    parser.add_argument("--output", default=str(REPO / "docs" / "performance.md"))
    parser.add_argument("--build-dir", help="C++ build directory (else $MEMORYFS_BUILD_DIR "
                        "or <repo>/build)")
    parser.add_argument("--note", default="", help="a sentence added to the intro")
    parser.add_argument("--from-dir", help="run nothing: rewrite the page from the tables an "
                        "earlier run left in this --out-dir")
    args = parser.parse_args()
    if args.build_dir:
        os.environ["MEMORYFS_BUILD_DIR"] = str(Path(args.build_dir).resolve())
    only = args.only.split(",") if args.only else list(SECTIONS)
    if args.from_dir:
        out = Path(args.from_dir)
        tables, took, date = load_tables(out, only)
        args.runs = len(list(out.glob("bench_server.*.md"))) or args.runs
    else:
        out = Path(args.out_dir or tempfile.mkdtemp(prefix="perf_report."))
        out.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        run_all(out, only, args)
        took = time.monotonic() - began
        date = datetime.datetime.now(datetime.timezone.utc)
        (out / "meta.json").write_text(json.dumps({"took": took, "date": date.isoformat()}))
        tables, _, _ = load_tables(out, only)

    command = "/usr/bin/python3 tools/perf_report.py"  # what was measured, not where it went
    for flag, value, default in (("--runs", args.runs, 5), ("--repeat", args.repeat, 5),
                                 ("--big-sizes", args.big_sizes, BIG_SIZES),
                                 ("--only", args.only, None)):
        if value != default:
            command += " %s %s" % (flag, value)
    biggest = max(int(s) for s in args.big_sizes.split(","))
    big_note = ("" if biggest >= 65536 else
                "; the issue's size, 8 x 65,536 blocks of 4 KiB (2 GiB), is "
                "`--big-sizes 4096,16384,65536` (about 5 more minutes)")
    fields = dict(runs=args.runs, repeat=args.repeat, big_sizes=args.big_sizes.replace(",", ", "),
                  big_note=big_note)
    note = (" " + args.note) if args.note else ""
    parts = [INTRO.format(command=command, date=date.strftime("%Y-%m-%d %H:%M UTC"), took=took,
                          machine=machine(), note=note)]
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
