"""The Python reference server does what protocol.md says the course server does.

These tests pin the reference itself (quirks included), so that comparisons against it in
the other suites compare against the right thing.
"""

import pytest

import servers
from wire import Outcome, call, http_request

NB, BS = 16, 128
INDEX_ERROR = "<class 'IndexError'>:list index out of range"
ASSIGN_ERROR = "<class 'IndexError'>:list assignment index out of range"


@pytest.fixture(scope="module")
def ref(start_module_server):
    """One reference server for the read-mostly tests of this module."""
    return start_module_server("ref", nb=NB, bs=BS)


def test_banner(ref):
    assert ref.banner == "Running block server with nb=%d, bs=%d on port %d" % (NB, BS, ref.port)


def test_blocks_start_zero_and_round_trip(start_server):
    server = start_server("ref", nb=NB, bs=BS)
    proxy = server.proxy()
    assert proxy.Get(3) == bytes(BS)
    assert proxy.Put(3, b"\xff" * BS) == 0
    assert proxy.Get(3) == b"\xff" * BS


def test_rsm_returns_old_and_sets_ones(start_server):
    server = start_server("ref", nb=NB, bs=BS)
    proxy = server.proxy()
    proxy.Put(0, b"\x07" * BS)
    assert proxy.RSM(0) == b"\x07" * BS
    assert proxy.Get(0) == b"\x01" * BS


@pytest.mark.parametrize("method, params, expected", [
    ("Get", (NB,), INDEX_ERROR),
    ("RSM", (NB,), INDEX_ERROR),
    ("Put", (NB, b"x"), ASSIGN_ERROR),
    ("Get", (-NB - 1,), INDEX_ERROR),
    ("Nope", (), "<class 'Exception'>:method \"Nope\" is not supported"),
    ("system.listMethods", (),
     "<class 'Exception'>:method \"system.listMethods\" is not supported"),
])
def test_faults_are_python_exceptions(ref, method, params, expected):
    assert call(ref, method, *params) == Outcome(fault_code=1, fault_string=expected)


def test_quirks_negative_index_and_any_length(start_server):
    server = start_server("ref", nb=NB, bs=BS)
    proxy = server.proxy()
    proxy.Put(-1, b"last")                     # negative numbers index from the end
    assert proxy.Get(NB - 1) == b"last"        # ... and data of any length is kept as is
    proxy.Put(2, b"y" * (3 * BS))
    assert proxy.Get(2) == b"y" * (3 * BS)


def test_cblk_answers_checksum_error(start_server):
    server = start_server("ref", nb=NB, bs=BS, extra_args=["-cblk", 0])
    assert call(server, "Get", 0).fault() == (1, "CHECKSUM_ERROR 0")
    assert call(server, "RSM", 0).fault() == (1, "CHECKSUM_ERROR 0")
    assert call(server, "Get", 1).value == bytes(BS)


@pytest.mark.parametrize("path, method, status", [
    ("/", "POST", 404), ("/RPC3", "POST", 404), ("/RPC2", "GET", 501), ("/RPC2", "PUT", 501),
])
def test_http_status(ref, path, method, status):
    assert http_request(ref.port, b"", path=path, method=method).status == status


@pytest.mark.parametrize("args, message", [
    ([], "Must specify total number of blocks"),
    (["-bs", 128, "-port", 1], "Must specify total number of blocks"),
    (["-nb", 4], "Must specify block size"),
    (["-nb", 4, "-bs", 128], "Must specify port number"),
])
def test_missing_flags(args, message):
    result = servers.run_server_once("ref", args)
    assert result.returncode != 0
    assert result.stdout == message + "\n"


def test_sigterm_exits_zero(start_server):
    server = start_server("ref", nb=NB, bs=BS)
    assert server.stop() == 0
