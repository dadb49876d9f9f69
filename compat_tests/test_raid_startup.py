"""The RAID-5 shell's start-up check of its servers (issue 11, item 2): each is asked once (our
server: Stats; the Python one: a Get of the last block the array needs), and a server that
cannot serve the array is named with the reason; the shell does not start (exit status 2)."""

import servers
import shells
from raid import RaidServers, server_blocks

N, NB, BS = 4, 768, 128
FLAGS = ["-cid", 0]


def start(array_args):
    return shells.run_shell([*array_args, *FLAGS], "exit\n", timeout=30)


def test_a_server_with_another_block_size_is_named(pool):
    array = RaidServers(pool, N, NB, BS)
    odd = pool.start("cpp", nb=server_blocks(NB, N), bs=512)
    array.servers[2] = odd
    result = start(array.shell_args())
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "memoryfs_shell_rpc: server 2 (127.0.0.1:%d) has blocks of 512 bytes: this shell was "
        "given -bs 128\n" % odd.port)
    assert result.stdout == b""


def test_a_server_too_small_for_nb_is_named_with_the_size_needed(pool):
    for kind in ("cpp", "ref"):
        array = RaidServers(pool, N, NB, BS)
        small = pool.start(kind, nb=64, bs=BS)
        array.servers[1] = small
        result = start(array.shell_args())
        assert result.returncode == 2
        has = "64 blocks" if kind == "cpp" else "fewer blocks"
        assert result.stderr.decode() == (
            "memoryfs_shell_rpc: server 1 (127.0.0.1:%d) has %s: -nb 768 over 4 servers needs "
            "256 on each\n" % (small.port, has))


def test_no_server_running_says_so_instead_of_a_stripe_error():
    ports = [servers.free_port() for _ in range(N)]
    result = start(["-ns", N, "-servers", ",".join("127.0.0.1:%d" % p for p in ports),
                    "-nb", NB, "-bs", BS])
    assert result.returncode == 2
    text = result.stderr.decode()
    assert text.startswith("memoryfs_shell_rpc: servers 0, 1, 2, 3 are unreachable (127.0.0.1:%d: "
                           % ports[0])
    assert text.endswith("): RAID-5 runs with one server down at most; start them first\n")
    assert "IndexError" not in text and "stripe" not in text


def test_one_server_down_starts_degraded(pool):
    array = RaidServers(pool, N, NB, BS)
    array.servers[3].kill()
    result = start(array.shell_args())
    assert result.returncode == 0
    assert result.stdout.startswith(b"SERVER_DISCONNECTED GET 3\n")
