"""Smoke tests of the benchmark tools (issue 12): tools/latency_proxy.py forwards bytes in
order and adds its delay to a round trip; tools/bench_latency.py and tools/bench_big.py run at
their tiniest settings and print their tables; tools/perf_report.py merges runs' tables.
Well under a minute in all."""

import socket
import subprocess
import sys
import threading
import time

import pytest

import servers
import shells
from conftest import require_kind

TOOLS = servers.REPO_ROOT / "tools"
sys.path.insert(0, str(TOOLS))
import latency_proxy  # noqa: E402
import perf_report  # noqa: E402


def echo_server():
    """A loopback TCP echo server on a daemon thread; returns its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(conn):
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)

    def accept():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def round_trip(sock, payload):
    started = time.monotonic()
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        assert chunk, "connection closed early"
        got += chunk
    return got, time.monotonic() - started


def test_latency_proxy_forwards_in_order_and_delays():
    port = echo_server()
    counter = latency_proxy.RoundCounter()
    with latency_proxy.LatencyProxy(("127.0.0.1", port), delay_ms=20, counter=counter) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
            payload = bytes(range(256)) * 1000  # 256 kB, several segments
            got, elapsed = round_trip(sock, payload)
            assert got == payload
            assert elapsed >= 0.040  # 2 x 20 ms one way
            for i in range(3):
                got, elapsed = round_trip(sock, b"ping %d" % i)
                assert got == b"ping %d" % i
                assert 0.040 <= elapsed < 1.0
    assert counter.snapshot() == (4, 4)


def test_latency_proxy_counts_parallel_requests_as_one_round():
    port = echo_server()
    counter = latency_proxy.RoundCounter()
    proxies = [latency_proxy.LatencyProxy(("127.0.0.1", port), 10, counter).start()
               for _ in range(3)]
    try:
        socks = [socket.create_connection(("127.0.0.1", p.port)) for p in proxies]
        for s in socks:  # three requests in flight at once: one round
            s.sendall(b"x")
        for s in socks:
            assert s.recv(10) == b"x"
        round_trip(socks[0], b"y")  # then one more, alone
        for s in socks:
            s.close()
    finally:
        for p in proxies:
            p.stop()
    assert counter.snapshot() == (2, 4)


def test_latency_proxy_command_line():
    port = echo_server()
    listen = servers.free_port()
    proc = subprocess.Popen([sys.executable, str(TOOLS / "latency_proxy.py"), "--listen",
                             str(listen), "--to", "127.0.0.1:%d" % port, "--delay-ms", "5"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("latency proxy 127.0.0.1:%d" % listen)
        with socket.create_connection(("127.0.0.1", listen)) as sock:
            got, elapsed = round_trip(sock, b"hello")
        assert got == b"hello" and elapsed >= 0.010
    finally:
        proc.kill()
        proc.wait()


def run_tool(script, *args, timeout=60):
    return subprocess.run([sys.executable, str(TOOLS / script), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def test_bench_latency_tiniest(tmp_path):
    require_kind("cpp")
    if not shells.shell_available():
        pytest.skip("shell not built")
    out = tmp_path / "latency.md"
    result = run_tool("bench_latency.py", "--repeat", 1, "--delays", "0,0.5", "--workloads",
                      "g02", "--configs", "N=1,N=4 RAID-5", "--markdown", out)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "| N=1 | 0.5 ms |" in text and "| N=4 RAID-5 | 0 ms |" in text
    row = next(l for l in text.splitlines() if l.startswith("| N=1 | 0.5 ms |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert int(cells[3]) > 50  # g02 makes ~170 dependent rounds after start-up
    assert float(cells[7]) >= 0.9  # each round costs at least its RTT


def test_bench_fanout_tiniest(tmp_path):
    require_kind("cpp")
    if not shells.shell_available():
        pytest.skip("shell not built")
    out = tmp_path / "fanout.md"
    result = run_tool("bench_fanout.py", "--repeat", 1, "--seconds", 0.1, "--markdown", out,
                      timeout=120)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for row in ("| single Get (no fan-out) |", "| fiber loop (raid::Fanout) |",
                "| a thread per server (before) |", "| this | idle |", "| this | busy |"):
        assert row in text
    fiber = next(l for l in text.splitlines() if l.startswith("| fiber loop"))
    per_round = float(fiber.split("|")[2].split("/")[1])
    assert 0 < per_round < 100000  # a median in µs


def test_bench_big_tiniest(tmp_path):
    require_kind("cpp")
    if not shells.shell_available():
        pytest.skip("shell not built")
    out = tmp_path / "big.md"
    result = run_tool("bench_big.py", "--sizes", "64,128", "--n", 3, "--repeat", 1,
                      "--markdown", out)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "| 64 |" in text and "| 128 |" in text and "| repair of one member |" in text


def test_perf_report_merges_runs():
    runs = ["| case | a | b |\n|---|---:|---:|\n| x | %s | 1.0 / %s / 3.0 |\n| g01_basic | 7 | "
            "n/a |\nnote %d\n" % (v, v, i) for i, v in enumerate(["1.5", "2.5", "0.5"])]
    merged = perf_report.merge_runs(runs).splitlines()
    assert merged[0] == "| case | a | b |"
    assert merged[2] == "| x | 0.5 / 1.5 / 2.5 | 1.0 / 1.5 / 3.0 |"
    assert merged[3] == "| g01_basic | 7 | n/a |"
    assert merged[4] == "note 2"


def test_perf_report_renders_from_saved_tables(tmp_path):
    (tmp_path / "bench_latency.md").write_text("| a | b |\n|---|---:|\n| x | 1 |\n")
    (tmp_path / "meta.json").write_text('{"took": 12.0, "date": "2026-12-01T10:00:00+00:00"}')
    out = tmp_path / "performance.md"
    result = subprocess.run([sys.executable, str(TOOLS / "perf_report.py"), "--from-dir",
                             str(tmp_path), "--only", "latency", "--output", str(out)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# Performance")
    assert "tools/perf_report.py --only latency" in text and "2026-12-01 10:00 UTC" in text
    assert "## A simulated network" in text and "| x | 1 |" in text
    assert "## Big arrays" not in text


def test_bench_lock_tiniest(tmp_path):
    """tools/bench_lock.py on one shell: a row per command and N, one round per wait."""
    out = tmp_path / "bench_lock.md"
    result = subprocess.run([sys.executable, str(TOOLS / "bench_lock.py"), "--sizes", "1,4",
                             "--repeat", "1", "--markdown", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split(" | ") for line in out.read_text().splitlines()[2:]]
    assert len(rows) == 8  # 4 commands x N = 1, 4
    for cells in rows:
        calls, rounds, touched = int(cells[2]), int(cells[3]), int(cells[4])
        assert 1 <= rounds <= calls
        assert touched == (1 if cells[1] == "1" else 4)
