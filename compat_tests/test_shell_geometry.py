"""Geometries the Python reference accepts although its layout overlaps itself (issue 11,
item 1; src/fs/geometry.h): -nb not a multiple of -bs, and the like.

Ground truth: the reference's layout depends on -nb only through nb // bs (the bitmap's size,
hence where the inode table and the data start), the end of the allocator's scan, and
showfsconfig. A golden case replayed at another -nb with the same nb // bs, whose disk never
fills, is therefore exactly what the reference does at that -nb: the same stdout, stderr, RPCs
and image. Where the layout overlaps (the bitmap has no byte for blocks >= (nb // bs) * bs),
the reference would set a byte of its inode table; our shell stops there with an error that
says why, and undoes the command.
"""

import pytest

import shells
from raid import RaidServers
from trace_proxy import TraceProxy


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


def with_nb(args, nb):
    args = list(args)
    args[args.index("-nb") + 1] = str(nb)
    return args


# (golden case, an -nb that is not a multiple of its -bs with the same nb // bs)
SAME_LAYOUT = [("g06_paths_bs512", 1100), ("g03_growth", 300), ("g04_paths", 383)]


@pytest.mark.parametrize("kind", ["cpp", "ref"])
@pytest.mark.parametrize("case,nb", SAME_LAYOUT)
def test_golden_case_at_an_nb_that_is_not_a_multiple_of_bs(case, nb, kind, start_server):
    golden = shells.Golden(case)
    assert nb % golden.bs != 0 and nb // golden.bs == golden.nb // golden.bs
    server = start_server(kind, nb=nb, bs=golden.bs)
    with TraceProxy(server.port) as proxy:
        result = shells.run_shell(["-ns", 1, "-startport", proxy.port,
                                   *with_nb(golden.args, nb)], golden.stdin)
        trace = list(proxy.lines)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == golden.stdout
    assert result.stderr == golden.stderr
    assert trace == golden.trace
    assert shells.image_of(shells.read_blocks(server.port, nb)) == golden.image


def test_golden_case_in_raid5_at_an_nb_that_is_not_a_multiple_of_bs(pool):
    golden = shells.Golden("g06_paths_bs512")
    array = RaidServers(pool, 4, 1100, golden.bs)
    result = shells.run_shell(array.shell_args(*with_nb(golden.args, 1100)), golden.stdin)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == golden.stdout
    assert result.stderr == golden.stderr
    physical = array.physical()
    assert shells.image_of(array.virtual_image(physical)) == golden.image
    assert array.parity_errors(physical) == []


FULL_FLAGS = ["-nb", 300, "-bs", 128, "-is", 64, "-ni", 32, "-cid", 0]
BIG = "x" * (13 * 128)  # the maximum file size at -is 64


def fill_commands(files):
    return "".join("create f%d\nappend f%d %s\n" % (i, i, BIG) for i in range(files))


def test_a_full_bitmap_is_an_error_naming_the_reason_and_the_command_is_undone(start_server):
    """-nb 300 -bs 128: the 2 bitmap blocks cover blocks 0..255; data from block 20. 17 files
    of 13 blocks and 2 more directory blocks leave 12 blocks: the 18th file's append fails."""
    before = start_server("cpp", nb=300, bs=128)
    setup = fill_commands(17) + "create f17\n"
    result = shells.run_shell(["-port", before.port, *FULL_FLAGS], setup + "exit\n")
    assert result.returncode == 0
    assert b"Error" not in result.stdout
    expected = shells.read_blocks(before.port, 300)

    server = start_server("cpp", nb=300, bs=128)
    commands = setup + "append f17 %s\nls\ncat f3\nexit\n" % BIG
    result = shells.run_shell(["-port", server.port, *FULL_FLAGS], commands)
    assert result.returncode == 0
    out = result.stdout.decode(errors="replace")
    assert out.count("Error: ERROR_BLOCK_BEYOND_BITMAP") == 1
    assert BIG in out  # the shell goes on: cat works
    err = result.stderr.decode()
    assert "every block below 256 is in use" in err
    assert "-nb 300 // -bs 128 = 2 blocks" in err
    assert "Use an -nb that is a multiple of -bs" in err
    blocks = shells.read_blocks(server.port, 300)
    assert blocks == expected  # the failed append is undone: no block, no inode change
    assert all(block == bytes(128) for block in blocks[256:])


def test_the_demo_geometry_at_bs_512_stripes_a_file_over_every_server(pool):
    """BS=512 tools/demo.sh: 4 servers of 256 blocks, -nb 768 (one bitmap block of 512)."""
    array = RaidServers(pool, 4, 768, 512)
    text = "".join(chr(ord("a") + i % 26) for i in range(13 * 512))
    result = shells.run_shell(array.shell_args("-is", 64, "-ni", 16, "-cid", 0),
                              "create big\nappend big %s\ncat big\nexit\n" % text)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.decode().count(text) == 1
    physical = array.physical()
    assert array.parity_errors(physical) == []
    holding = [s for s in range(4) if any(any(block) for block in physical[s][2:])]
    assert holding == [0, 1, 2, 3]


@pytest.mark.parametrize("flags,error,why", [
    (["-nb", 256, "-bs", 128, "-ni", 10, "-is", 16], "ERROR_INODE_BEYOND_TABLE",
     "the inode table (-ni 10 * -is 16 // -bs 128 = 1 blocks)"),
    (["-nb", 256, "-bs", 40, "-ni", 16, "-is", 20], "ERROR_ENTRY_STRADDLES_BLOCK",
     "would cross the end of a block of -bs 40"),
])
def test_other_overlapping_layouts_stop_where_the_reference_would_corrupt(
        start_server, flags, error, why):
    bs = flags[flags.index("-bs") + 1]
    server = start_server("cpp", nb=256, bs=bs)
    commands = "".join("create f%d\n" % i for i in range(9)) + "ls\nexit\n"
    result = shells.run_shell(["-port", server.port, *flags, "-cid", 0], commands)
    assert result.returncode == 0
    assert ("Error: %s" % error).encode() in result.stdout
    assert why in result.stderr.decode()
