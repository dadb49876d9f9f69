"""Every golden case against a real server, C++ and Python reference: our shell's stdout and
stderr byte-identical, the RPC trace identical (recorded by a proxy), the final server image
identical."""

import pytest

import shells
from trace_proxy import TraceProxy


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


@pytest.mark.parametrize("kind", ["cpp", "ref"])
@pytest.mark.parametrize("case", shells.GOLDEN_CASES)
def test_golden_case(case, kind, start_server):
    golden = shells.Golden(case)
    server = start_server(kind, nb=golden.nb, bs=golden.bs)
    with TraceProxy(server.port) as proxy:
        result = shells.run_shell(["-ns", 1, "-startport", proxy.port, *golden.args],
                                  golden.stdin)
        trace = list(proxy.lines)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == golden.stdout
    assert result.stderr == golden.stderr
    assert trace == golden.trace
    assert shells.image_of(shells.read_blocks(server.port, golden.nb)) == golden.image
