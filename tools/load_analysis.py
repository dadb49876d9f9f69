#!/usr/bin/env python3
"""Load analysis: requests per block server, single server vs RAID-5 (the assignment's
evaluation).

A fixed workload runs through the real shell (``memoryfs_shell_rpc``) against real block
servers (``memoryfs_server``) on loopback: create F files and append text to each so it has
the target size (write phase), then ``cat`` every file (read phase). For each block size and
file size it runs on one server (the baseline, N=1) and on RAID-5 arrays of N servers, with
the same virtual geometry for every N.

What is measured and how it is attributed:

* Physical requests per server and phase: the servers' own counters (the ``Stats`` RPC),
  read before and after each phase.
* Virtual requests (what the file system asks of its block device, the same for every N):
  the baseline run goes through compat_tests/trace_proxy.py, which records every
  ``Get n``/``Put n``/``RSM n``. Each virtual block is classified from the geometry and from
  the final inode table (lock, superblock, bitmap, inode table, directory block, file data).
* Attribution: every virtual request is mapped onto the servers with the RAID-5 layout of
  compat_tests/raid.py and the array's cost rules (Get = 1 Get on the data server; Put =
  read-modify-write: 2 Gets + 2 Puts, or reconstruct-write where it reads fewer blocks, as
  in stripe 0 whose lock slot is outside parity; the lock's RSM and release Put become the
  recorded lock's Lock and Unlock on server 0, which the servers count as metadata requests
  with the write intent, not as Get/Put/RSM). The mapped counts are checked against the
  measured ``Stats`` for every server and phase (column ``model_matches``), so the
  data/metadata split is exact, not an estimate.

Output in --out (default docs/load): per_server.csv, imbalance.csv, virtual.csv, PNG plots
(gnuplot) and summary.md. Standard library only, plus gnuplot (Debian: gnuplot-nox).

On a loaded machine: the shell runs with `-timeout --shell-timeout-ms` (default 30000: the
shell's own default of 1000 ms turns a slow reply into a failed server), a configuration whose
run fails anyway (the shell exits, prints an Error line, reports a failed server, gives no
prompt within --command-timeout s) is run again on fresh servers up to --retries times
(default 2), every failure's reason is printed (exit status, stderr and output tails), and the
last line says how many runs were retried. The request counts do not depend on the load.

Usage: /usr/bin/python3 tools/load_analysis.py --out docs/load [--quick] [--build-dir DIR]
       [--retries 2] [--shell-timeout-ms 30000] [--command-timeout 600] [--shell PROGRAM]
Uses $MEMORYFS_BUILD_DIR (default <repo>/build) for bin/memoryfs_server and
bin/memoryfs_shell_rpc. Full run: about a minute on 2 cores; --quick: a few seconds.
"""

import argparse
import collections
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "compat_tests"))
import raid  # noqa: E402
import servers  # noqa: E402
from trace_proxy import TraceProxy  # noqa: E402

sys.path.insert(0, str(REPO_ROOT / "tools"))
import runs  # noqa: E402

# ----- the experiment ----------------------------------------------------------------------
INODE_SIZE = 128         # (128 - 12) / 4 = 29 block pointers: files of up to 29 blocks
MAX_INODES = 16          # root + the files
FILES = 8
# Virtual blocks per block size: a multiple of the block size (the shell requires it) and of
# lcm(3, 4, 7) = 84, so N-1 = 3, 4 and 7 data blocks per stripe fill whole stripes and every
# server of an array holds the same number of blocks.
NUM_BLOCKS = {128: 2688, 512: 10752}
FILE_BLOCKS = {"small": 2, "large": 24}   # file size in blocks (content = blocks * bs bytes)
SERVER_COUNTS = (1, 4, 5, 8)
PHASES = ("write", "read")
KINDS = ("Get", "Put", "RSM")
CATEGORIES = ("lock", "superblock", "bitmap", "inode", "dir", "data")
METADATA = ("lock", "superblock", "bitmap", "inode", "dir")

QUICK = {"block_sizes": (128,), "file_sizes": ("small",), "server_counts": (1, 4)}
FULL = {"block_sizes": (128, 512), "file_sizes": ("small", "large"),
        "server_counts": SERVER_COUNTS}

COMMAND_TIMEOUT = 600.0  # one shell command; a 24-block append through the proxy takes ~3 s
EVENTS = (b"SERVER_DISCONNECTED", b"CORRUPTED_BLOCK", b"treated as failed")
# How shells are run (set by main): the program, its -timeout, the prompt timeout, retries.
RUN = types.SimpleNamespace(program=None, timeout_ms=runs.DEFAULT_SHELL_TIMEOUT_MS,
                            command_timeout=COMMAND_TIMEOUT, retrier=runs.Retrier())


class Workload:
    """One block size and one file size: the shell commands of each phase."""

    def __init__(self, bs, size_label, files=FILES):
        self.bs = bs
        self.nb = NUM_BLOCKS[bs]
        self.size_label = size_label
        self.file_blocks = FILE_BLOCKS[size_label]
        self.files = files
        max_blocks = (INODE_SIZE - 12) // 4
        if self.file_blocks > max_blocks:
            raise ValueError("files of %d blocks exceed the %d block pointers of an inode"
                             % (self.file_blocks, max_blocks))
        self.bitmap_offset = 2
        self.inode_offset = self.bitmap_offset + self.nb // bs
        self.data_offset = self.inode_offset + MAX_INODES * INODE_SIZE // bs

    @property
    def key(self):
        return (self.bs, self.size_label)

    def name(self, i):
        return "f%d" % i

    def content(self, i):
        """The text of file i: no spaces (one shell argument), exactly file_blocks * bs long."""
        unit = "%s%d-" % (chr(ord("a") + i % 26), i)
        size = self.file_blocks * self.bs
        return (unit * (size // len(unit) + 1))[:size]

    def commands(self, phase):
        """[(command, expected output prefix or None)] of one phase."""
        if phase == "write":
            cmds = []
            for i in range(self.files):
                cmds.append(("create %s" % self.name(i), None))
                cmds.append(("append %s %s" % (self.name(i), self.content(i)), None))
            return cmds
        return [("cat %s" % self.name(i), self.content(i).encode()) for i in range(self.files)]

    def shell_flags(self):
        return ["-nb", self.nb, "-bs", self.bs, "-is", INODE_SIZE, "-ni", MAX_INODES, "-cid", 0]

    def __str__(self):
        return "bs=%d, %s files (%d blocks)" % (self.bs, self.size_label, self.file_blocks)


# ----- running the shell -------------------------------------------------------------------
def send(shell, line):
    """Send one command and return its output (up to the next prompt)."""
    return shell.send(line)


def start_shell(args, what):
    """A ToolShell (failures are runs.RunFailed with the reason) with the tool's -timeout."""
    return runs.ToolShell([*args, "-timeout", RUN.timeout_ms], program=RUN.program,
                          prompt_timeout=RUN.command_timeout, what=what)


def stats_of(server_list):
    """Per server {Get, Put, RSM} from the servers' Stats RPC."""
    out = []
    for server in server_list:
        s = server.proxy().Stats()
        out.append({k: int(s[k]) for k in KINDS})
    return out


def stats_delta(before, after):
    return [{k: a[k] - b[k] for k in KINDS} for b, a in zip(before, after)]


def check_output(command, out, expected, shell=None):
    """RunFailed (with the reason) when a command printed an Error line or reported a failed
    server (under load: a timeout); RuntimeError when it read back wrong bytes."""
    event = next((e for e in EVENTS + (b"Error", b"rror:") if e in out), None)
    if event is not None:
        status = shell.proc.poll() if shell is not None else None
        stderr = shell.stderr() if shell is not None else b""
        raise runs.RunFailed(runs.describe("shell command %r" % command[:40], status, out,
                                           stderr, "it printed %s" % event.decode()))
    if expected is not None and not out.startswith(expected):
        raise RuntimeError("%r read back wrong bytes: %r..." % (command[:40], out[:60]))


def run_phases(workload, shell, server_list, proxy=None):
    """Run every phase; returns {phase: (per-server Stats delta, virtual trace lines)}."""
    results = {}
    for phase in PHASES:
        before = stats_of(server_list)
        if proxy is not None:
            proxy.lines.clear()
        for command, expected in workload.commands(phase):
            check_output(command, send(shell, command), expected, shell)
        after = stats_of(server_list)
        trace = list(proxy.lines) if proxy is not None else None
        results[phase] = (stats_delta(before, after), trace)
    return results


def close_shell(shell):
    """Exit the shell; kill it if it does not exit by itself."""
    if shell is None or shell.proc is None:
        return
    try:
        if shell.proc.poll() is None:
            shell.proc.stdin.write(b"exit\n")
            shell.proc.stdin.close()
            shell.proc.wait(10)
    except (OSError, subprocess.TimeoutExpired):
        pass
    finally:
        if shell.proc.poll() is None:
            shell.proc.kill()
            shell.proc.wait()


def run_baseline(pool, workload):
    """N=1 behind the trace proxy: measured Stats, the virtual trace, and the block owners."""
    server = pool.start("cpp", nb=workload.nb, bs=workload.bs)
    try:
        proxy = TraceProxy(server.port).start()
        shell = None
        try:
            shell = start_shell(["-port", proxy.port, *workload.shell_flags()],
                                "%s, N=1" % workload)
            results = run_phases(workload, shell, [server], proxy)
        finally:
            close_shell(shell)
            proxy.stop()
        return results, block_owners(workload, server)
    finally:
        server.kill()


def run_array(pool, workload, n):
    """RAID-5 over n servers: measured Stats per server and phase."""
    array = raid.RaidServers(pool, n, workload.nb, workload.bs)
    shell = None
    try:
        shell = start_shell(array.shell_args(*workload.shell_flags()), "%s, N=%d" % (workload, n))
        results = run_phases(workload, shell, array.servers)
    finally:
        close_shell(shell)
        for server in array.servers:
            server.kill()
    return results


# ----- classifying virtual blocks ----------------------------------------------------------
def block_owners(workload, server):
    """{virtual block: "dir" | "data"} for every block an inode owns, read from the inode table
    of the (single) server after the workload (no rm: owners never change)."""
    proxy = server.proxy()
    owners = {}
    per_block = workload.bs // INODE_SIZE
    for i in range(MAX_INODES):
        block = bytes(proxy.Get(workload.inode_offset + i // per_block))
        offset = (i % per_block) * INODE_SIZE
        inode = block[offset:offset + INODE_SIZE]
        kind = int.from_bytes(inode[4:6], "big")
        if kind == 0:
            continue
        category = {1: "data", 2: "dir"}.get(kind, "dir")  # symlinks: none in this workload
        for p in range(12, INODE_SIZE, 4):
            b = int.from_bytes(inode[p:p + 4], "big")
            if b:
                owners[b] = category
    return owners


def classify(workload, owners, v):
    if v == 0:
        return "lock"
    if v == 1:
        return "superblock"
    if v < workload.inode_offset:
        return "bitmap"
    if v < workload.data_offset:
        return "inode"
    if v not in owners:
        raise RuntimeError("virtual block %d is used but owned by no inode" % v)
    return owners[v]


def parse_trace_line(line):
    parts = line.split()
    if parts[0] not in KINDS or len(parts) < 2:
        raise RuntimeError("unexpected trace line %r" % line)
    return parts[0], int(parts[1])


# ----- the RAID-5 cost model (the rules of src/raid/array.cc, healthy array) ----------------
def physical_requests(kind, v, n):
    """[(server, kind)] that one virtual request becomes on n servers (n = 1: itself)."""
    if n == 1:
        return [(0, kind)]
    if kind == "RSM":
        return []  # the recorded lock: Lock on server 0, counted as metadata, not RSM
    server, stripe = raid.data_location(v, n)
    if (server, stripe) == (0, 0) and kind == "Put":
        return []  # the lock's release: Unlock on server 0, metadata too
    if kind == "Get" or (server, stripe) == (0, 0):
        return [(server, kind)]  # a read, or the lock block (outside parity)
    parity = raid.parity_server(stripe, n)
    covered = [s for s in range(n) if (s, stripe) != (0, 0) and s != server]
    other_data = [s for s in covered if s != parity]
    if len(other_data) < 2:  # reconstruct-write reads fewer blocks than read-modify-write
        reads = other_data
    else:
        reads = [server, parity]
    return [(s, "Get") for s in reads] + [(server, "Put"), (parity, "Put")]


def attribute(workload, owners, trace, n):
    """Per server, per category, per kind: the physical requests a virtual trace causes."""
    counts = [{c: dict.fromkeys(KINDS, 0) for c in CATEGORIES} for _ in range(n)]
    for line in trace:
        kind, v = parse_trace_line(line)
        category = classify(workload, owners, v)
        for server, physical_kind in physical_requests(kind, v, n):
            counts[server][category][physical_kind] += 1
    return counts


def virtual_counts(workload, owners, trace):
    counts = {c: dict.fromkeys(KINDS, 0) for c in CATEGORIES}
    for line in trace:
        kind, v = parse_trace_line(line)
        counts[classify(workload, owners, v)][kind] += 1
    return counts


# ----- the analysis ------------------------------------------------------------------------
def analyse(plan, files, log):
    """Runs every configuration; returns (per_server rows, imbalance rows, virtual rows,
    hot blocks: {(bs, file size, phase): [(virtual block, requests, category)] busiest first})."""
    per_server, imbalance, virtual, hot = [], [], [], {}
    with servers.ServerPool() as pool:
        for bs in plan["block_sizes"]:
            for size_label in plan["file_sizes"]:
                workload = Workload(bs, size_label, files)
                started = time.monotonic()
                baseline, owners = RUN.retrier.run("%s, N=1" % workload, run_baseline, pool,
                                                   workload)
                log("%s: baseline + trace %.1f s" % (workload, time.monotonic() - started))
                traces = {phase: baseline[phase][1] for phase in PHASES}
                for phase in PHASES:
                    for category, kinds in virtual_counts(workload, owners,
                                                          traces[phase]).items():
                        virtual.append(virtual_row(workload, phase, category, kinds))
                    per_block = collections.Counter(parse_trace_line(line)[1]
                                                    for line in traces[phase])
                    hot[(bs, size_label, phase)] = [
                        (v, count, classify(workload, owners, v))
                        for v, count in per_block.most_common(3)]
                baseline_totals = {}
                for n in plan["server_counts"]:
                    started = time.monotonic()
                    measured = baseline if n == 1 else RUN.retrier.run(
                        "%s, N=%d" % (workload, n), run_array, pool, workload, n)
                    for phase in PHASES:
                        model = attribute(workload, owners, traces[phase], n)
                        rows = server_rows(workload, n, phase, measured[phase][0], model)
                        per_server.extend(rows)
                        summary = imbalance_rows(workload, n, phase, rows, baseline_totals)
                        imbalance.extend(summary)
                    if n != 1:
                        log("%s: N=%d %.1f s" % (workload, n, time.monotonic() - started))
    return per_server, imbalance, virtual, hot


def common_columns(workload):
    return {"block_size": workload.bs, "num_blocks": workload.nb,
            "file_size": workload.size_label, "file_blocks": workload.file_blocks,
            "files": workload.files}


def virtual_row(workload, phase, category, kinds):
    row = common_columns(workload)
    row.update({"phase": phase, "category": category,
                "metadata": int(category in METADATA),
                "get": kinds["Get"], "put": kinds["Put"], "rsm": kinds["RSM"],
                "total": sum(kinds.values())})
    return row


PER_SERVER_COLUMNS = (
    ["block_size", "num_blocks", "file_size", "file_blocks", "files", "servers", "phase",
     "server", "get", "put", "rsm", "total",
     "data_get", "data_put", "data_total", "meta_get", "meta_put", "meta_rsm", "meta_total"]
    + ["%s_total" % c for c in CATEGORIES if c != "data"] + ["model_matches"])


def server_rows(workload, n, phase, measured, model):
    rows = []
    for server in range(n):
        row = common_columns(workload)
        got = measured[server]
        cats = model[server]
        meta = {k: sum(cats[c][k] for c in METADATA) for k in KINDS}
        modelled = {k: meta[k] + cats["data"][k] for k in KINDS}
        row.update({
            "servers": n, "phase": phase, "server": server,
            "get": got["Get"], "put": got["Put"], "rsm": got["RSM"],
            "total": sum(got.values()),
            "data_get": cats["data"]["Get"], "data_put": cats["data"]["Put"],
            "data_total": sum(cats["data"].values()),
            "meta_get": meta["Get"], "meta_put": meta["Put"], "meta_rsm": meta["RSM"],
            "meta_total": sum(meta.values()),
            "model_matches": int(modelled == got),
        })
        for c in CATEGORIES:
            if c != "data":
                row["%s_total" % c] = sum(cats[c].values())
        rows.append(row)
    return rows


IMBALANCE_COLUMNS = ["block_size", "num_blocks", "file_size", "file_blocks", "files",
                     "servers", "phase", "scope", "total", "ideal_per_server", "min", "max",
                     "max_over_avg", "spread_over_avg", "baseline_total", "total_over_baseline",
                     "max_over_baseline"]
SCOPES = {"all": "total", "data": "data_total", "metadata": "meta_total"}


def imbalance_rows(workload, n, phase, rows, baseline_totals):
    out = []
    for scope, column in SCOPES.items():
        values = [r[column] for r in rows]
        total = sum(values)
        avg = total / n
        if n == 1:
            baseline_totals[(phase, scope)] = total
        baseline = baseline_totals.get((phase, scope))
        row = common_columns(workload)
        row.update({
            "servers": n, "phase": phase, "scope": scope, "total": total,
            "ideal_per_server": round(avg, 3), "min": min(values), "max": max(values),
            "max_over_avg": round(max(values) / avg, 4) if avg else "",
            "spread_over_avg": round((max(values) - min(values)) / avg, 4) if avg else "",
            "baseline_total": baseline if baseline is not None else "",
            "total_over_baseline": round(total / baseline, 4) if baseline else "",
            "max_over_baseline": round(max(values) / baseline, 4) if baseline else "",
        })
        out.append(row)
    return out


def write_csv(path, columns, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


VIRTUAL_COLUMNS = ["block_size", "num_blocks", "file_size", "file_blocks", "files", "phase",
                   "category", "metadata", "get", "put", "rsm", "total"]


# ----- plots (gnuplot) ---------------------------------------------------------------------
PALETTE = {"data": "#1f77b4", "bitmap": "#d62728", "other": "#ff7f0e"}
WORKLOAD_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]


def gnuplot(script, workdir):
    result = subprocess.run(["gnuplot"], input=script, text=True, cwd=workdir,
                            capture_output=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError("gnuplot failed:\n%s\n--- script ---\n%s" % (result.stderr, script))


def per_server_plot(out_dir, workdir, bs, size_label, file_blocks, rows, server_counts):
    """One PNG per workload: per-server requests, stacked data / bitmap / other metadata,
    grouped by N, write phase left and read phase right."""
    name = "per_server_bs%d_%s.png" % (bs, size_label)
    # x positions: the servers of one N side by side, a gap of 1 between groups
    positions, group_labels, x = {}, [], 0.0
    for n in server_counts:
        first = x
        for server in range(n):
            positions[(n, server)] = x
            x += 1
        group_labels.append((n, (first + x - 1) / 2))
        x += 1
    xtics = ", ".join("'S%d' %g" % (s, pos) for (n, s), pos in positions.items())
    labels = "".join("set label 'N=%d' at %g, graph -0.09 center font 'Sans,11'\n" % (n, pos)
                     for n, pos in group_labels)
    panels = []
    for phase in PHASES:
        dat = Path(workdir) / ("ps_%d_%s_%s.dat" % (bs, size_label, phase))
        lines = ["# x data data+bitmap data+bitmap+other_metadata"]
        for r in rows:
            if (r["block_size"], r["file_size"], r["phase"]) == (bs, size_label, phase) and \
                    (r["servers"], r["server"]) in positions:
                data, bitmap = r["data_total"], r["bitmap_total"]
                lines.append("%g %d %d %d" % (positions[(r["servers"], r["server"])], data,
                                              data + bitmap, r["total"]))
        dat.write_text("\n".join(lines) + "\n")
        top = max(r["total"] for r in rows if (r["block_size"], r["file_size"], r["phase"])
                  == (bs, size_label, phase))
        panels.append(
            "set yrange [0:%g]\n" % (top * 1.3 or 1) +  # headroom for the key
            "set title '%s phase'\n"
            "plot '%s' using 1:4 with boxes lc rgb '%s' title 'lock, inodes, directory (metadata)', "
            "'' using 1:3 with boxes lc rgb '%s' title 'free bitmap (metadata)', "
            "'' using 1:2 with boxes lc rgb '%s' title 'file data'\n"
            % (phase.capitalize(), dat.name, PALETTE["other"], PALETTE["bitmap"],
               PALETTE["data"]))
    script = """
set terminal pngcairo size 1400,600 font 'Sans,10'
set output '%s'
set multiplot layout 1,2 title 'Physical requests per server (Get+Put+RSM), block size %d, %d files of %d blocks (%s files)' font 'Sans,12'
set style fill solid 0.85 border -1
set boxwidth 0.8
set xtics (%s) font 'Sans,8' nomirror scale 0
set xrange [-0.7:%g]
%s
set ylabel 'physical requests per server'
set xlabel 'server S0..S(N-1), grouped by number of servers N (N=1: single-server baseline)' offset 0,-1.5
set bmargin 6
set key top right opaque box font 'Sans,9'
set grid ytics
%s
unset multiplot
""" % (out_dir / name, bs, rows[0]["files"], file_blocks, size_label, xtics, x - 1.3,
       labels, "".join(panels))
    gnuplot(script, workdir)
    return name


def imbalance_plot(out_dir, workdir, imbalance, workloads, server_counts):
    """max/avg vs N for every workload; panels: write/read x all requests/file data only."""
    name = "imbalance_vs_n.png"
    panels = []
    for scope, scope_title in (("all", "all requests"), ("data", "file-data requests only")):
        for phase in PHASES:
            plots = []
            for i, (bs, size_label, file_blocks) in enumerate(workloads):
                dat = Path(workdir) / ("imb_%s_%s_%d_%s.dat" % (scope, phase, bs, size_label))
                lines = ["# N max_over_avg spread_over_avg"]
                for r in imbalance:
                    if (r["block_size"], r["file_size"], r["phase"], r["scope"]) == \
                            (bs, size_label, phase, scope) and r["max_over_avg"] != "":
                        lines.append("%d %s %s" % (r["servers"], r["max_over_avg"],
                                                   r["spread_over_avg"]))
                dat.write_text("\n".join(lines) + "\n")
                plots.append("'%s' using 1:2 with linespoints lw 2 pt %d ps 1.3 lc rgb '%s' "
                             "title 'bs=%d, %s (%d blocks)'"
                             % (dat.name, 5 + i, WORKLOAD_COLORS[i % len(WORKLOAD_COLORS)],
                                bs, size_label, file_blocks))
            plots.append("1 with lines dt 2 lc rgb 'gray40' title 'ideal (B/N each)'")
            panels.append("set title '%s phase, %s'\nplot %s\n"
                          % (phase.capitalize(), scope_title, ", ".join(plots)))
    xtics = ", ".join(str(n) for n in server_counts)
    script = """
set terminal pngcairo size 1300,900 font 'Sans,10'
set output '%s'
set multiplot layout 2,2 title 'Load imbalance: busiest server / average (B/N), vs number of servers N' font 'Sans,12'
set xlabel 'number of servers N (1 = single-server baseline)'
set ylabel 'max / avg requests per server'
set xtics (%s)
set xrange [0.5:%d.5]
set yrange [0.8:*]
set grid
set key top left font 'Sans,9'
%s
unset multiplot
""" % (out_dir / name, xtics, max(server_counts), "".join(panels))
    gnuplot(script, workdir)
    return name


def baseline_plot(out_dir, workdir, imbalance, workloads, server_counts):
    """Against the single-server baseline, vs N: total requests (write phase) and the busiest
    server's requests (write and read phases; ideal 1/N)."""
    name = "vs_baseline.png"
    panels = []
    for phase, column, title, ylabel in (
            ("write", "total_over_baseline", "Write phase: all servers",
             "total requests / baseline requests"),
            ("write", "max_over_baseline", "Write phase: busiest server",
             "busiest server requests / baseline requests"),
            ("read", "max_over_baseline", "Read phase: busiest server",
             "busiest server requests / baseline requests")):
        plots = []
        for i, (bs, size_label, file_blocks) in enumerate(workloads):
            dat = Path(workdir) / ("base_%s_%s_%d_%s.dat" % (column, phase, bs, size_label))
            lines = ["# N %s" % column]
            for r in imbalance:
                if (r["block_size"], r["file_size"], r["phase"], r["scope"]) == \
                        (bs, size_label, phase, "all") and r[column] != "":
                    lines.append("%d %s" % (r["servers"], r[column]))
            dat.write_text("\n".join(lines) + "\n")
            plots.append("'%s' using 1:2 with linespoints lw 2 pt %d ps 1.3 lc rgb '%s' "
                         "title 'bs=%d, %s (%d blocks)'"
                         % (dat.name, 5 + i, WORKLOAD_COLORS[i % len(WORKLOAD_COLORS)], bs,
                            size_label, file_blocks))
        if column == "max_over_baseline":
            plots.append("1/x with lines dt 2 lw 1.5 lc rgb 'gray40' title 'ideal 1/N'")
            yrange, key = "[0:1.6]", "top right"  # the key above the data (at most 1)
        else:
            plots.append("1 with lines dt 2 lw 1.5 lc rgb 'gray40' title 'baseline'")
            yrange, key = "[0:*]", "bottom right"
        panels.append("set title '%s'\nset ylabel '%s'\nset yrange %s\nset key %s\nplot %s\n"
                      % (title, ylabel, yrange, key, ", ".join(plots)))
    xtics = ", ".join(str(n) for n in server_counts)
    script = """
set terminal pngcairo size 1500,500 font 'Sans,10'
set output '%s'
set multiplot layout 1,3 title 'Compared with the single-server baseline (N=1), vs number of servers N (Get+Put+RSM; Lock and Unlock of the recorded lock not counted)' font 'Sans,12'
set xlabel 'number of servers N (1 = single-server baseline)'
set xtics (%s)
set xrange [0.5:%d.5]
set samples 400
set grid
set key font 'Sans,9' opaque
%s
unset multiplot
""" % (out_dir / name, xtics, max(server_counts), "".join(panels))
    gnuplot(script, workdir)
    return name


# ----- Markdown summary --------------------------------------------------------------------
def md_table(header, rows, align=None):
    align = align or ["---:"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def fmt(x, digits=2):
    return ("%%.%df" % digits) % x if isinstance(x, float) else str(x)


def summary_markdown(plan, files, per_server, imbalance, virtual, hot, plots, elapsed):
    workloads = sorted({(r["block_size"], r["file_size"], r["file_blocks"], r["num_blocks"])
                        for r in virtual}, key=lambda w: (w[0], w[2]))
    counts = plan["server_counts"]
    matched = all(r["model_matches"] for r in per_server)
    mismatches = [r for r in per_server if not r["model_matches"]]
    out = []
    out.append("# Load analysis: requests per server, single server vs RAID-5\n")
    out.append("Generated by `/usr/bin/python3 tools/load_analysis.py --out docs/load`%s "
               "(%s, %d CPUs, about %d s). Do not edit by hand; rerun the tool. The request "
               "counts are deterministic: a rerun gives the same numbers.\n"
               % (" --quick" if plan is QUICK else "", platform.machine(), os.cpu_count(),
                  round(elapsed, -1) or 10))
    out.append("## Workload and method\n")
    out.append(
        "- Real processes on loopback: `memoryfs_shell_rpc` driven one command at a time, "
        "`memoryfs_server` block servers. Shell flags `-is %d -ni %d` (files of up to %d "
        "blocks)." % (INODE_SIZE, MAX_INODES, (INODE_SIZE - 12) // 4))
    out.append(
        "- Write phase: `create f<i>` then `append f<i> <text>` for %d files, the text being "
        "exactly file blocks x block size bytes. Read phase: `cat f<i>` for every file (the "
        "bytes read back are checked)." % files)
    geo = ", ".join("bs=%d: nb=%d virtual blocks" % (bs, nb)
                    for bs, nb in sorted({(w[0], w[3]) for w in workloads}))
    out.append(
        "- Virtual geometry, the same for every N: %s (multiples of the block size and of "
        "3, 4 and 7, so every array has whole stripes). RAID-5 servers get nb/(N-1) blocks "
        "each." % geo)
    out.append(
        "- Configurations: N = %s (N=1: the single-server baseline, `-port`; N>1: RAID-5, "
        "`-ns N -servers ...`). Counts are the servers' own `Stats` counters, before/after "
        "each phase." % ", ".join(map(str, counts)))
    out.append(
        "- Attribution: the baseline run goes through a recording proxy "
        "(compat_tests/trace_proxy.py) that gives the virtual requests; each virtual block is "
        "classified (block 0 lock, block 1 superblock, free bitmap, inode table, directory "
        "blocks = metadata; blocks of files = data) and mapped to servers with the RAID-5 "
        "layout and the array's cost rules (Get: 1 Get; Put: read-modify-write, 2 Gets + 2 "
        "Puts, or reconstruct-write in stripe 0 where the lock slot is outside parity; the lock "
        "is taken and released with the recorded lock's Lock/Unlock on server 0, counted by the "
        "servers as metadata requests, not as Get/Put/RSM).")
    if matched:
        out.append(
            "- Validation: the mapped counts equal the measured `Stats` for every server, "
            "phase and configuration (%d server rows, column `model_matches` = 1), so the "
            "data/metadata split below is exact." % len(per_server))
    else:
        out.append(
            "- **Validation failed** for %d of %d server rows (column `model_matches` = 0): "
            "the data/metadata split is an estimate there." % (len(mismatches),
                                                                len(per_server)))
    out.append("- Imbalance: with B requests on N servers the ideal is B/N each; `max/avg` = "
               "busiest server / (B/N), `(max-min)/avg` = spread. 1.00 and 0.00 are perfect.\n")
    out.append("Files: `per_server.csv` (every server, phase, configuration; measured Get/Put/"
               "RSM and the data/metadata split), `imbalance.csv` (per configuration, phase and "
               "scope all/data/metadata), `virtual.csv` (the file system's own requests by "
               "block category), and the plots below.\n")

    # Findings
    out.append("## Findings\n")
    out.extend(findings(per_server, imbalance, virtual, hot, workloads, counts))

    # Virtual requests
    out.append("\n## Virtual requests (the file system's view, the same for every N)\n")
    header = ["block size", "file size", "phase"] + list(CATEGORIES) + ["total",
                                                                         "metadata share"]
    rows = []
    for bs, size_label, file_blocks, _ in workloads:
        for phase in PHASES:
            sel = {r["category"]: r for r in virtual if (r["block_size"], r["file_size"],
                                                         r["phase"]) == (bs, size_label, phase)}
            total = sum(r["total"] for r in sel.values())
            meta = sum(sel[c]["total"] for c in METADATA)
            cells = ["%d/%d/%d" % (sel[c]["get"], sel[c]["put"], sel[c]["rsm"])
                     if sel[c]["total"] else "0" for c in CATEGORIES]
            rows.append([bs, "%s (%d blocks)" % (size_label, file_blocks), phase, *cells, total,
                         "%.0f%%" % (100.0 * meta / total if total else 0)])
    out.append("Cells are Get/Put/RSM.\n")
    out.append(md_table(header, rows, ["---:", "---", "---"] + ["---:"] * (len(header) - 3)))

    # Imbalance
    out.append("\n## Imbalance per configuration\n")
    out.append("B = physical requests on all servers in the phase (Get+Put+RSM); `x base` = B / "
               "the single-server baseline's B.\n")
    header = ["block size", "file size", "phase", "N", "B", "x base", "B/N", "min", "max",
              "max/avg", "(max-min)/avg", "data B", "data max/avg", "data (max-min)/avg",
              "metadata max/avg"]
    rows = []
    index = {(r["block_size"], r["file_size"], r["phase"], r["servers"], r["scope"]): r
             for r in imbalance}
    for bs, size_label, file_blocks, _ in workloads:
        for phase in PHASES:
            for n in counts:
                a = index[(bs, size_label, phase, n, "all")]
                d = index[(bs, size_label, phase, n, "data")]
                m = index[(bs, size_label, phase, n, "metadata")]
                rows.append([bs, size_label, phase, n, a["total"],
                             fmt(a["total_over_baseline"]), fmt(a["ideal_per_server"], 1),
                             a["min"], a["max"], fmt(a["max_over_avg"]),
                             fmt(a["spread_over_avg"]), d["total"], fmt(d["max_over_avg"]),
                             fmt(d["spread_over_avg"]), fmt(m["max_over_avg"])])
    out.append(md_table(header, rows, ["---:", "---", "---"] + ["---:"] * (len(header) - 3)))

    # Per-server tables
    out.append("\n## Requests per server\n")
    out.append("Each cell: total physical requests of the server (Get+Put+RSM) and, in "
               "brackets, the part due to file data blocks; the rest is metadata.\n")
    maxn = max(counts)
    for bs, size_label, file_blocks, nb in workloads:
        out.append("\n### Block size %d, %s files (%d files x %d blocks, nb=%d)\n"
                   % (bs, size_label, files, file_blocks, nb))
        header = ["phase", "N"] + ["S%d" % s for s in range(maxn)]
        rows = []
        for phase in PHASES:
            for n in counts:
                sel = sorted((r for r in per_server
                              if (r["block_size"], r["file_size"], r["phase"], r["servers"])
                              == (bs, size_label, phase, n)), key=lambda r: r["server"])
                cells = ["%d (%d)" % (r["total"], r["data_total"]) for r in sel]
                cells += [""] * (maxn - len(cells))
                rows.append([phase, n, *cells])
        out.append(md_table(header, rows, ["---", "---:"] + ["---:"] * maxn))
        detail = []
        for phase in PHASES:
            for n in counts:
                if n == 1:
                    continue
                sel = sorted((r for r in per_server
                              if (r["block_size"], r["file_size"], r["phase"], r["servers"])
                              == (bs, size_label, phase, n)), key=lambda r: r["server"])
                detail.append([phase, n] + ["%d/%d/%d" % (r["get"], r["put"], r["rsm"])
                                            for r in sel] + [""] * (maxn - len(sel)))
        out.append("\nGet/Put/RSM per server (RAID-5):\n")
        out.append(md_table(header, detail, ["---", "---:"] + ["---:"] * maxn))

    out.append("\n## Plots\n")
    for name, caption in plots:
        out.append("![%s](%s)\n" % (caption, name))
    out.append("")
    return "\n".join(out)


def findings(per_server, imbalance, virtual, hot, workloads, counts):
    """Bullet points with numbers, derived from the results."""
    lines = []
    index = {(r["block_size"], r["file_size"], r["phase"], r["servers"], r["scope"]): r
             for r in imbalance}
    raid_counts = [n for n in counts if n > 1]
    pct = lambda part, whole: "%.0f%%" % (100.0 * part / whole if whole else 0)
    ideal = lambda n: "%g%%" % round(100.0 / n, 1)

    # 1. Where the file system's own requests go.
    cells = []
    for bs, size_label, file_blocks, _ in workloads:
        for phase in PHASES:
            sel = [r for r in virtual if (r["block_size"], r["file_size"], r["phase"])
                   == (bs, size_label, phase)]
            total = sum(r["total"] for r in sel)
            data = sum(r["total"] for r in sel if r["category"] == "data")
            bitmap = sum(r["total"] for r in sel if r["category"] == "bitmap")
            cells.append("bs=%d %s %s: %d requests, %s file data%s"
                         % (bs, size_label, phase, total, pct(data, total),
                            ", %s bitmap" % pct(bitmap, total) if bitmap else ""))
    lines.append("- Metadata dominates the file system's own (virtual) requests: %s."
                 % "; ".join(cells))
    hottest = []
    for bs, size_label, _, _ in workloads:
        v, count, category = hot[(bs, size_label, "write")][0]
        total = sum(r["total"] for r in virtual if (r["block_size"], r["file_size"],
                                                     r["phase"]) == (bs, size_label, "write"))
        hottest.append("bs=%d %s: block %d (%s), %d requests = %s"
                       % (bs, size_label, v, category, count, pct(count, total)))
    lines.append(
        "- The allocator scans the free bitmap from the first data block and Gets the bitmap "
        "block once per block number it looks at, so allocating the k-th data block costs "
        "about k Gets: bitmap traffic grows with the square of the data written, and it all "
        "goes to the one or two bitmap blocks that cover the used blocks. Hottest virtual "
        "block of the write phase: %s." % "; ".join(hottest))
    if not raid_counts:
        return lines
    # 2. That block is on one server: the write hot spot.
    cells = []
    for bs, size_label, _, _ in workloads:
        v = hot[(bs, size_label, "write")][0][0]
        for n in raid_counts:
            a = index[(bs, size_label, "write", n, "all")]
            server, _ = raid.data_location(v, n)
            busiest = max((r for r in per_server if (r["block_size"], r["file_size"],
                                                     r["phase"], r["servers"])
                           == (bs, size_label, "write", n)), key=lambda r: r["total"])
            cells.append("bs=%d %s N=%d: S%d has %s of B (block %d is on S%d), %s of the "
                         "baseline's load (ideal %s)"
                         % (bs, size_label, n, busiest["server"],
                            pct(busiest["total"], a["total"]), v, server,
                            pct(busiest["total"], a["baseline_total"]), ideal(n)))
    lines.append(
        "- RAID-5 does not spread the write phase: the hot bitmap block lives on one data "
        "server (and its Gets are plain reads, not striped), so the busiest server keeps far "
        "more than its 1/N share whatever N is. %s." % "; ".join(cells))
    # 3. Reads of file data are balanced.
    per = []
    for bs, size_label, _, _ in workloads:
        per.append("bs=%d %s: %s" % (bs, size_label, ", ".join(
            "N=%d %s" % (n, fmt(index[(bs, size_label, "read", n, "data")]["max_over_avg"]))
            for n in raid_counts)))
    lines.append(
        "- Reading file data is balanced by the layout: consecutive virtual blocks rotate over "
        "the servers, so each server serves B/N of the data Gets up to rounding (at most "
        "%.1f requests from B/N in these runs; with small files B/N is only a few blocks, so "
        "one block more is a large ratio). Data-only max/avg, read phase: %s."
        % (max_data_deviation(per_server, "read"), "; ".join(per)))
    # 4. Overall imbalance, both phases.
    for phase in PHASES:
        cells = []
        for bs, size_label, _, _ in workloads:
            cells.append("bs=%d %s: %s" % (bs, size_label, ", ".join(
                "N=%d %s" % (n, fmt(index[(bs, size_label, phase, n, "all")]["max_over_avg"]))
                for n in raid_counts)))
        lines.append("- %s phase, all requests, max/avg: %s."
                     % (phase.capitalize(), "; ".join(cells)))
    cells = []
    for bs, size_label, _, _ in workloads:
        for n in raid_counts:
            r = index[(bs, size_label, "read", n, "all")]
            cells.append("bs=%d %s N=%d: %s (ideal %s)"
                         % (bs, size_label, n, pct(r["max"], r["baseline_total"]), ideal(n)))
    lines.append(
        "  In the read phase the imbalance is metadata: every command takes the lock (Lock "
        "and Unlock on server 0 only, not counted here) and every `cat` reads the root "
        "directory and "
        "inode blocks, a handful of virtual blocks each on one server. Large files dilute it; "
        "with small files metadata is most of the read load. Busiest server vs the "
        "baseline's read load: %s." % "; ".join(cells))
    # 5. Amplification.
    cells = []
    for bs, size_label, _, _ in workloads:
        cells.append("bs=%d %s: %s" % (bs, size_label, ", ".join(
            "N=%d x%s" % (n, fmt(index[(bs, size_label, "write", n, "all")]
                                 ["total_over_baseline"])) for n in raid_counts)))
    read_ratios = sorted({index[(bs, s, "read", n, "all")]["total_over_baseline"]
                          for bs, s, _, _ in workloads for n in raid_counts})
    lines.append(
        "- Total physical requests vs the single-server baseline, write phase: %s. Each "
        "virtual Put costs 4 requests on RAID-5 (2 Gets + 2 Puts; in stripe 0 with N=4, "
        "1 Get + 2 Puts), Gets and RSMs cost 1; where the write phase is mostly bitmap Gets "
        "(large files) its total grows by only a few percent. Read phase: %s."
        % ("; ".join(cells), "x1.00 for every configuration (a healthy read is one Get)"
           if read_ratios == [1.0] else
           "x%s to x%s (a healthy read is one Get; what RAID-5 saves is the lock's RSM and "
           "release Put of every command, which the recorded lock replaces by Lock and Unlock, "
           "metadata requests not counted here)" % (fmt(read_ratios[0]), fmt(read_ratios[-1]))))
    return lines


def max_data_deviation(per_server, phase):
    """Largest |data requests of a server - (data requests of all servers)/N| over RAID runs."""
    groups = collections.defaultdict(list)
    for r in per_server:
        if r["phase"] == phase and r["servers"] > 1:
            groups[(r["block_size"], r["file_size"], r["servers"])].append(r["data_total"])
    worst = 0.0
    for values in groups.values():
        avg = sum(values) / len(values)
        worst = max(worst, max(abs(v - avg) for v in values))
    return worst


# ----- main --------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "load"),
                        help="output directory (created)")
    parser.add_argument("--quick", action="store_true",
                        help="one block size (128), small files, N in {1, 4}: a few seconds")
    parser.add_argument("--files", type=int, default=FILES, help="files per workload")
    parser.add_argument("--build-dir", help="C++ build directory (overrides MEMORYFS_BUILD_DIR)")
    parser.add_argument("--command-timeout", type=float, default=COMMAND_TIMEOUT, metavar="S",
                        help="seconds one shell command may take (default %(default)s)")
    runs.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.build_dir:
        os.environ["MEMORYFS_BUILD_DIR"] = args.build_dir
    if not 1 <= args.files < MAX_INODES:
        parser.error("--files must be between 1 and %d" % (MAX_INODES - 1))
    runs.configure(RUN, args)
    RUN.command_timeout = args.command_timeout
    for binary in (servers.cpp_server_path(), RUN.program):
        if not os.access(binary, os.X_OK):
            parser.error("not built: %s" % binary)
    if shutil.which("gnuplot") is None:
        parser.error("gnuplot not found (Debian: apt-get install gnuplot-nox)")
    plan = QUICK if args.quick else FULL
    out_dir = Path(args.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    log = lambda message: print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    try:
        per_server, imbalance, virtual, hot = analyse(plan, args.files, log)
    except runs.RunFailed as failure:
        log("load_analysis: %s\n%s" % (failure, RUN.retrier.summary()))
        return 1
    write_csv(out_dir / "per_server.csv", PER_SERVER_COLUMNS, per_server)
    write_csv(out_dir / "imbalance.csv", IMBALANCE_COLUMNS, imbalance)
    write_csv(out_dir / "virtual.csv", VIRTUAL_COLUMNS, virtual)

    workloads = sorted({(r["block_size"], r["file_size"], r["file_blocks"]) for r in virtual},
                       key=lambda w: (w[0], w[2]))
    plots = []
    with tempfile.TemporaryDirectory(prefix="load_analysis_") as workdir:
        for bs, size_label, file_blocks in workloads:
            name = per_server_plot(out_dir, workdir, bs, size_label, file_blocks, per_server,
                                   plan["server_counts"])
            plots.append((name, "Requests per server, bs=%d, %s files" % (bs, size_label)))
        plots.append((imbalance_plot(out_dir, workdir, imbalance, workloads,
                                     plan["server_counts"]), "Imbalance vs N"))
        plots.append((baseline_plot(out_dir, workdir, imbalance, workloads,
                                    plan["server_counts"]), "Compared with the baseline"))
    elapsed = time.monotonic() - started
    (out_dir / "summary.md").write_text(
        summary_markdown(plan, args.files, per_server, imbalance, virtual, hot, plots,
                         elapsed))

    bad = [r for r in per_server if not r["model_matches"]]
    log("wrote %s (%.0f s). %s" % (out_dir, elapsed, RUN.retrier.summary()))
    if bad:
        log("WARNING: the layout model differs from the measured Stats in %d server rows"
            % len(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
