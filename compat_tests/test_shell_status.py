"""`status` (issue 11, item 5): the array's health as zpool status shows it, interactively and
as `-command status`, whose exit status scripts use: 0 healthy, 1 degraded, 2 failed."""

import re

import pytest

import shells
from raid import RaidServers


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


def status(array, program=None):
    result = shells.run_shell(array.shell_args("-cid", 0, "-command", "status"),
                              program=program, timeout=60)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def member_row(text, server):
    match = re.search(r"^ +%d +(\S+) +(\S+) +(\d+) +(\d+) +(\d+)$" % server, text, re.M)
    assert match, text
    return match.groups()


@pytest.mark.parametrize("kinds", ["cpp", ["cpp", "ref", "cpp", "cpp"]], ids=["cpp", "mixed"])
def test_status_exit_codes_follow_the_array_health(pool, kinds):
    array = RaidServers(pool, 4, 384, 128, kinds)
    code, out, _ = status(array)
    assert code == 0, out
    assert "  state: ONLINE\n" in out
    for s in range(4):
        endpoint, state, *_ = member_row(out, s)
        assert endpoint == "127.0.0.1:%d" % array.servers[s].port
        assert state == ("ONLINE*" if kinds != "cpp" and s == 1 else "ONLINE")

    array.servers[2].kill()
    code, out, _ = status(array)
    assert code == 1, out
    assert "  state: DEGRADED\n" in out
    assert "type 'repair 2'" in out
    assert member_row(out, 2)[1] == "FAILED"

    array.servers[3].kill()
    code, out, err = status(array)
    assert code == 2
    assert "servers 2, 3 are unreachable" in err


def test_status_in_a_running_shell_notices_a_kill_and_counts_errors(pool):
    array = RaidServers(pool, 4, 384, 128)
    shell = shells.InteractiveShell(array.shell_args("-cid", 0, "-is", 64))
    try:
        shell.send("create f")
        shell.send("append f " + "x" * 700)
        out = shell.send("status").decode()
        assert "  state: ONLINE\n" in out
        array.servers[1].kill()
        out = shell.send("status").decode()
        assert out.startswith("SERVER_DISCONNECTED GET 1\n"), out
        assert "  state: DEGRADED\n" in out
        assert member_row(out, 1)[1:] == ("FAILED", "1", "0", "0")
        assert "x" * 700 in shell.send("cat f").decode()  # degraded read
        array.servers[1].start()  # blank, on the same port
        assert "repaired" in shell.send("repair 1").decode()
        out = shell.send("status").decode()
        assert "  state: ONLINE\n" in out
        assert member_row(out, 1)[1:] == ("ONLINE", "1", "0", "0")  # counts since start
        assert "no mismatch" in shell.send("scrub").decode()
        assert "no mismatch" in shell.send("status").decode()  # the last scrub
        assert b"status" in shell.send("help")
    finally:
        shell.close()


def test_status_of_one_server(start_server):
    server = start_server("cpp", nb=64, bs=128)
    args = ["-port", server.port, "-nb", 64, "-cid", 0, "-command", "status"]
    result = shells.run_shell(args)
    assert result.returncode == 0
    assert b"one server (no RAID-5)" in result.stdout
    server.kill()
    result = shells.run_shell(args)
    assert result.returncode == 2
    assert b"  state: FAILED\n" in result.stdout


def test_command_runs_one_line_on_the_existing_file_system(pool):
    """-command skips the start-up: the root is not re-created, so files survive."""
    array = RaidServers(pool, 4, 384, 128)
    result = shells.run_shell(array.shell_args("-cid", 0, "-is", 64), "create kept\nexit\n")
    assert result.returncode == 0
    result = shells.run_shell(array.shell_args("-cid", 0, "-is", 64, "-command", "ls"))
    assert result.returncode == 0
    assert b"kept" in result.stdout
    assert b"[cwd=" not in result.stdout  # no prompt
