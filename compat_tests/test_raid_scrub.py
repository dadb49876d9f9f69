"""`scrub` and `scrub repair` on a RAID-5 array of real servers: a clean array reads everything
and writes nothing; real corruption (stored bytes flipped behind the checksum, through
-test_corruption) and a stale parity block are found, repaired, and found clean again, with the
files' bytes unchanged."""


import pytest

import shells
from raid import RaidServers, data_location, parity_server

N, NB, BS = 4, 384, 128
STRIPES = NB // (N - 1)
FS_FLAGS = ["-is", 64, "-ni", 16, "-cid", 0]
F1_FIRST_BLOCK = 14  # data starts at 13 (the root directory); f1's first block comes next
PROMPT = b"[cwd=0]%"
CLEAN = b"scrub: %d stripes checked, no mismatch\n" % STRIPES + PROMPT


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


@pytest.fixture
def array_and_shell(pool):
    array = RaidServers(pool, N, NB, BS, extra_args={i: ["-test_corruption"] for i in range(N)})
    shell = shells.InteractiveShell(array.shell_args(*FS_FLAGS))
    for line in ["create f1", "append f1 " + "a" * 300, "create f2", "append f2 " + "b" * 200]:
        shell.send(line)
    yield array, shell
    shell.close()


def puts(array):
    return [stats["Put"] for stats in array.loads()]


def test_scrub_of_a_clean_array_changes_nothing(array_and_shell):
    array, shell = array_and_shell
    image = array.virtual_image()
    before = puts(array)
    assert shell.send("scrub") == CLEAN
    assert shell.send("scrub repair") == CLEAN
    assert puts(array) == before  # (the lock's releases are Unlock calls, not Puts)
    assert array.virtual_image() == image
    assert b"(%d/%d)" % (STRIPES, STRIPES) in shell.stderr()  # a progress bar on long runs


def test_scrub_finds_corruption_and_scrub_repair_rebuilds_it(array_and_shell):
    array, shell = array_and_shell
    image = array.virtual_image()
    server, block = data_location(F1_FIRST_BLOCK, N)
    array.servers[server].proxy().Corrupt(block)
    where = b"stripe %d, server %d, block %d: checksum error" % (block, server, F1_FIRST_BLOCK)
    assert shell.send("scrub") == (where + b"\nscrub: %d stripes checked, 1 mismatch, 0 repaired\n"
                                   % STRIPES + PROMPT)
    assert shell.send("scrub repair") == (
        where + b" (rebuilt)\nscrub: %d stripes checked, 1 mismatch, 1 repaired\n" % STRIPES
        + PROMPT)
    assert shell.send("scrub") == CLEAN
    assert array.virtual_image() == image
    assert array.parity_errors() == []
    assert shell.send("cat f1") == b"a" * 300 + b"\n" + PROMPT  # no CORRUPTED_BLOCK: healed


def test_scrub_rewrites_a_stale_parity_from_the_data(array_and_shell):
    array, shell = array_and_shell
    image = array.virtual_image()
    stripe = F1_FIRST_BLOCK // (N - 1)
    p = parity_server(stripe, N)
    array.servers[p].proxy().Put(stripe, bytes([0x5A]) * BS)  # valid checksum, wrong parity
    assert array.parity_errors() == [stripe]
    out = shell.send("scrub repair")
    assert out.startswith(b"stripe %d, server %d, parity: does not match the data (rewritten)\n"
                          % (stripe, p))
    assert array.parity_errors() == []
    assert array.virtual_image() == image  # the data was trusted, not rebuilt from bad parity
    assert shell.send("scrub") == CLEAN


def test_scrub_refuses_a_degraded_array(array_and_shell):
    array, shell = array_and_shell
    array.servers[2].kill()
    shell.send("cat f1")  # the array notices
    out = shell.send("scrub")
    assert b"Error: UNAVAILABLE: scrub needs every server: server 2 is failed (repair it first)" \
        in out
    assert shell.send("scrub extra words") == \
        b"Error: scrub takes no argument, or 'repair'\n" + PROMPT
