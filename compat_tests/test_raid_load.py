"""RPC counts of the RAID-5 array, measured on real servers with their Stats: a healthy
single-block read is 1 Get; every block written by `load` costs 2 Gets + 2 Puts (or 1 Get +
2 Puts where reconstruct-write reads less); a large file's blocks spread evenly."""

import collections
import pickle

import pytest

import shells
from raid import RaidServers, data_location, meet_failure
from trace_proxy import TraceProxy

N = 4
NB = 384
BS = 128
FS_FLAGS = ["-is", 128, "-ni", 16, "-cid", 0]  # 29 blocks per file


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


def totals(stats):
    return {kind: sum(s[kind] for s in stats) for kind in ("Get", "Put", "RSM")}


def delta(before, after):
    return [{k: a[k] - b[k] for k in ("Get", "Put", "RSM")} for b, a in zip(before, after)]


def test_single_block_read_is_one_get(pool):
    array = RaidServers(pool, N, NB, BS)
    shell = shells.InteractiveShell(array.shell_args(*FS_FLAGS))
    before = array.loads()
    shell.send("showblockslice 200 0 3")  # one Get of virtual block 200, no lock
    after = array.loads()
    assert totals(delta(before, after)) == {"Get": 1, "Put": 0, "RSM": 0}
    server, _ = data_location(200, N)
    assert delta(before, after)[server]["Get"] == 1
    shell.close()


def test_each_loaded_block_costs_two_gets_and_two_puts(pool, tmp_path):
    array = RaidServers(pool, N, NB, BS)
    dump = tmp_path / "fs.dump"
    with open(dump, "wb") as f:
        pickle.dump("BS_%d_NB_%d_IS_128_MI_16_MF_12_IDS_4" % (BS, NB), f)
        pickle.dump([bytearray([b % 251]) * BS for b in range(NB)], f)
    shell = shells.InteractiveShell(array.shell_args(*FS_FLAGS, "-rootinit", 0))
    before = array.loads()
    out = shell.send("load %s" % dump)
    assert b"Error" not in out
    after = array.loads()
    got = totals(delta(before, after))
    # Block 0 (the lock) is one Put to server 0. Blocks 1 and 2 share stripe 0 with the lock,
    # which parity does not cover: reconstruct-write reads the one other data block (1 Get).
    # Every other block: read-modify-write, 2 Gets + 2 Puts.
    assert got["Put"] == 1 + 2 * (NB - 1)
    assert got["Get"] == 2 * 1 + 2 * (NB - 3)
    assert array.parity_errors() == []
    shell.close()


def test_a_large_read_spreads_over_the_servers(pool):
    blocks = 29
    text = "".join(chr(97 + i % 26) for i in range(blocks * BS))
    # The virtual blocks `cat big` reads, recorded on a single server.
    single = pool.start("cpp", nb=NB, bs=BS)
    with TraceProxy(single.port) as proxy:
        shell = shells.InteractiveShell(["-port", proxy.port, "-nb", NB, "-bs", BS, *FS_FLAGS])
        shell.send("create big")
        shell.send("append big " + text)
        proxy.lines.clear()
        out = shell.send("cat big")
        reads = [int(line.split()[1]) for line in proxy.lines if line.startswith("Get ")]
        shell.close()
    assert out.startswith(text.encode())

    array = RaidServers(pool, N, NB, BS)
    shell = shells.InteractiveShell(array.shell_args(*FS_FLAGS))
    shell.send("create big")
    shell.send("append big " + text)
    before = array.loads()
    assert shell.send("cat big") == out
    got = [d["Get"] for d in delta(before, array.loads())]
    expected = collections.Counter(data_location(v, N)[0] for v in reads)
    assert got == [expected[s] for s in range(N)]
    data_reads = collections.Counter(data_location(v, N)[0] for v in reads[-blocks:])
    assert all(abs(data_reads[s] - blocks / N) <= 1 for s in range(N)), data_reads
    shell.close()


def test_showload_reports_client_and_server_counts(pool):
    array = RaidServers(pool, N, NB, BS)
    shell = shells.InteractiveShell(array.shell_args(*FS_FLAGS))
    shell.send("create a")
    shell.send("append a hello")
    table = shell.send("showload").decode()
    stats = array.loads()
    rows = [line.split() for line in table.splitlines()[1:N + 1]]
    for server, row in enumerate(rows):
        # server, address, state, client Get/Put/RSM | server Get/Put/RSM/checksum errors
        assert row[0] == str(server) and row[2] == "ok"
        assert row[3:6] == row[7:10]  # this client is the servers' only client
        assert [int(x) for x in row[7:10]] == [stats[server][k] for k in ("Get", "Put", "RSM")]
    array.servers[2].kill()
    meet_failure(shell, 2, N, NB, start=20)  # the failure is detected here
    table = shell.send("showload").decode()
    assert table.splitlines()[3].split()[2] == "FAILED"
    shell.close()
