#!/usr/bin/env python3
"""Benchmark: big arrays, and how costs grow with the blocks per server (issue 12, item 4).

For each size in --sizes (blocks per server; default 4096,16384,65536, the last being 8 servers
of 65,536 blocks of 4 KiB = 2 GiB of raw blocks), RAID-5 over --n C++ servers of --bs bytes:

1. start the N servers (time from exec to the banner, each);
2. fill every block with consistent stripes written straight to the servers with the batch
   call PutBlocks (64 blocks of 4 KiB a call): data blocks deterministic random bytes, each
   stripe's parity block the XOR of its data blocks (layout of compat_tests/raid.py; virtual
   block 0, the lock, stays zero); then read each server's VmRSS from /proc/PID/status, beside
   its RSS right after start-up, against the bs + 16 bytes (block + MD5) a block needs;
3. shell start-up: the time to the first prompt of `memoryfs_shell_rpc -ns N -servers ...
   -nb blocks*(N-1) -bs BS -is 64 -ni 16 -cid 0` (it makes the file system), and the time of
   `-command status` (assembles the array, no start-up);
4. --repeat times: kill server 1, restart it blank, `repair 1` (timed), then `scrub` (timed;
   it reads and checks every stripe); the restart's start-up time is kept with step 1's.

Every size's array is built first and kept (2.7 GiB of RSS at the default sizes); steps 3 and 4
then alternate between the sizes in each repetition, so that load on the machine hits them
alike.

Prints one table of costs at each size (min / median / max over the repetitions where there
are several) and one of per-block costs with their ratio to the smallest size: a cost that
grows linearly in the blocks has a per-block ratio near 1, a flat one an absolute ratio
near 1. Not a test. ~8 minutes at 65,536 blocks on a 2-core machine.

Usage: tools/bench_big.py [--sizes 4096,16384,65536] [--n 8] [--bs 4096] [--repeat 5]
                          [--markdown FILE]
"""

import argparse
import concurrent.futures
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
import servers  # noqa: E402
import shells  # noqa: E402
from raid import data_location, meet_failure, parity_server  # noqa: E402
import runs  # noqa: E402

VICTIM = 1
CHECKSUM_BYTES = 16  # MD5 per block


class Shell(shells.InteractiveShell):
    """An interactive shell whose start-up and commands may take long."""

    def wait_prompt(self, timeout=3600):
        return super().wait_prompt(timeout)


def vm_rss(pid):
    """VmRSS of a process, bytes."""
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS for %d" % pid)


def timed_start(server):
    started = time.monotonic()
    server.start(timeout=120)
    return time.monotonic() - started


def batch_size(bs):
    return min(256, max(1, (256 * 1024) // bs))


def fill(array, blocks, bs, seed=12):
    """Writes consistent random stripes to every server; returns seconds."""
    n = len(array)
    lock_server, lock_stripe = data_location(0, n)
    batch = batch_size(bs)
    proxies = [s.proxy() for s in array]
    rng = random.Random(seed)
    zero = bytes(bs)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        pending = []
        for first in range(0, blocks, batch):
            count = min(batch, blocks - first)
            columns = [[rng.randbytes(bs) for _ in range(count)] for _ in range(n)]
            for i in range(count):
                stripe = first + i
                if stripe == lock_stripe:
                    columns[lock_server][i] = zero
                p = parity_server(stripe, n)
                acc = 0
                for s in range(n):
                    if s != p:
                        acc ^= int.from_bytes(columns[s][i], "little")
                columns[p][i] = acc.to_bytes(bs, "little")
            for f in pending:  # the previous batch, sent while this one was made
                f.result()
            pending = [pool.submit(proxies[s].PutBlocks, first, columns[s]) for s in range(n)]
        for f in pending:
            f.result()
    return time.monotonic() - started


def shell_args(array, blocks, bs):
    return ["-ns", len(array), "-servers", ",".join("127.0.0.1:%d" % s.port for s in array),
            "-nb", blocks * (len(array) - 1), "-bs", bs, "-is", 64, "-ni", 16, "-cid", 0,
            "-timeout", 60000]


def fixed_rss(pool, bs):
    """VmRSS of a server of one block after one PutBlocks: what does not grow with blocks."""
    server = pool.start("cpp", nb=1, bs=bs)
    server.proxy().PutBlocks(0, [random.Random(1).randbytes(bs)])
    rss = vm_rss(server.process.pid)
    server.kill()
    return rss


class Array:
    """One size's N servers, filled, and the shell kept open for its repairs."""

    def __init__(self, pool, n, blocks, bs):
        self.n, self.blocks, self.bs = n, blocks, bs
        self.r = {"start": [], "prompt": [], "status": [], "repair": [], "scrub": []}
        self.servers = [servers.ServerProcess("cpp", blocks, bs, servers.free_port())
                        for _ in range(n)]
        pool.servers.extend(self.servers)
        for s in self.servers:
            self.r["start"].append(timed_start(s))
        self.r["rss_fresh"] = [vm_rss(s.process.pid) for s in self.servers]
        self.r["fill"] = fill(self.servers, blocks, bs)
        self.r["rss"] = [vm_rss(s.process.pid) for s in self.servers]
        print("  %d blocks: started, filled in %.1f s" % (blocks, self.r["fill"]),
              file=sys.stderr)
        self.args = shell_args(self.servers, blocks, bs)
        self.shell = None

    def status(self):
        started = time.monotonic()
        result = shells.run_shell([*self.args, "-command", "status"], timeout=600)
        self.r["status"].append(time.monotonic() - started)
        if result.returncode != 0:
            raise RuntimeError("status: %d %r" % (result.returncode, result.stdout[-300:]))

    def prompt(self, keep=False):
        """A new shell, timed to its first prompt; kept open for repair() if ``keep``."""
        started = time.monotonic()
        shell = Shell(self.args)
        self.r["prompt"].append(time.monotonic() - started)
        if keep:
            self.shell = shell
        else:
            shell.close()

    def repair(self):
        shell, victim = self.shell, self.servers[VICTIM]
        victim.kill()
        meet_failure(shell, VICTIM, self.n, self.blocks * (self.n - 1))
        self.r["start"].append(timed_start(victim))  # blank
        started = time.monotonic()
        shell.write("repair %d" % VICTIM)
        out = shell.wait_prompt(timeout=3600)
        self.r["repair"].append(time.monotonic() - started)
        if not out.startswith(b"Server %d repaired" % VICTIM):
            raise RuntimeError("repair failed: %r" % out[-300:])
        started = time.monotonic()
        shell.write("scrub")
        out = shell.wait_prompt(timeout=3600)
        self.r["scrub"].append(time.monotonic() - started)
        if b"no mismatch" not in out:
            raise RuntimeError("scrub failed: %r" % out[-300:])
        print("  %d blocks: repair %.2f s, scrub %.2f s"
              % (self.blocks, self.r["repair"][-1], self.r["scrub"][-1]), file=sys.stderr)

    def close(self):
        if self.shell:
            self.shell.close()
        for s in self.servers:
            s.kill()


def measure(pool, n, sizes, bs, repeat):
    """Every size's arrays at once; what repeats is alternated between the sizes."""
    arrays = [Array(pool, n, blocks, bs) for blocks in sizes]
    try:
        for rep in range(repeat):
            for a in arrays:
                a.status()
        for rep in range(repeat):
            for a in arrays:
                a.prompt(keep=rep == repeat - 1)
        for rep in range(repeat):
            for a in arrays:
                a.repair()
    finally:
        for a in arrays:
            a.close()
    return {a.blocks: a.r for a in arrays}




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4096,16384,65536", help="blocks per server")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--bs", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", metavar="FILE")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    n, bs = args.n, args.bs
    began = time.monotonic()
    with servers.ServerPool() as pool:
        fixed = fixed_rss(pool, bs)
        results = measure(pool, n, sizes, bs, args.repeat)
    took = time.monotonic() - began
    med = statistics.median
    lines = [
        "RAID-5 over %d C++ servers of B blocks of %d bytes (%d runs of what repeats; min / "
        "median / max). RSS: VmRSS of each server after every block was written (after "
        "start-up in brackets), per block stored, against %d + %d (block + MD5). Shell: "
        "`-nb B*%d -bs %d -is 64 -ni 16 -cid 0`. Repair: server %d restarted blank and "
        "rebuilt; scrub: every stripe read and checked. A server of one block has a VmRSS of "
        "%.1f MiB. The whole run took %.0f s."
        % (n, bs, args.repeat, bs, CHECKSUM_BYTES, n - 1, bs, VICTIM, fixed / 2**20, took), "",
        "| B blocks / server | raw blocks | server start-up (ms) | RSS / block (bytes) "
        "| RSS / block above a 1-block server | fill (blocks/s) | shell to prompt (ms) | `-command status` (ms) | repair (s) "
        "| scrub (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for blocks in sizes:
        r = results[blocks]
        raw = blocks * n * bs
        lines.append("| %d | %s | %s | %.0f (%.0f) | %.0f (%.0f) | %.0f | %s | %s | %s | %s |" % (
            blocks, "%.0f MiB" % (raw / 2**20), runs.spread(r["start"], 1000),
            med(r["rss"]) / blocks, med(r["rss_fresh"]) / blocks,
            (med(r["rss"]) - fixed) / blocks, (med(r["rss_fresh"]) - fixed) / blocks,
            blocks * n / r["fill"],
            runs.spread(r["prompt"], 1000), runs.spread(r["status"], 1000),
            runs.spread(r["repair"], 1, "%.2f"), runs.spread(r["scrub"], 1, "%.2f")))
    base = sizes[0]
    for blocks in sizes:
        results[blocks]["rss_above"] = [v - fixed for v in results[blocks]["rss"]]

    def per_block(blocks, key, count):
        return med(results[blocks][key]) / count

    rows = [  # label, key, what a block is, per-block unit scale
        ("server start-up", "start", lambda b: b, "ns / block", 1e9),
        ("RSS after the fill", "rss", lambda b: b, "bytes / block", 1),
        ("RSS above a 1-block server", "rss_above", lambda b: b, "bytes / block", 1),
        ("shell to prompt", "prompt", lambda b: b * (n - 1), "ns / virtual block", 1e9),
        ("`-command status`", "status", lambda b: b * (n - 1), "ns / virtual block", 1e9),
        ("repair of one member", "repair", lambda b: b, "µs / block rebuilt", 1e6),
        ("scrub", "scrub", lambda b: b * n, "µs / block read", 1e6),
    ]
    header = "| cost | unit | " + " | ".join("B = %d" % b for b in sizes) + " | " + \
        " | ".join("ratio %d / %d: per block, absolute" % (b, base) for b in sizes[1:]) + " |"
    lines += ["", "Per-block costs (medians) and their ratio to B = %d; linear growth: per-block "
              "ratio ~1; flat: absolute ratio ~1." % base, "", header,
              "|---|---|" + "---:|" * (len(sizes) + len(sizes) - 1)]
    for label, key, count, unit, scale in rows:
        cells = ["%.1f" % (per_block(b, key, count(b)) * scale) for b in sizes]
        ratios = []
        for b in sizes[1:]:
            pb = per_block(b, key, count(b)) / per_block(base, key, count(base))
            ab = med(results[b][key]) / med(results[base][key])
            ratios.append("%.2f, %.2f" % (pb, ab))
        lines.append("| %s | %s | %s | %s |" % (label, unit, " | ".join(cells),
                                                 " | ".join(ratios)))
    runs.emit(lines, args.markdown)


if __name__ == "__main__":
    main()
