"""`-command LINE`'s exit status (issue 19, item 8), on real servers, for both programs:
0 when the command succeeded, 1 when it failed or was refused (an "Error: ..." line, "command X
not valid.", a refused repair, a scrub that left a mismatch, a hung server), 2 on a usage error
(wrong number of arguments, a word that is not a number, a number out of range, scrub with a
word other than repair); `status` keeps 0/1/2 (healthy/degraded/failed). The output is the
interactive shell's, byte for byte (the golden traces check that side)."""

import pytest

import shells
from raid import RaidServers, data_location

NB, BS = 256, 128
N, RAID_NB = 4, 384
FS = ["-is", 64, "-ni", 16]


@pytest.fixture(autouse=True)
def _need_shells():
    for path in (shells.shell_path(), shells.fsmain_path()):
        if not shells.shell_available(path):
            pytest.fail("shell not built: %s" % path)


def command(args, line, program=None, timeout=60):
    result = shells.run_shell([*args, "-command", line], program=program, timeout=timeout)
    return result.returncode, result.stdout


@pytest.fixture
def one_server(pool):
    """One of our servers holding file f ("hello") and directory d, made by the 2022 shell."""
    server = pool.start("cpp", nb=NB, bs=BS)
    args = ["-port", server.port, "-cid", 0, "-nb", NB, "-bs", BS]
    made = shells.run_shell(args, "create f\nappend f hello\nmkdir d\nexit\n")
    assert made.returncode == 0
    return server, args


@pytest.mark.parametrize("line, status, stdout", [
    ("cat f", 0, b"hello\n"),
    ("ls", 0, None),
    ("ls extra", 0, None),  # extra words are ignored, as by the reference
    ("help cat", 0, None),
    ("status", 0, None),  # one server: healthy
    ("exit", 0, b""),
    ("cat missing", 1, b"Error: not found\n\n"),
    ("cat d", 1, b"Error: not a file\n\n"),
    ("cd f", 1, b"Error: not a directory\n\n"),
    ("create f", 1, None),
    ("rm missing", 1, None),
    ("bogus", 1, b"command bogus not valid.\n\n"),
    ("help bogus", 1, b"Error: no command bogus (help lists them)\n"),
    ("load /nonexistent/dump", 1, b"Error: Please provide valid file\n"),
    ("repair 1", 1, b"Error: INVALID_ARGUMENT: repair needs a RAID-5 array (-ns 3 or more "
                    b"servers)\n"),
    ("cat", 2, b"Error: cat requires one argument\n"),
    ("append f", 2, b"Error: append requires two arguments\n"),
    ("repair abc", 2, b"Error: abc not a valid Integer\n"),
    ("repair", 2, b"Error: repair requires one argument\n"),
    ("scrub foo", 2, b"Error: scrub takes no argument, or 'repair'\n"),
    ("showblock 999", 2, b"Error: block number 999 not in valid range [0, 255]\n"),
    ("showinode x", 2, b"Error: x not a valid Integer\n"),
    ("status now", 2, b"Error: status takes no argument\n"),
])
def test_exit_status_of_each_kind_of_command(one_server, line, status, stdout):
    _, args = one_server
    code, out = command(args, line)
    assert code == status, out
    if stdout is not None:
        assert out == stdout


def test_the_interactive_shell_still_exits_0_after_failed_commands(one_server):
    _, args = one_server
    result = shells.run_shell(args, "cat missing\ncat\nbogus\nexit\n")
    assert result.returncode == 0
    assert result.stdout == (b"[cwd=0]%Error: not found\n\n[cwd=0]%Error: cat requires one "
                             b"argument\n[cwd=0]%command bogus not valid.\n\n[cwd=0]%")


def test_ls_against_a_hung_server_exits_1(one_server):
    server, args = one_server
    server.pause()  # SIGSTOP: connects, never answers
    try:
        code, out = command([*args, "-timeout", 200], "ls", timeout=30)
    finally:
        server.resume()
    assert code == 1
    assert out.startswith(b"Error: UNAVAILABLE: ")
    # (Resumed, the server runs the RSM that timed out: the lock stays taken by a shell that
    # has gone, as with the reference on one server.)


@pytest.mark.parametrize("line, status, stdout", [
    ("cat f", 0, b"hello\n"),
    ("cat missing", 1, b"Error: not found\n\n"),
    ("bogus", 1, b"command bogus not valid.\n\n"),
    ("cat", 2, b"Error: cat requires one argument\n"),
    ("slice f x 1", 2, b"Error: x not a valid Integer\n"),
])
def test_fsmain_exit_status(pool, line, status, stdout):
    server = pool.start("cpp", nb=NB, bs=BS)
    args = ["-port", server.port, "-nb", NB, "-bs", BS, "-logcache", 0]
    made = shells.run_shell(args, "create f\nappend f hello\nexit\n", program=shells.fsmain_path())
    assert made.returncode == 0
    code, out = command(args, line, program=shells.fsmain_path())
    assert (code, out) == (status, stdout)


@pytest.fixture
def array(pool):
    """4 of our servers (with Corrupt) holding file f of 300 bytes, made by the 2022 shell."""
    array = RaidServers(pool, N, RAID_NB, BS, extra_args={i: ["-test_corruption"]
                                                          for i in range(N)})
    made = shells.run_shell(array.shell_args("-cid", 0, *FS),
                            "create f\nappend f " + "a" * 300 + "\nexit\n")
    assert made.returncode == 0
    return array


def raid(array, line, *flags):
    return command(array.shell_args("-cid", 0, *FS, *flags), line)


def test_repair_refused_exits_1_and_its_usage_errors_2(array):
    code, out = raid(array, "repair 1")  # not failed
    assert code == 1 and out.startswith(b"Error: "), out
    code, out = raid(array, "repair 9")  # no such server: the array refuses it
    assert code == 1 and out.startswith(b"Error: "), out
    assert raid(array, "repair abc") == (2, b"Error: abc not a valid Integer\n")
    assert raid(array, "repair 1 2") == (2, b"Error: repair requires one argument\n")


def test_scrub_exits_1_while_a_mismatch_is_left(array):
    stripes = RAID_NB // (N - 1)
    clean = b"scrub: %d stripes checked, no mismatch\n" % stripes
    assert raid(array, "scrub") == (0, clean)
    block = 14  # f's first block
    server, physical = data_location(block, N)
    array.servers[server].proxy().Corrupt(physical)
    where = b"stripe %d, server %d, block %d: checksum error" % (physical, server, block)
    assert raid(array, "scrub") == (1, where + b"\nscrub: %d stripes checked, 1 mismatch, "
                                    b"0 repaired\n" % stripes)
    assert raid(array, "scrub repair") == (0, where + b" (rebuilt)\nscrub: %d stripes checked, "
                                           b"1 mismatch, 1 repaired\n" % stripes)
    assert raid(array, "scrub") == (0, clean)
    # Two blocks of one stripe corrupt: scrub repair cannot fix them.
    other, same_stripe = data_location(block - 1, N)
    assert same_stripe == physical
    array.servers[server].proxy().Corrupt(physical)
    array.servers[other].proxy().Corrupt(physical)
    code, out = raid(array, "scrub repair")
    assert code == 1, out
    assert b"not repairable" in out
    assert raid(array, "scrub foo") == (2, b"Error: scrub takes no argument, or 'repair'\n")


def test_status_keeps_its_own_exit_status_and_a_degraded_ls_succeeds(array):
    assert raid(array, "status")[0] == 0
    assert raid(array, "status x") == (2, b"Error: status takes no argument\n")
    array.servers[2].pause()
    try:
        code, out = raid(array, "ls", "-timeout", 200)  # degraded: done without server 2
        assert code == 0, out
        assert b"SERVER_DISCONNECTED GET 2\n" in out and b"f" in out
        code, out = raid(array, "status", "-timeout", 200)
        assert code == 1, out  # degraded
    finally:
        array.servers[2].resume()
