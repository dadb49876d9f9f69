"""tools/cluster and tools/demo.sh as a student uses them: real server processes on loopback,
managed by number (up, status, kill, stop/cont, restart blank, corrupt, where, down), the RAID-5
shell on top of them (degraded reads, repair, CORRUPTED_BLOCK), and the demo run with piped
input (a file striped over several servers; no job noise; nothing left running)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import xmlrpc.client

import pytest

import servers
import shells
from raid import data_location

CLUSTER = servers.REPO_ROOT / "tools" / "cluster"
DEMO = servers.REPO_ROOT / "tools" / "demo.sh"
TEXT = "".join(chr(97 + i % 26) for i in range(600))  # 5 blocks of 128 bytes


@pytest.fixture(autouse=True)
def _need_binaries():
    if not (servers.cpp_server_available() and shells.shell_available()):
        message = "memoryfs not built in %s" % servers.build_dir()
        if os.environ.get("MEMORYFS_REQUIRE_CPP") == "1":
            pytest.fail(message)
        pytest.skip(message)


def gone(pid):
    """True when `pid` has exited (a zombie nobody reaped counts as exited)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


class Cluster:
    """tools/cluster on its own run directory; `down` in any case at the end."""

    def __init__(self, run_dir):
        self.dir = run_dir

    def run(self, *args, check=True):
        result = subprocess.run([sys.executable, str(CLUSTER), "--dir", str(self.dir),
                                 *map(str, args)], capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    def status(self):
        return json.loads(self.run("status", "--json").stdout)["servers"]

    def states(self):
        return [row["state"] for row in self.status()]

    def proxy(self, k, timeout=2.0):
        return proxy_of(self.status()[k]["endpoint"], timeout)


def proxy_of(endpoint, timeout):
    class Transport(xmlrpc.client.Transport):
        def make_connection(self, host):
            connection = super().make_connection(host)
            connection.timeout = timeout
            return connection
    return xmlrpc.client.ServerProxy("http://" + endpoint,
                                     transport=Transport(use_builtin_types=True))


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path / "run")
    yield c
    c.run("down", check=False)


def test_up_status_kill_restart_blank_on_the_same_port(cluster):
    assert "started 4 server(s)" in cluster.run("up", 4, "--blocks", 32).stdout
    rows = cluster.status()
    assert [row["index"] for row in rows] == [0, 1, 2, 3]
    assert cluster.states() == ["running"] * 4
    assert len({row["endpoint"] for row in rows}) == 4
    text = cluster.run("status").stdout
    for row in rows:
        assert re.search(r"^%d\s+%s\s+%d\s+running$" % (row["index"], re.escape(row["endpoint"]),
                                                        row["pid"]), text, re.M), text
    assert cluster.run("endpoints").stdout.strip() == ",".join(r["endpoint"] for r in rows)

    cluster.proxy(1).Put(0, b"x" * 128)
    assert "killed" in cluster.run("kill", 1).stdout
    assert gone(rows[1]["pid"])
    assert cluster.states() == ["running", "dead", "running", "running"]
    assert cluster.run("kill", 1, check=False).returncode == 1  # not running

    assert "restarted blank" in cluster.run("restart", 1).stdout
    again = cluster.status()[1]
    assert again["state"] == "running" and again["endpoint"] == rows[1]["endpoint"]
    assert again["pid"] != rows[1]["pid"]
    assert cluster.proxy(1).Get(0) == bytes(128)  # blank
    assert cluster.run("kill", 7, check=False).returncode == 1


def test_stop_and_cont_a_hung_server(cluster):
    cluster.run("up", 3, "--blocks", 16)
    cluster.proxy(2).Put(3, b"kept")
    cluster.run("stop", 2)
    assert cluster.states() == ["running", "running", "stopped"]
    with pytest.raises(OSError):  # accepted, never answered
        cluster.proxy(2, timeout=0.5).Get(3)
    cluster.run("cont", 2)
    assert cluster.states() == ["running"] * 3
    assert cluster.proxy(2).Get(3).rstrip(b"\0") == b"kept"  # not blank: it only hung


def test_corrupt_makes_one_block_fail_its_checksum(cluster):
    cluster.run("up", 3, "--blocks", 16)
    cluster.proxy(0).Put(5, b"data")
    out = cluster.run("corrupt", 0, 5).stdout
    assert "server 0 block 5 (the parity of stripe 5) decayed" in out  # N=3: parity on 0
    with pytest.raises(xmlrpc.client.Fault, match="CHECKSUM_ERROR 5"):
        cluster.proxy(0).Get(5)
    assert cluster.proxy(0).Get(4).rstrip(b"\0") == b""  # only that block
    assert "virtual block 0" in cluster.run("corrupt", 0, 0).stdout
    assert cluster.run("corrupt", 0, 16, check=False).returncode == 1  # no such block
    cluster.run("stop", 1)
    assert "cont 1 first" in cluster.run("corrupt", 1, 0, check=False).stderr


def test_where_follows_the_raid5_layout(cluster):
    cluster.run("up", 4, "--blocks", 16)
    lines = cluster.run("where", 0, 3, 17, 21).stdout.splitlines()
    for v, line in zip((0, 3, 17, 21), lines):
        server, stripe = data_location(v, 4)
        assert line.startswith("virtual block %d: server %d block %d " % (v, server, stripe))
    assert lines[1].endswith("(stripe 1: parity on server 2)")  # layout.h's example


def test_down_stops_everything_even_a_server_restarted_by_hand(cluster, tmp_path):
    cluster.run("up", 3, "--blocks", 16)
    rows = cluster.status()
    cluster.run("restart", 0)
    cluster.run("kill", 2)
    state = json.loads((cluster.dir / "state.json").read_text())
    by_hand = subprocess.Popen(state["servers"][2]["restart_argv"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while cluster.states()[2] != "running":
            assert time.monotonic() < deadline, "the hand-started server was not found"
            time.sleep(0.05)
        assert cluster.status()[2]["pid"] == by_hand.pid
        pids = [row["pid"] for row in cluster.status()]
        assert "a cluster is already running" in cluster.run("up", 1, check=False).stderr
        assert "stopped 3 server(s)" in cluster.run("down").stdout
        assert by_hand.wait(5) == -signal.SIGKILL
        assert all(gone(pid) for pid in pids + [rows[0]["pid"]])
    finally:
        if by_hand.poll() is None:
            by_hand.kill()
    assert "no cluster running" in cluster.run("down").stdout  # idempotent
    assert cluster.run("status", check=False).returncode == 1
    assert "no cluster running" in Cluster(tmp_path / "never").run("down").stdout


def test_the_lab_in_the_raid5_shell(cluster):
    """create a striped file, fail a server, read degraded, restart blank, repair, decay."""
    cluster.run("up", 4, "--blocks", 128)
    endpoints = cluster.run("endpoints").stdout.strip()
    shell = shells.InteractiveShell(["-ns", 4, "-servers", endpoints, "-nb", 384, "-bs", 128,
                                     "-is", 64, "-ni", 16, "-cid", 0])
    try:
        shell.send("create f")
        assert b"Successfully appended 600 bytes" in shell.send("append f " + TEXT)
        shell.send("showinode 1")
        deadline = time.monotonic() + 5
        while not re.search(rb"Block numbers: \n[0-9,]+\n", shell.stderr()):  # on stderr
            assert time.monotonic() < deadline, shell.stderr()
            time.sleep(0.02)
        listed = re.search(rb"Block numbers: \n([0-9,]+)", shell.stderr()).group(1)
        blocks = [int(b) for b in listed.split(b",") if b and b != b"0"]
        assert len(blocks) == 5
        assert {data_location(v, 4)[0] for v in blocks} == {0, 1, 2, 3}  # every server

        victim, stripe = data_location(blocks[0], 4)
        cluster.run("kill", victim)
        out = shell.send("cat f")  # degraded: rebuilt from the other three
        assert b"SERVER_DISCONNECTED GET %d" % victim in out and TEXT.encode() in out
        assert cluster.states()[victim] == "dead"
        cluster.run("restart", victim)
        assert b"Server %d repaired" % victim in shell.send("repair %d" % victim)
        assert TEXT.encode() in shell.send("cat f")

        cluster.run("corrupt", victim, stripe)
        out = shell.send("cat f")
        assert b"CORRUPTED_BLOCK %d" % blocks[0] in out and TEXT.encode() in out
        assert b"CORRUPTED_BLOCK" not in shell.send("cat f")  # written back
        shell.close()
    finally:
        if shell.proc.poll() is None:
            shell.proc.kill()


# ----- tools/demo.sh --------------------------------------------------------------------------

def run_demo(tmp_path, n, bs, commands):
    """Runs tools/demo.sh N with BS and piped commands; (stdout, stderr, pids it started)."""
    run_dir = tmp_path / "demo"
    env = dict(os.environ, MEMORYFS_BUILD_DIR=str(servers.build_dir()), BS=str(bs),
               MEMORYFS_CLUSTER_DIR=str(run_dir), MEMORYFS_NO_INSTALL="1")
    demo = subprocess.Popen(["bash", str(DEMO), str(n)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 120  # an up-to-date build is checked first
        state = None
        while not (state and len(state["servers"]) == n):
            assert demo.poll() is None, demo.communicate()
            assert time.monotonic() < deadline, "the demo started no servers"
            time.sleep(0.1)
            try:
                state = json.loads((run_dir / "state.json").read_text())
            except (OSError, ValueError):
                state = None
        pids = [server["pid"] for server in state["servers"]]
        out, err = demo.communicate("".join(c + "\n" for c in commands).encode(), timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            subprocess.run([sys.executable, str(CLUSTER), "--dir", str(run_dir), "down"])
    assert demo.returncode == 0, err.decode()
    return out.decode(), err.decode(), pids


@pytest.mark.parametrize("n, bs, servers_spanned", [(4, 128, 4), (8, 512, 3)])
def test_demo_with_piped_input(tmp_path, n, bs, servers_spanned):
    text = "".join(chr(97 + i % 26) for i in range(bs * servers_spanned + 10))
    out, err, pids = run_demo(tmp_path, n, bs, ["create f", "append f " + text, "showinode 1",
                                                "cat f", "exit"])
    assert "building memoryfs" in err and ("up to date" in err or "built in" in err)
    assert "RAID-5 on %d servers" % n in err and "-bs %d -is 64 -ni 16" % bs in err
    assert "tools/cluster kill 1" in err and "repair 1" in err
    assert "Successfully appended %d bytes" % len(text) in out and text in out
    blocks = [int(b) for b in re.search(r"Block numbers: \n([0-9,]+)", err).group(1).split(",")
              if b and b != "0"]
    assert len(blocks) == servers_spanned + 1
    assert len({data_location(v, n)[0] for v in blocks}) >= servers_spanned
    assert "Killed" not in err and "Terminated" not in err
    time.sleep(0.2)
    assert all(gone(pid) for pid in pids)


def test_demo_one_server(tmp_path):
    out, err, pids = run_demo(tmp_path, 1, 128, ["create f", "append f hello", "cat f", "exit"])
    assert "memoryfs: 1 server at" in err and "no redundancy" in err
    assert "hello" in out and "Killed" not in err
    assert all(gone(pid) for pid in pids)


def test_demo_lab_from_the_shell_alone(tmp_path):
    """One terminal: the demo's shell runs tools/cluster as its `cluster` command."""
    text = "".join(chr(97 + i % 26) for i in range(600))
    out, err, pids = run_demo(tmp_path, 4, 128, [
        "create f", "append f " + text, "cluster kill 1", "cat f", "status",
        "cluster restart 1", "repair 1", "status", "cat f", "exit"])
    assert "SERVER_DISCONNECTED GET 1" in out
    assert out.count(text) == 2
    degraded, healthy = out.split("  state: ")[1:3]
    assert degraded.startswith("DEGRADED") and "type 'repair 1'" in degraded
    assert healthy.startswith("ONLINE")
    assert "Server 1 repaired" in out
    assert "Killed" not in err
    time.sleep(0.2)
    assert all(gone(pid) for pid in pids)
