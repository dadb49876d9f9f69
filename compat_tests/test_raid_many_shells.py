"""Several shells on one array at once (issue 19), with real processes: the lock held on a
majority of the members survives the loss of server 0; two shells meeting one failure agree
on it and the array stays usable; `status` from another shell during a repair reads only and
shows the repair; `repair` holds the lock; a lock holder stopped past its lease is fenced (its
late write is refused, the new holder's acknowledged data stays); a blank restart inside a
command behind a proxy is caught by the server's incarnation. Each test checks exact bytes:
every acknowledged append read back, nothing else, every stripe consistent."""

import re
import sys
import threading
import time
from pathlib import Path

import pytest

import shells
from raid import RaidServers, meet_failure
from threads import run_in_threads

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from conformance_kit.proxy import Forwarder  # noqa: E402

N = 4
NB = 256
BS = 128
FS = ["-is", 64, "-ni", 32]
EVENT = re.compile(rb"(SERVER_DISCONNECTED [^\n]*|CORRUPTED_BLOCK [^\n]*"
                   rb"|server \d+ [^\n]*: treated as failed until 'repair \d+')\n")


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


def open_shell(array, cid, *extra, rootinit=0):
    return shells.InteractiveShell(array.shell_args(*FS, "-cid", cid, "-rootinit", rootinit,
                                                    *extra))


def records(tag, count):
    return ["%s.%03d;" % (tag, i) for i in range(count)]


def events_of(out):
    return [m.group(1).decode() for m in EVENT.finditer(out)]


def body(out):
    """What a command printed, without the array's event lines and the prompt."""
    out = EVENT.sub(b"", out)
    assert out.endswith(b"[cwd=0]%"), out
    return out[:-len(b"[cwd=0]%")]


def append_all(shell, name, recs, outs):
    for rec in recs:
        outs.append(shell.send("append %s %s" % (name, rec)))


def concurrently(*jobs):
    """Runs each job on its own thread, all at once; re-raises the first exception."""
    run_in_threads(len(jobs), lambda i: jobs[i]())


def acknowledged(outs):
    return all(b"Successfully appended" in out for out in outs)


def read_file(shell, name):
    return body(shell.send("cat " + name))


def status(array, *extra):
    """(exit status, stdout) of `-command status` from a shell of its own."""
    done = shells.run_shell(array.shell_args(*FS, "-cid", 7, *extra, "-command", "status"),
                            timeout=60)
    return done.returncode, done.stdout


def two_writers(pool):
    """An array and two shells on it, each with its file (fa, fb) created."""
    array = RaidServers(pool, N, NB, BS)
    a = open_shell(array, 0, "-timeout", 300, rootinit=1)
    b = open_shell(array, 1, "-timeout", 300)
    a.send("create fa")
    b.send("create fb")
    return array, a, b


def test_server_0_lost_while_two_shells_write(pool):
    array, a, b = two_writers(pool)
    array.servers[0].kill()
    ra, rb, oa, ob = records("a", 25), records("b", 25), [], []
    concurrently(lambda: append_all(a, "fa", ra, oa), lambda: append_all(b, "fb", rb, ob))
    assert acknowledged(oa) and acknowledged(ob)
    for shell in (a, b):
        assert b"without" not in shell.stderr()  # the lock held on servers 1..3
        assert events_of(b"".join(oa if shell is a else ob)) in ([], ["SERVER_DISCONNECTED RSM 0"],
                                                                 ["SERVER_DISCONNECTED GET 0"])
    c = open_shell(array, 2)
    assert read_file(c, "fa") == "".join(ra).encode() + b"\n"
    assert read_file(c, "fb") == "".join(rb).encode() + b"\n"
    array.servers[0].start()  # blank
    assert c.send("repair 0").startswith(b"Server 0 repaired")
    assert array.parity_errors() == []
    for shell in (a, b, c):
        shell.close()


def test_two_shells_meet_one_failure_and_the_array_stays_usable(pool):
    array, a, b = two_writers(pool)
    ra, rb, oa, ob = records("a", 30), records("b", 30), [], []

    def kill_soon():
        time.sleep(0.05)
        array.servers[2].kill()

    concurrently(lambda: append_all(a, "fa", ra, oa), lambda: append_all(b, "fb", rb, ob),
                 kill_soon)
    assert acknowledged(oa) and acknowledged(ob)
    code, out = status(array)
    assert code == 1, out  # DEGRADED, never FAILED: one member is lost
    assert b"state: DEGRADED" in out and b"server 2 is FAILED" in out
    array.servers[2].start()  # blank
    assert a.send("repair 2").startswith(b"Server 2 repaired")
    more = []
    append_all(b, "fb", records("c", 5), more)
    assert acknowledged(more)
    assert status(array)[0] == 0
    assert read_file(a, "fb") == "".join(rb + records("c", 5)).encode() + b"\n"
    assert read_file(b, "fa") == "".join(ra).encode() + b"\n"
    assert array.parity_errors() == []
    a.close()
    b.close()


def test_status_from_another_shell_during_a_repair_reads_only(pool):
    bs, nb = 4096, 3 * 4096  # 4096 blocks of 4 KiB per server: a repair of about a second
    array = RaidServers(pool, N, nb, bs)
    a = shells.InteractiveShell(array.shell_args("-is", 64, "-ni", 64, "-cid", 0))
    a.send("create f")
    a.send("append f " + "x" * 200)
    array.servers[2].kill()
    meet_failure(a, 2, N, nb)
    array.servers[2].start()  # blank
    a.write("repair 2")
    codes, seen_repair = [], False
    while not a.buffer.endswith(b"]%"):
        code, out = status(array, "-nb", nb, "-bs", bs)
        codes.append(code)
        assert code in (0, 1), out
        seen_repair |= b"repair of server 2 in progress by pid" in out
        try:
            a.wait_prompt(timeout=0.05)
            break
        except AssertionError:
            pass
    assert a.buffer == b"" or a.wait_prompt()
    assert set(codes) <= {0, 1}, codes  # never FAILED
    assert seen_repair or len(codes) < 2, codes
    assert status(array, "-nb", nb, "-bs", bs)[0] == 0
    assert body(a.send("cat f")) == b"x" * 200 + b"\n"
    a.close()


def test_repair_of_server_0_holds_the_lock(pool):
    bs, nb = 4096, 3 * 2048
    array = RaidServers(pool, N, nb, bs)
    geometry = ["-is", 64, "-ni", 64]
    a = shells.InteractiveShell(array.shell_args(*geometry, "-cid", 0))
    b = shells.InteractiveShell(array.shell_args(*geometry, "-cid", 1, "-rootinit", 0))
    b.send("create fb")
    array.servers[0].kill()
    meet_failure(a, 0, N, nb)
    meet_failure(b, 0, N, nb)
    array.servers[0].start()  # blank
    rb, ob, repaired = records("b", 10), [], []
    a.write("repair 0")
    time.sleep(0.05)  # the repair has the lock
    concurrently(lambda: repaired.append(a.wait_prompt(60)),
                 lambda: append_all(b, "fb", rb, ob))
    assert repaired[0].startswith(b"Server 0 repaired"), repaired
    assert acknowledged(ob)
    assert b"waiting for the lock, held by pid" in b.stderr()
    assert b"without" not in b.stderr()
    assert events_of(b"".join(ob)) == []  # no member failed by mistake
    assert status(array, "-nb", nb, "-bs", bs)[0] == 0
    assert body(a.send("cat fb")) == "".join(rb).encode() + b"\n"
    a.close()
    b.close()


class DelayingProxy(Forwarder):
    """A forwarder that holds back the first Put after arm() until release is set, then
    forwards it (late, with the epoch it was sent under)."""

    def __init__(self, upstream_port):
        super().__init__(upstream_port, self.hook, upstream_timeout=30)
        self.armed = False
        self.held = threading.Event()
        self.release = threading.Event()

    def hook(self, method, params):
        if self.armed and method == "Put" and not self.held.is_set():
            self.held.set()
            return ("delay", self.release)
        return None


def test_a_stale_lock_holder_is_fenced_and_acknowledged_data_stays(pool):
    array = RaidServers(pool, N, NB, BS)
    proxy = DelayingProxy(array.servers[1].port).start()
    ports = [s.port for s in array.servers]
    ports[1] = proxy.port
    servers = ",".join("127.0.0.1:%d" % p for p in ports)
    a = shells.InteractiveShell(["-ns", N, "-servers", servers, "-nb", NB, "-bs", BS, *FS,
                                 "-cid", 0, "-lease_ms", 300, "-timeout", 20000])
    b = open_shell(array, 1, "-lease_ms", 300)
    a.send("create fa")
    b.send("create fb")
    proxy.armed = True
    a.write("append fa " + "A" * 300)  # its writes reach server 1 through the proxy
    assert proxy.held.wait(10)
    time.sleep(0.6)  # past a's lease: a is a stale holder now
    rb, ob = records("b", 8), []
    append_all(b, "fb", rb, ob)  # breaks a's lock, resyncs, appends
    assert acknowledged(ob)
    assert b"broke the lock held by pid" in b.stderr()
    proxy.release.set()  # a's late Put arrives under its old epoch: refused
    late = a.wait_prompt(30)
    assert b"Successfully appended" not in late
    assert b"FENCED" in late or b"ABORTED" in late, late
    c = open_shell(array, 2)
    assert read_file(c, "fb") == "".join(rb).encode() + b"\n"
    assert read_file(c, "fa") in (b"\n", b"A" * 300 + b"\n")
    assert array.parity_errors() == []
    assert a.send("append fa done;").find(b"Successfully appended") >= 0  # a goes on
    proxy.stop()
    for shell in (a, b, c):
        shell.close()


class RestartingProxy(Forwarder):
    """Forwards; on the first Get after arm(), restarts the server blank first (inside the
    shell's command, on the shell's same connection to the proxy)."""

    def __init__(self, server):
        super().__init__(server.port, self.hook)
        self.server = server
        self.armed = False

    def hook(self, method, params):
        if self.armed and method == "Get":
            self.armed = False
            self.server.kill()
            self.server.start()  # blank, same port
        return None


def test_a_blank_restart_inside_a_command_behind_a_proxy_is_caught(pool):
    array = RaidServers(pool, N, NB, BS)
    proxy = RestartingProxy(array.servers[2]).start()
    ports = [s.port for s in array.servers]
    ports[2] = proxy.port
    servers = ",".join("127.0.0.1:%d" % p for p in ports)
    a = shells.InteractiveShell(["-ns", N, "-servers", servers, "-nb", NB, "-bs", BS, *FS,
                                 "-cid", 0])
    text = "".join("%04d" % i for i in range(300))  # 1200 bytes: every server holds some
    a.send("create f")
    for i in range(0, len(text), 300):
        a.send("append f " + text[i:i + 300])
    proxy.armed = True
    out = a.send("cat f")
    assert body(out) == text.encode() + b"\n"
    assert events_of(out) == ["server 2 is blank: it restarted and lost its blocks: treated as "
                              "failed until 'repair 2'"]
    assert a.send("repair 2").startswith(b"Server 2 repaired")
    proxy.stop()
    a.close()


def test_online_takes_back_members_failed_by_mistake(pool):
    """Two members stopped long enough to be failed (the array is FAILED, nothing lost): once
    they answer again, `online` takes each back after checking every stripe, no rebuild."""
    array = RaidServers(pool, N, NB, BS)
    a = open_shell(array, 0, "-timeout", 200, rootinit=1)
    text = "".join("%04d" % i for i in range(150))
    a.send("create f")
    a.send("append f " + text[:300])
    a.send("append f " + text[300:])
    array.servers[1].pause()
    array.servers[3].pause()
    a.send("ls")  # the lock round meets both: failed
    assert status(array)[0] == 2
    array.servers[1].resume()
    array.servers[3].resume()
    assert a.send("online 1").startswith(b"Server 1 is online: its")
    assert status(array)[0] == 1
    assert a.send("online 3").startswith(b"Server 3 is online: its")
    assert status(array)[0] == 0
    assert body(a.send("cat f")) == text.encode() + b"\n"
    assert array.parity_errors() == []
    a.close()


def test_a_second_shell_is_warned_about_rootinit_and_refused_another_geometry(pool):
    """-rootinit 1 (the course's default) on servers that hold a file system warns once; a
    shell given another -ni/-is than the array was made with is refused at start, naming both."""
    array = RaidServers(pool, N, NB, BS)
    a = open_shell(array, 0, rootinit=1)
    a.send("create f")
    a.send("append f kept")
    assert b"WARNING" not in a.stderr()  # a new array: nothing to lose
    a.close()
    b = open_shell(array, 1, rootinit=1)
    assert b.stderr().count(b"WARNING: these servers hold a file system already; -rootinit 1") == 1
    assert b"Start with -rootinit 0 to keep them." in b.stderr()
    b.close()
    other = shells.run_shell(array.shell_args("-is", 32, "-ni", 16, "-cid", 2, "-rootinit", 0,
                                              "-command", "ls"))
    assert other.returncode == 2
    assert (b"these servers hold a file system made with -ni 32 -is 64; this shell was given "
            b"-ni 16 -is 32") in other.stderr
    assert status(array)[0] == 0  # status reads the array whatever -ni/-is it is given
