"""The 2023 RAID-5 project: ``fsmain -ns N -startport P`` (and ``-servers``) over N servers.

- Every single-client g23 case on N = 4, 5 and 8 with ``-logcache 1``: stdout is the golden
  stdout after the ``RSM server X`` line, stderr the golden stderr, the virtual image the golden
  image, and every stripe's parity consistent (the lock block, virtual nb-1, outside it);
  without ``-logcache`` the same minus the CACHE_* lines.
- Failures, with the 2023 messages (the block number, not the server id): a server killed
  mid-sequence, one stopped (SIGSTOP), ``-cblk`` on a data and on a parity block, then
  ``repair`` and another failure; every output as on one healthy server.
"""

import re

import pytest

import shells
from raid import RaidServers, data_location, parity_server

G23 = shells.GOLDEN23_DIR
CASES = ["g01_basic", "g02_errors", "g03_growth", "g04_paths", "g05_default",
         "g06_paths_bs512", "g07_slice_mirror"]
EVENT = re.compile(rb"(SERVER_DISCONNECTED (GET|PUT|RSM) (\d+|server \d+)|CORRUPTED_BLOCK [^\n]*"
                   rb"|server \d+ [^\n]*: treated as failed until 'repair \d+')\n")
CACHE_LINE = re.compile(rb"CACHE_[A-Z_]+( \d+)?\n")


@pytest.fixture(autouse=True)
def _need_fsmain():
    if not shells.shell_available(shells.fsmain_path()):
        pytest.fail("fsmain not built: %s" % shells.fsmain_path())


def array_for(pool, n, nb, bs, **kwargs):
    return RaidServers(pool, n, nb, bs, lock_block=nb - 1, **kwargs)


def fsmain(array, *flags):
    servers = ",".join("127.0.0.1:%d" % s.port for s in array.servers)
    return ["-servers", servers, *flags]


def announce(array):
    return b"RSM server %d\n" % data_location(array.nb - 1, array.n)[0]


@pytest.mark.parametrize("n", [4, 5, 8])
@pytest.mark.parametrize("case", CASES)
def test_golden_case_in_raid5(pool, case, n):
    golden = shells.Golden(case, G23)
    array = array_for(pool, n, golden.nb, golden.bs)
    result = shells.run_shell(fsmain(array, *golden.args, "-logcache", 1), golden.stdin,
                              program=shells.fsmain_path())
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    assert result.stdout == announce(array) + golden.stdout
    assert result.stderr == golden.stderr
    physical = array.physical()
    assert shells.image_of(array.virtual_image(physical)) == golden.image
    assert array.parity_errors(physical) == []


def test_cache_lines_are_off_by_default_in_raid5(pool):
    golden = shells.Golden("g01_basic", G23)
    array = array_for(pool, 4, golden.nb, golden.bs)
    result = shells.run_shell(fsmain(array, *golden.args), golden.stdin,
                              program=shells.fsmain_path())
    assert result.stdout == announce(array) + CACHE_LINE.sub(b"", golden.stdout)


NB, BS = 384, 128
FLAGS = ["-nb", NB, "-bs", BS, "-is", 64, "-ni", 16, "-cid", 0]
BEFORE = ["mkdir d", "create f1", "append f1 " + "a" * 60, "create f2",
          "append f2 " + "".join(chr(97 + i % 26) for i in range(300)), "cd d", "create g",
          "append g " + "g" * 200, "cd /", "ls", "cat f1", "cat f2", "cat d/g"]
AFTER = ["create f3", "append f3 " + "3" * 250, "cat f1", "cat f2", "cat d/g", "cat f3", "ls",
         "append f1 more", "cat f1", "rm f3", "ls"]


@pytest.fixture(scope="module")
def baseline(module_pool):
    """Each command's output on one healthy server (fsmain, 2023, no cache lines)."""
    server = module_pool.start("cpp", nb=NB, bs=BS)
    shell = shells.InteractiveShell(["-port", server.port, *FLAGS, "-logcache", 0],
                                    program=shells.fsmain_path())
    outputs = [shell.send(line) for line in BEFORE + AFTER]
    shell.close()
    server.kill()
    return outputs


def run_with_fault(array, baseline, fault_at, fault, *flags):
    """Runs BEFORE + AFTER with fault() before command fault_at; every output as the
    baseline's, the array's lines set aside; returns (shell, events)."""
    shell = shells.InteractiveShell(fsmain(array, *FLAGS, *flags), program=shells.fsmain_path())
    assert shell.startup.startswith(announce(array))
    events = []
    for i, (line, expected) in enumerate(zip(BEFORE + AFTER, baseline)):
        if i == fault_at:
            fault()
        out = shell.send(line)
        events += [m.group(1).decode() for m in EVENT.finditer(out)]
        assert EVENT.sub(b"", out) == expected, "%s: %r" % (line, out)
    return shell, events


@pytest.mark.parametrize("k", [0, 1, 3])
def test_kill_a_server_then_repair_then_another(pool, baseline, k):
    array = array_for(pool, 4, NB, BS)
    shell, events = run_with_fault(array, baseline, 6, array.servers[k].kill, "-timeout", 300)
    # Always a block number (issue 19, item 10): the block whose request met the failure, or,
    # when the member records read with each lock met it, the first block then read or written
    # without server k.
    assert len(events) == 1
    assert re.fullmatch(r"SERVER_DISCONNECTED (GET|PUT|RSM) \d+", events[0])
    array.servers[k].start()  # blank
    assert shell.send("repair %d" % k).startswith(b"Server %d repaired" % k)
    assert array.parity_errors() == []
    other = (k + 2) % 4
    array.servers[other].kill()
    lines = BEFORE + AFTER
    for line in ["cat f1", "cat f2", "cat d/g"]:
        last = len(lines) - 1 - lines[::-1].index(line)
        assert EVENT.sub(b"", shell.send(line)) == baseline[last]
    shell.close()


def test_a_stopped_server_is_failed_within_the_timeout(pool, baseline):
    array = array_for(pool, 4, NB, BS)
    shell, events = run_with_fault(array, baseline, 4, array.servers[2].pause, "-timeout", 300)
    assert len(events) == 1 and events[0].startswith("SERVER_DISCONNECTED")
    array.servers[2].resume()
    assert shell.send("repair 2").startswith(b"Server 2 repaired")
    assert array.parity_errors() == []
    shell.close()


def goes_without(event, server):
    """Whether the request an event names would have used `server`: a GET of a block whose
    data is there, a PUT of a block whose data or stripe's parity is there, the RSM of the lock
    block (nb-1) on its server."""
    op, block = re.fullmatch(r"SERVER_DISCONNECTED (GET|PUT|RSM) (\d+)", event).groups()
    at, stripe = data_location(int(block), 4)
    if op == "RSM":
        return int(block) == NB - 1 and at == server
    return at == server or (op == "PUT" and parity_server(stripe, 4) == server)


def test_a_failure_met_by_the_lock_round_names_the_next_block_without_it(pool, baseline):
    """Server 2 killed between two commands: the next command's lock round (every member's
    record) meets the failure first. The message waits for the first block request that goes
    without server 2, here the cache's read of the last-writer block nb-2 (its data is on
    server 2), and names it; once."""
    array = array_for(pool, 4, NB, BS)
    assert data_location(NB - 2, 4)[0] == 2
    shell = shells.InteractiveShell(fsmain(array, *FLAGS, "-timeout", 300),
                                    program=shells.fsmain_path())
    for line in BEFORE:
        shell.send(line)
    array.servers[2].kill()
    index = BEFORE.index("cat f1")
    assert shell.send("cat f1") == b"SERVER_DISCONNECTED GET %d\n" % (NB - 2) + baseline[index]
    outputs = b"".join(shell.send(line) for line in AFTER)
    assert b"SERVER_DISCONNECTED" not in outputs
    shell.close()


@pytest.mark.parametrize("k", [0, 1, 3])
def test_a_deferred_failure_names_a_block_that_goes_without_it(pool, baseline, k):
    """The same with a server that does not hold the last-writer block's data: the message
    waits past that read, for the first block read or written without server k; once. (Server
    3 holds the lock: its RSM meets the failure, naming the lock block.)"""
    array = array_for(pool, 4, NB, BS)
    shell = shells.InteractiveShell(fsmain(array, *FLAGS, "-timeout", 300),
                                    program=shells.fsmain_path())
    for line in BEFORE:
        shell.send(line)
    array.servers[k].kill()
    events = []
    for line, expected in zip(AFTER, baseline[len(BEFORE):]):
        out = shell.send(line)
        events += [m.group(1).decode() for m in EVENT.finditer(out)]
        assert EVENT.sub(b"", out) == expected, "%s: %r" % (line, out)
    assert len(events) == 1, events
    assert goes_without(events[0], k), events
    shell.close()


@pytest.mark.parametrize("where", ["data", "parity"])
def test_cblk_gives_corrupted_block_with_its_number(pool, baseline, where):
    """-cblk B on one server: its physical block B answers a checksum error. A data block is
    reported as CORRUPTED_BLOCK <virtual block>; every output stays right."""
    stripe = 1  # virtual blocks 3, 4 and 5: the bitmap's last block and the root's inode
    server = parity_server(stripe, 4) if where == "parity" else data_location(5, 4)[0]
    array = array_for(pool, 4, NB, BS, extra_args={server: ["-cblk", stripe]})
    shell, events = run_with_fault(array, baseline, -1, None)
    assert all(e.startswith("CORRUPTED_BLOCK") for e in events)
    if where == "data":
        virtual = next(v for v in range(NB) if data_location(v, 4) == (server, stripe))
        assert "CORRUPTED_BLOCK %d" % virtual in events
    shell.close()


def test_scrub_and_showload_in_the_2023_project(pool):
    """The 2022 mode's RAID commands work in the 2023 project too: scrub finds a clean array
    clean and a corrupted block (rebuilt by scrub repair); showload lists every server."""
    array = array_for(pool, 4, NB, BS, extra_args={i: ["-test_corruption"] for i in range(4)})
    shell = shells.InteractiveShell(fsmain(array, *FLAGS), program=shells.fsmain_path())
    for line in BEFORE:
        shell.send(line)
    stripes = -(-NB // 3)
    clean = b"scrub: %d stripes checked, no mismatch\n[cwd=0]%%" % stripes
    assert shell.send("scrub") == clean
    server, block = data_location(13, 4)  # the root directory's block
    array.servers[server].proxy().Corrupt(block)
    found = shell.send("scrub repair")
    assert b"checksum error (rebuilt)" in found and b"1 mismatch, 1 repaired" in found
    assert shell.send("scrub") == clean
    table = shell.send("showload").decode().splitlines()
    assert [row.split()[0] for row in table[1:5]] == ["0", "1", "2", "3"]
    assert all(row.split()[2] == "ok" for row in table[1:5])
    assert array.parity_errors() == []
    shell.close()
