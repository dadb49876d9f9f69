#!/usr/bin/env python3
"""Benchmark: calls/s of our C++ block server vs the Python reference, from Python clients.

Starts both servers on free loopback ports in one run and measures, for each server, with a
fixed duration per case:

* sequential Get and Put from one xmlrpc.client.ServerProxy, blocks of 128 and 4096 bytes;
* Get from 8 concurrent client processes (multiprocessing), each with its own ServerProxy.

Prints a table (calls/s of each server and the ratio ours/reference) and, for the C++-client
cases, a second one: the CPU time per call of the clients and of each server (user + system,
from the clients' rusage and the server's /proc/PID/stat, over the measured window, divided
by the calls); ``--markdown FILE`` also writes them as Markdown. With the default 2 s per case the whole run takes ~30 s.
Not a test: numbers are noisy (±25% on a shared 2-core machine).

On a loaded machine: each client's rate is its calls over its own measured window (a worker
that starts late is not undercounted), the C++ clients' per-call timeout is --timeout-ms
(default 30000), a case that fails (a client exits non-zero, a call fails, a server does not
start) is measured again up to --retries times (default 2) with the reason printed (exit
status, stderr tail), and the output says how many cases were retried. --repeat R measures
each case R times, C++ and reference alternated: the table gives medians and the min / median
/ max of the R per-round ratios, the numbers to read on a loaded machine.

Usage: tools/bench_server.py [--duration 2] [--markdown FILE] [--build-dir DIR]
                            [--retries 2] [--timeout-ms 30000] [--repeat 1]
Uses $MEMORYFS_BUILD_DIR (default <repo>/build) to find bin/memoryfs_server.
"""

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "compat_tests"))
import servers  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import runs  # noqa: E402

NB = 256
PROCESSES = 8
TIMEOUT_MS = 30000  # the C++ clients' per-call timeout (--timeout-ms)
CASES = [  # (label, method, block size, client processes, client: "py" or "cpp")
    ("Get 128 B, 1 client", "Get", 128, 1, "py"),
    ("Put 128 B, 1 client", "Put", 128, 1, "py"),
    ("Get 4 KiB, 1 client", "Get", 4096, 1, "py"),
    ("Put 4 KiB, 1 client", "Put", 4096, 1, "py"),
    ("Get 128 B, %d client processes" % PROCESSES, "Get", 128, PROCESSES, "py"),
    ("Get 128 B, %d C++ client processes" % PROCESSES, "Get", 128, PROCESSES, "cpp"),
    ("Put 128 B, %d C++ client processes" % PROCESSES, "Put", 128, PROCESSES, "cpp"),
]


def run_calls(url, method, bs, start_at, duration):
    """Call ``method`` in a loop from ``start_at`` (time.time()) for ``duration`` s.

    Returns calls/s over the window this caller really had: from ``start_at`` or, if it got
    there late (a slow spawn on a loaded machine), from when it started. Runs in a worker
    process too.
    """
    proxy = xmlrpc.client.ServerProxy(url, use_builtin_types=True)
    data = bytes(range(256)) * (bs // 256) + bytes(bs % 256)
    call = (lambda n: proxy.Put(n, data)) if method == "Put" else (lambda n: proxy.Get(n))
    call(0)  # warm up the connection outside the window
    time.sleep(max(0.0, start_at - time.time()))
    begin = time.time()
    end = start_at + duration
    count = 0
    while time.time() < end or count == 0:
        call(count % NB)
        count += 1
    return count / (time.time() - begin)


def bench_client_path():
    return servers.build_dir() / "bin" / "memoryfs_bench_client"


def cpu_seconds(pid):
    """User + system CPU time of process ``pid`` so far (Linux /proc; 0.0 if unreadable)."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# (case label, kind) -> [(client µs/call, server µs/call) of each round]; C++-client cases only.
CPU = {}


def measure_cpp_clients(server, method, processes, duration, label=None):
    """calls/s with ``processes`` C++ client processes (tools/bench_client.cc), each one
    connection: cheap clients, so the server is the bottleneck. With ``label``, the round's
    CPU time per call of the clients and of the server goes to CPU[(label, server.kind)]."""
    argv = [str(bench_client_path()), str(server.port), method, str(server.bs), str(duration),
            str(NB), str(TIMEOUT_MS)]
    server_cpu, clients_cpu = cpu_seconds(server.process.pid), children_cpu_seconds()
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(processes)]
    total, failure = 0, None
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=duration + TIMEOUT_MS / 1000 + 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            failure = failure or runs.describe("bench client against %s" % server.kind, None,
                                               out, err, "no exit in time (killed)")
            continue
        if proc.returncode != 0 or not out.strip().isdigit():
            failure = failure or runs.describe("bench client against %s" % server.kind,
                                               proc.returncode, out, err)
            continue
        total += int(out)
    if failure:
        raise runs.RunFailed(failure)
    server_cpu = cpu_seconds(server.process.pid) - server_cpu
    clients_cpu = children_cpu_seconds() - clients_cpu
    if label is not None and total > 0:
        CPU.setdefault((label, server.kind), []).append(
            (clients_cpu / total * 1e6, server_cpu / total * 1e6))
    return total / duration


def measure(server, method, processes, duration, client="py", label=None):
    """calls/s of ``method`` on ``server`` with ``processes`` clients (1 = in this process)."""
    if client == "cpp":
        return measure_cpp_clients(server, method, processes, duration, label)
    try:
        if processes == 1:
            start_at = time.time() + 0.05
            return run_calls(server.url, method, server.bs, start_at, duration)
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            start_at = time.time() + 1.5  # leave time for the workers to spawn
            args = [(server.url, method, server.bs, start_at, duration)] * processes
            return sum(pool.starmap(run_calls, args))
    except (OSError, xmlrpc.client.Error) as e:
        raise runs.RunFailed(runs.describe("%s on %s" % (method, server.kind), None, None,
                                           server.stderr(), "%s: %s" % (type(e).__name__, e)))


def run_benchmark(kinds, duration, retrier=None, repeat=1):
    """{(case label, kind): [calls/s of each round]}; one fresh server per kind and block size;
    each case is measured ``repeat`` times, the kinds alternated, so that each round's ratio
    compares two measurements taken one right after the other."""
    retrier = retrier or runs.Retrier()
    results = {}
    with servers.ServerPool() as pool:
        for bs in sorted({case[2] for case in CASES}):
            running = {kind: pool.start(kind, nb=NB, bs=bs) for kind in kinds}
            for label, method, case_bs, processes, client in CASES:
                if case_bs != bs or (client == "cpp" and not bench_client_path().exists()):
                    continue
                for _ in range(repeat):
                    for kind, server in running.items():
                        rate = retrier.run("%s, %s" % (label, kind), measure, server, method,
                                           processes, duration, client, label)
                        results.setdefault((label, kind), []).append(rate)
                        print("  %-32s %-4s %9.0f calls/s" % (label, kind, rate),
                              file=sys.stderr)
            for server in running.values():
                server.kill()
    return results


def table_rows(results, kinds, repeat=1):
    """Rows [case, ours, reference, ratio] as strings (medians over the rounds, and with
    ``repeat`` > 1 the min / median / max of the per-round ratios)."""
    rows = []
    for label, *_ in CASES:
        ours = results.get((label, "cpp"))
        ref = results.get((label, "ref"))
        ours_m = statistics.median(ours) if ours else None
        ref_m = statistics.median(ref) if ref else None
        ratio = "%.2f" % (ours_m / ref_m) if ours_m and ref_m else "n/a"
        row = [label, "%.0f" % ours_m if ours_m else "n/a", "%.0f" % ref_m if ref_m else "n/a",
               ratio]
        if repeat > 1:
            rounds = sorted(o / r for o, r in zip(ours, ref)) if ours and ref else []
            row.append(" / ".join("%.2f" % x for x in (rounds[0], statistics.median(rounds),
                                                       rounds[-1])) if rounds else "n/a")
        rows.append(row)
    return rows


def cpu_rows():
    """Rows [case, C++ clients' µs/call, C++ server's, Python server's] (medians over the
    rounds) for the C++-client cases measured."""
    def cell(samples, i):
        return "%.1f" % statistics.median(s[i] for s in samples) if samples else "n/a"

    rows = []
    for label, _, _, _, client in CASES:
        ours, ref = CPU.get((label, "cpp")), CPU.get((label, "ref"))
        if client != "cpp" or not (ours or ref):
            continue
        rows.append([label, cell(ours, 0), cell(ours, 1), cell(ref, 1)])
    return rows


HEADER = ["case", "C++ calls/s", "Python ref calls/s", "C++ / ref"]
CPU_HEADER = ["case (CPU per call)", "C++ clients µs/call", "C++ server µs/call",
              "Python ref server µs/call"]
ROUNDS = "C++ / ref per round, min / median / max"


def header(rows):
    return HEADER + [ROUNDS] if rows and len(rows[0]) > len(HEADER) else HEADER


def format_text(rows, head=None):
    head = head or header(rows)
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths)))
             for row in [head] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def shown_path(path):
    """``path`` relative to the repository when it is inside it (no absolute paths in docs)."""
    try:
        return str(Path(path).resolve().relative_to(servers.REPO_ROOT))
    except ValueError:
        return Path(path).name


def markdown_table(rows, head):
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def format_markdown(rows, duration, cpu=()):
    lines = markdown_table(rows, header(rows))
    if cpu:
        lines += [""] + markdown_table(cpu, CPU_HEADER)
    note = ("\nPython `xmlrpc.client.ServerProxy` clients (C++ `memoryfs_bench_client` where "
            "the case says so) on loopback, %.1f s per case, "
            "%d blocks; %s, %d CPUs, Python %s. C++ server: `%s`.\n"
            % (duration, NB, platform.machine(), os.cpu_count(), platform.python_version(),
               shown_path(servers.cpp_server_path())))
    return "\n".join(lines) + "\n" + note


def main():
    global TIMEOUT_MS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per case")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    parser.add_argument("--build-dir", help="C++ build directory (overrides MEMORYFS_BUILD_DIR)")
    parser.add_argument("--timeout-ms", type=int, default=TIMEOUT_MS,
                        help="per-call timeout of the C++ clients (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds per case, C++ and reference alternated; the table then "
                             "shows medians and the per-round ratios (default 1)")
    runs.add_arguments(parser, shell=False)
    args = parser.parse_args()
    TIMEOUT_MS = args.timeout_ms
    if args.build_dir:
        os.environ["MEMORYFS_BUILD_DIR"] = args.build_dir
    kinds = ["cpp", "ref"]
    if not servers.cpp_server_available():
        print("C++ server not found at %s: measuring the reference only"
              % servers.cpp_server_path(), file=sys.stderr)
        kinds = ["ref"]
    retrier = runs.Retrier(args.retries)
    try:
        rows = table_rows(run_benchmark(kinds, args.duration, retrier, args.repeat), kinds,
                          args.repeat)
    except runs.RunFailed as failure:
        print("bench_server: %s\n%s" % (failure, retrier.summary()), file=sys.stderr)
        return 1
    cpu = cpu_rows()
    print(format_text(rows))
    if cpu:
        print()
        print(format_text(cpu, CPU_HEADER))
    print(retrier.summary())
    if args.markdown:
        Path(args.markdown).write_text(format_markdown(rows, args.duration, cpu) + "\n"
                                       + retrier.summary() + "\n")
        print("wrote %s" % args.markdown, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
