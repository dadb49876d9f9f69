"""Our shell as a real process against real servers: flags, end of input, pickle dumps that
Python reads and writes, two shells sharing one server under the lock, random input."""

import pickle
import random
import signal
import time

import pytest

import shells
from trace_proxy import TraceProxy

GOLDEN = "g01_basic"  # -nb 256 -bs 128 -is 32 -ni 16


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


# ----- flags ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["-ns", "1", "-startport", "1"], b"Must specify valid cid\n"),            # deviation 5
    (["-cid", "8", "-ns", "1", "-startport", "1"], b"Must specify valid cid\n"),
    (["-cid", "0", "-startport", "1"], b"Must specify valid ns\n"),
    (["-cid", "0", "-ns", "1"], b"Must specify port number\n"),
])
def test_must_specify_texts_exit_non_zero(args, message):
    result = shells.run_shell(args)
    assert result.stdout == message
    assert result.returncode != 0  # deviation 6


@pytest.mark.parametrize("args, flag", [
    (["-cid", "0", "-port", "1", "-nb", "abc"], "nb"),
    (["-cid", "zero", "-port", "1"], "cid"),
    (["-cid", "0", "-port", "1", "-bogus", "3"], "bogus"),
])
def test_bad_flag_values_name_the_flag(args, flag):
    result = shells.run_shell(args)
    assert result.returncode != 0
    assert flag in result.stderr.decode()


def test_unreachable_server_is_a_clear_error(pool):
    port = pool.start("cpp", nb=16, bs=128).port
    pool.cleanup()
    result = shells.run_shell(["-cid", "0", "-port", port, "-nb", 16], "ls\nexit\n", timeout=20)
    assert result.returncode != 0
    assert b"Traceback" not in result.stdout + result.stderr
    assert result.stdout + result.stderr  # says something


# ----- end of input (deviation 3) -------------------------------------------------------------

@pytest.mark.parametrize("kind", ["cpp", "ref"])
def test_end_of_input_exits_cleanly(start_server, kind):
    server = start_server(kind, nb=256, bs=128)
    result = shells.run_shell(["-cid", 0, "-port", server.port], "create a\nls\n")
    assert result.returncode == 0
    assert result.stdout.endswith(b"[cwd=0]%")
    assert shells.read_blocks(server.port, 1)[0] == bytes(128)  # lock released


# ----- load / save interoperate with Python's pickle (deviation 4) ----------------------------

def golden_blocks(golden):
    blocks = [bytearray(golden.bs) for _ in range(golden.nb)]
    for line in golden.image.splitlines():
        n, hexdata = line.split()
        data = bytes.fromhex(hexdata)
        blocks[int(n)][:len(data)] = data
    return blocks


def dump_header(golden):
    return "BS_%d_NB_%d_IS_%d_MI_%d_MF_12_IDS_4" % (golden.bs, golden.nb, golden.flag("-is"),
                                                   golden.flag("-ni"))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_load_reads_a_python_pickle(start_server, tmp_path, protocol):
    golden = shells.Golden(GOLDEN)
    server = start_server("cpp", nb=golden.nb, bs=golden.bs)
    dump = tmp_path / "fs.dump"
    with open(dump, "wb") as f:
        pickle.dump(dump_header(golden), f, protocol=protocol)
        pickle.dump(golden_blocks(golden), f, protocol=protocol)
    result = shells.run_shell(["-port", server.port, *golden.args, "-rootinit", 0],
                              "load %s\ncat f1\ncd dir1\ncat g\nexit\n" % dump)
    assert result.returncode == 0
    assert b"Error" not in result.stdout
    assert b"helloworld\n" in result.stdout
    assert b"abc\n" in result.stdout
    assert shells.image_of(shells.read_blocks(server.port, golden.nb)) == golden.image


def test_load_refuses_a_geometry_mismatch(start_server, tmp_path):
    golden = shells.Golden(GOLDEN)
    server = start_server("cpp", nb=golden.nb, bs=golden.bs)
    dump = tmp_path / "fs.dump"
    with open(dump, "wb") as f:
        pickle.dump("BS_512_NB_1024_IS_32_MI_16_MF_12_IDS_4", f)
        pickle.dump([bytearray(512)] * 1024, f)
    before = shells.read_blocks(server.port, golden.nb)
    result = shells.run_shell(["-port", server.port, *golden.args, "-rootinit", 0],
                              "load %s\nexit\n" % dump)
    assert result.returncode == 0
    after = shells.read_blocks(server.port, golden.nb)
    assert before == after  # nothing written
    assert result.stdout.count(b"[cwd=0]%") == 2


def test_save_writes_what_python_reads(start_server, tmp_path):
    golden = shells.Golden(GOLDEN)
    server = start_server("ref", nb=golden.nb, bs=golden.bs)
    result = shells.run_shell(["-port", server.port, *golden.args], golden.stdin)
    assert result.returncode == 0
    dump = tmp_path / "saved.dump"
    result = shells.run_shell(["-port", server.port, *golden.args, "-rootinit", 0],
                              "save %s\nexit\n" % dump)
    assert result.returncode == 0
    with open(dump, "rb") as f:
        header = pickle.load(f)
        blocks = pickle.load(f)
    assert header == dump_header(golden)
    assert len(blocks) == golden.nb
    assert shells.image_of(blocks) == golden.image
    # And our shell reads it back into a fresh server.
    fresh = start_server("cpp", nb=golden.nb, bs=golden.bs)
    result = shells.run_shell(["-port", fresh.port, *golden.args, "-rootinit", 0],
                              "load %s\nexit\n" % dump)
    assert shells.image_of(shells.read_blocks(fresh.port, golden.nb)) == golden.image


# ----- two shells on one server, interleaved under the lock -----------------------------------

@pytest.mark.parametrize("kind", ["cpp", "ref"])
def test_two_shells_share_one_server(start_server, kind):
    server = start_server(kind, nb=256, bs=128)
    a = shells.InteractiveShell(["-cid", 0, "-port", server.port])
    b = shells.InteractiveShell(["-cid", 1, "-port", server.port, "-rootinit", 0])
    try:
        assert a.send("create shared") == b"[cwd=0]%"
        assert a.send("append shared from-a") == b"Successfully appended 6 bytes.\n[cwd=0]%"
        assert b.send("cat shared") == b"from-a\n[cwd=0]%"
        assert b.send("append shared +b") == b"Successfully appended 2 bytes.\n[cwd=0]%"
        assert b.send("mkdir dirb") == b"[cwd=0]%"
        assert a.send("cat shared") == b"from-a+b\n[cwd=0]%"
        assert a.send("cd dirb") == b"[cwd=2]%"
        assert b.send("rm shared") == b"[cwd=0]%"
        assert a.send("cd /") == b"[cwd=0]%"
        listing = a.send("ls")
        assert b"shared" not in listing
        assert b"dirb" in listing
    finally:
        a.close()
        b.close()
    assert shells.read_blocks(server.port, 1)[0] == bytes(128)


def test_a_shell_waits_for_the_lock(start_server):
    server = start_server("cpp", nb=256, bs=128)
    shell = shells.InteractiveShell(["-cid", 0, "-port", server.port])
    proxy = server.proxy()
    assert proxy.RSM(0)[0] == 0  # someone else holds the lock now
    shell.proc.stdin.write(b"create waited\n")
    shell.proc.stdin.flush()
    time.sleep(0.3)
    assert proxy.Stats()["RSM"] > 5  # it is spinning, as the course's Acquire does
    proxy.Put(0, bytes(128))  # release
    assert shell.wait_prompt() == b"[cwd=0]%"
    assert b"waited" in shell.send("ls")
    shell.close()


# ----- random command lines never crash the shell nor corrupt the file system -----------------

WORDS = ["a", "b", "dir", "..", "/", "/a", "a/b", "x" * 13, "0", "-1", "999999999999", "abc",
         "5", "127", "f", "/dir/f"]
COMMANDS = ["cd", "cat", "ls", "mkdir", "create", "rm", "append", "lnh", "lns", "showblock",
            "showblockslice", "showinode", "showfsconfig", "bogus", ""]


def random_lines(rng, count):
    lines = []
    for _ in range(count):
        words = [rng.choice(COMMANDS)] + [rng.choice(WORDS) for _ in range(rng.randrange(4))]
        lines.append(" ".join(words))
    return lines


@pytest.mark.parametrize("seed", [1, 2])
def test_random_lines_against_a_real_server(start_server, seed):
    rng = random.Random(seed)
    server = start_server("cpp", nb=128, bs=128)
    lines = random_lines(rng, 400)
    result = shells.run_shell(["-cid", 0, "-port", server.port, "-nb", 128, "-is", 32],
                              "\n".join(lines) + "\nexit\n", timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count(b"%") >= len(lines)
    assert shells.read_blocks(server.port, 1)[0] == bytes(128)  # lock released
    # The file system is still usable afterwards.
    after = shells.run_shell(["-cid", 0, "-port", server.port, "-nb", 128, "-is", 32,
                              "-rootinit", 0], "cd /\nls\nexit\n")
    assert after.returncode == 0


# ----- Ctrl-C never leaves the lock held --------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_while_waiting_for_the_lock_stops_at_once(start_server, sig):
    """A lock that is never released (its holder died) must not trap the shell: a command
    still waiting for it is abandoned, having written nothing and holding nothing."""
    server = start_server("cpp", nb=256, bs=128)
    shell = shells.InteractiveShell(["-cid", 0, "-port", server.port])
    proxy = server.proxy()
    assert proxy.RSM(0)[0] == 0  # another client holds the lock and never lets go
    shell.proc.stdin.write(b"create late\n")
    shell.proc.stdin.flush()
    time.sleep(0.3)
    assert shell.proc.poll() is None  # waiting inside Acquire
    started = time.monotonic()
    shell.proc.send_signal(sig)
    assert shell.proc.wait(5) == 128 + sig
    assert time.monotonic() - started < 1.0
    assert proxy.Get(0) == bytes([1]) * 128  # still the other client's lock
    proxy.Put(0, bytes(128))
    after = shells.run_shell(["-cid", 0, "-port", server.port, "-rootinit", 0], "ls\nexit\n")
    assert b"late" not in after.stdout  # the abandoned command did nothing


def test_interrupt_inside_a_command_finishes_it_and_releases_the_lock(start_server):
    """Once the RSM that takes the lock is on its way, a Ctrl-C takes effect after the
    command: with the server paused, the shell waits for that RSM's answer, gets the lock,
    runs the command, releases the lock, and only then exits."""
    server = start_server("cpp", nb=256, bs=128)
    tracer = TraceProxy(server.port).start()  # to see when the RSM is on its way
    shell = shells.InteractiveShell(["-cid", 0, "-port", tracer.port, "-timeout", 20000])
    server.pause()
    seen = len(tracer.lines)
    shell.proc.stdin.write(b"create late\n")
    shell.proc.stdin.flush()
    deadline = time.monotonic() + 10
    while "RSM 0" not in tracer.lines[seen:]:  # the shell's RSM now waits for the paused server
        assert time.monotonic() < deadline, tracer.lines[seen:]
        time.sleep(0.01)
    shell.proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert shell.proc.poll() is None  # still inside the command
    server.resume()
    assert shell.proc.wait(10) == 128 + signal.SIGINT
    proxy = server.proxy()
    assert proxy.Get(0) == bytes(128)  # its lock released
    after = shells.run_shell(["-cid", 0, "-port", server.port, "-rootinit", 0], "ls\nexit\n")
    assert b"late" in after.stdout  # and its change complete
    tracer.stop()


def test_interrupt_at_the_prompt_exits_at_once(start_server):
    server = start_server("cpp", nb=256, bs=128)
    shell = shells.InteractiveShell(["-cid", 0, "-port", server.port])
    shell.proc.send_signal(signal.SIGINT)
    assert shell.proc.wait(5) == 128 + signal.SIGINT
    assert server.proxy().Get(0) == bytes(128)
