"""The 2022 shell's opt-in block cache (`-cache 1`, one server): the output and the final image
of every g22 golden case are unchanged, with fewer requests; two shells and a Python-style
client writing to the same server between commands are seen (the server's count of Puts keeps
the cache coherent, no block is touched); on the Python reference server (no count) the cache
lasts one command and everything is still right."""

import xmlrpc.client

import pytest

import shells
from trace_proxy import TraceProxy


@pytest.mark.parametrize("kind", ["cpp", "ref"])
@pytest.mark.parametrize("case", shells.GOLDEN_CASES)
def test_golden_case_with_the_cache(case, kind, start_server):
    golden = shells.Golden(case)
    server = start_server(kind, nb=golden.nb, bs=golden.bs)
    with TraceProxy(server.port) as proxy:
        result = shells.run_shell(["-ns", 1, "-startport", proxy.port, *golden.args,
                                   "-cache", 1], golden.stdin)
        trace = list(proxy.lines)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == golden.stdout
    assert result.stderr == golden.stderr
    assert shells.image_of(shells.read_blocks(server.port, golden.nb)) == golden.image
    requests = [line for line in trace if line != "Stats"]
    if kind == "cpp":
        assert len(requests) < len(golden.trace)  # the point of a cache


FLAGS = ["-nb", 256, "-bs", 128, "-is", 64, "-ni", 16]
STEPS = [(0, "create f"), (0, "append f hello"), (1, "cat f"), (1, "append f +one"),
         (0, "cat f"), ("raw", None), (0, "cat f"), (1, "cat f"), (0, "append f +two"),
         (1, "cat f"), (1, "ls"), (0, "ls")]


def run_two_shells(server, cache):
    """The two shells' outputs for STEPS; ("raw") is a course-style client rewriting f's data
    block between commands, with the course's RSM/Put lock."""
    shells_ = [shells.InteractiveShell(["-port", server.port, *FLAGS, "-cid", cid,
                                        *(["-cache", 1] if cache else []),
                                        *(["-rootinit", 0] if cid else [])])
               for cid in (0, 1)]
    outputs = []
    for who, line in STEPS:
        if who == "raw":
            proxy = server.proxy()
            assert proxy.RSM(0) == bytes(128)  # the lock, free
            data_block = 2 + 256 // 128 + 16 * 64 // 128 + 1  # after the root's block
            proxy.Put(data_block, xmlrpc.client.Binary(b"HELLO+one".ljust(128, b"\0")))
            proxy.Put(0, xmlrpc.client.Binary(bytes(128)))
            continue
        outputs.append(shells_[who].send(line))
    for shell in shells_:
        shell.close()
    return outputs


def test_two_cached_shells_and_a_foreign_writer_see_every_write(start_server):
    plain = run_two_shells(start_server("cpp", nb=256, bs=128), cache=False)
    cached = run_two_shells(start_server("cpp", nb=256, bs=128), cache=True)
    assert cached == plain
    assert b"HELLO+one" in cached[5]  # the foreign write, seen by the cached shell 0


def test_cache_is_for_one_server_and_2022():
    result = shells.run_shell(["-ns", 4, "-startport", 9000, "-cid", 0, "-cache", 1], "")
    assert result.returncode == 2
    assert b"-cache/--cache: the 2022 block cache is for one server (-ns 1)" in result.stderr
