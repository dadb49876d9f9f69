"""Many clients, idle connections, signals and restarts.

The reference server is single-threaded and closes every connection, so the RSM race and
the course-style lock test also run against it (as a sanity check of the tests); the
keep-alive tests only make sense for our C++ server.
"""

import http.client
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import servers
from threads import run_in_threads
from wire import http_request, int_xml, raw_call, request_xml

NB, BS = 64, 128
COURSE_STYLE_CLIENT = Path(__file__).parent / "clients" / "course_style_client.py"


def open_keep_alive_connections(server, count):
    """``count`` http.client connections, each having made one Get and left open."""
    connections = []
    for i in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        assert raw_call(server.port, request_xml("Get", int_xml(i % NB)),
                        connection=conn).value == bytes(BS)
        connections.append(conn)
    return connections


def close_all(connections):
    for conn in connections:
        conn.close()


# ----- RSM race ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", servers.KINDS)
def test_rsm_race_exactly_one_winner(start_server, kind):
    """20 clients with their own connections race RSM(0): exactly one sees it unlocked.

    5 rounds against ours; 1 against the reference, whose listen backlog of 5 makes the
    other 15 connections wait for SYN retransmissions (1 s, 3 s...).
    """
    server = start_server(kind, nb=NB, bs=BS)
    proxies = [server.proxy() for _ in range(20)]
    for _ in range(5 if kind == "cpp" else 1):
        firsts = run_in_threads(20, lambda i: proxies[i].RSM(0)[0])
        assert sorted(firsts) == [0] + [1] * 19
        proxies[0].Put(0, bytes(BS))  # release


def test_parallel_puts_and_gets_stay_consistent(start_server):
    """16 threads each own a block, writing and reading back 30 distinct patterns."""
    cpp = start_server("cpp", nb=NB, bs=BS)

    def worker(i):
        proxy = cpp.proxy()
        for round_ in range(30):
            data = bytes([i, round_]) * (BS // 2)
            assert proxy.Put(i + 1, data) == 0
            assert proxy.Get(i + 1) == data
        return True

    assert all(run_in_threads(16, worker))


# ----- idle keep-alive connections ---------------------------------------------------------

def test_idle_keep_alive_connections_do_not_starve_new_client(start_server):
    """64 idle keep-alive connections open; a new ServerProxy call is served within 1 s."""
    cpp = start_server("cpp", nb=NB, bs=BS)
    connections = open_keep_alive_connections(cpp, 64)
    try:
        started = time.monotonic()
        proxy = cpp.proxy()
        proxy.Put(3, b"\x09" * BS)
        assert proxy.Get(3) == b"\x09" * BS
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, "new client waited %.2f s" % elapsed
    finally:
        close_all(connections)


def test_idle_connections_still_usable_or_cleanly_closed(start_server):
    """After idling, the old connections work again (http.client reconnects if closed)."""
    cpp = start_server("cpp", nb=NB, bs=BS)
    connections = open_keep_alive_connections(cpp, 8)
    try:
        time.sleep(0.3)
        for i, conn in enumerate(connections):
            try:
                outcome = raw_call(cpp.port, request_xml("Get", int_xml(i)), connection=conn)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()  # like xmlrpc.client: a closed idle connection -> retry once
                outcome = raw_call(cpp.port, request_xml("Get", int_xml(i)), connection=conn)
            assert outcome.value == bytes(BS)
    finally:
        close_all(connections)


def cpu_seconds(pid):
    """User + system CPU time consumed so far by process ``pid`` (Linux /proc)."""
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_idle_sockets(port, count):
    """``count`` TCP connections that never send anything."""
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def limit_open_files(limit):
    """A preexec_fn that sets RLIMIT_NOFILE of the child to ``limit``."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def test_fd_exhaustion_does_not_busy_loop(start_server):
    """At its open-file limit the server must not spin on accept() (ulimit -n 64 here)."""
    cpp = start_server("cpp", nb=NB, bs=BS, popen_kwargs={"preexec_fn": limit_open_files(64)})
    sockets = open_idle_sockets(cpp.port, 80)
    try:
        time.sleep(0.2)
        before = cpu_seconds(cpp.process.pid)
        time.sleep(1.0)
        used = cpu_seconds(cpp.process.pid) - before
        assert used < 0.2, "server burnt %.2f s of CPU in 1 s while idle" % used
    finally:
        close_all(sockets)


@pytest.mark.parametrize("limit, idle", [(64, 80), (None, 1100)],
                         ids=["ulimit64_80_idle", "default_1100_idle"])
def test_many_idle_connections_do_not_starve_new_client(start_server, limit, idle):
    """Idle connections beyond the server's capacity must not lock out a new client (1 s)."""
    popen = {"preexec_fn": limit_open_files(limit)} if limit else {}
    cpp = start_server("cpp", nb=NB, bs=BS, popen_kwargs=popen)
    sockets = open_idle_sockets(cpp.port, idle)
    try:
        time.sleep(0.2)
        started = time.monotonic()
        try:
            reply = http_request(cpp.port, request_xml("Get", int_xml(1)), timeout=2)
        except (TimeoutError, OSError) as error:
            pytest.fail("new client got no reply with %d idle connections: %r" % (idle, error))
        assert reply.status == 200, "HTTP %d %r" % (reply.status, reply.body[:80])
        assert time.monotonic() - started < 1.0
    finally:
        close_all(sockets)


# ----- signals and restarts --------------------------------------------------------------------

@pytest.mark.parametrize("kind", servers.KINDS)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_zero_within_1s(start_server, kind, sig):
    server = start_server(kind, nb=NB, bs=BS)
    server.proxy().Get(1)
    started = time.monotonic()
    assert server.stop(sig, timeout=1.0) == 0
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_zero_within_1s_with_keep_alive_clients(start_server, sig):
    cpp = start_server("cpp", nb=NB, bs=BS)
    connections = open_keep_alive_connections(cpp, 16)
    try:
        started = time.monotonic()
        try:
            status = cpp.stop(sig, timeout=1.0)
        except subprocess.TimeoutExpired:
            pytest.fail("still running 1 s after %s with 16 keep-alive clients" % sig.name)
        assert status == 0
        assert time.monotonic() - started < 1.0
    finally:
        close_all(connections)


@pytest.mark.parametrize("kind", servers.KINDS)
def test_restart_on_same_port_after_sigkill(start_server, kind):
    """SIGKILL with a connected client, restart at once on the same port: fresh blocks."""
    server = start_server(kind, nb=NB, bs=BS)
    server.proxy().Put(10, b"\x07" * BS)
    connections = open_keep_alive_connections(server, 4)
    try:
        server.kill()
        server.start(timeout=5)
        assert server.proxy().Get(10) == bytes(BS)
    finally:
        close_all(connections)


def test_sigkill_then_connection_refused(start_server):
    """A killed server refuses connections at once (what RAID clients rely on)."""
    cpp = start_server("cpp", nb=NB, bs=BS)
    cpp.kill()
    assert servers.wait_until_port_closed(cpp.port, timeout=0.5)
    with pytest.raises(ConnectionRefusedError):
        cpp.proxy().Get(1)


# ----- a student's client, unchanged -----------------------------------------------------------

@pytest.mark.parametrize("kind", servers.KINDS)
def test_course_style_clients_share_a_counter_under_the_lock(start_server, kind):
    """Two copies of a course-style client increment a counter in block 1 under the RSM lock.

    Each does 25 locked read-modify-write rounds: the final counter must be exactly 50 (a
    broken lock loses increments) and each prints its usual lines.
    """
    server = start_server(kind, nb=NB, bs=BS)
    argv = [sys.executable, str(COURSE_STYLE_CLIENT), str(server.port), str(BS), "25"]
    clients = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = []
    try:
        for client in clients:
            out, err = client.communicate(timeout=30)
            assert client.returncode == 0, err
            outputs.append(out)
    finally:
        for client in clients:
            client.kill()
            client.wait()
    expected = "block 2 is all zeros: True\n" + "".join("round %d\n" % i for i in range(25))
    assert outputs == [expected + "done\n"] * 2
    assert int.from_bytes(server.proxy().Get(1)[:4], "little") == 50
    assert server.proxy().Get(0) == bytes(BS)  # lock released
