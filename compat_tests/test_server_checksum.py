"""Per-block checksums: -cblk decay, -checksum_reply, the Stats counters and Corrupt.

-cblk also exists in the reference server (our addition there), so its faults are compared
with the reference; -checksum_reply, Stats and Corrupt are C++-only additions.
"""

import pytest

import servers
from wire import Outcome, call, int_xml, raw_call, request_xml

NB, BS = 32, 128
COUNTERS = ("Get", "Put", "RSM", "checksum_errors")


def checksum_fault(block):
    """The default checksum-error reply for ``block``."""
    return Outcome(fault_code=1, fault_string="CHECKSUM_ERROR %d" % block)


def stats(server):
    """The Stats() struct, checked to have int counters (extra members allowed)."""
    result = server.proxy().Stats()
    assert isinstance(result, dict), result
    for name in COUNTERS:
        assert type(result.get(name)) is int, (name, result)
    return result


def counters(server):
    """Just the four counters of Stats(), as a dict."""
    result = stats(server)
    return {name: result[name] for name in COUNTERS}


# ----- -cblk -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", servers.KINDS)
@pytest.mark.parametrize("cblk", [0, 5, NB - 1])
def test_cblk_get_and_rsm_fault(start_server, kind, cblk):
    server = start_server(kind, nb=NB, bs=BS, extra_args=["-cblk", cblk])
    assert call(server, "Get", cblk) == checksum_fault(cblk)
    assert call(server, "RSM", cblk) == checksum_fault(cblk)
    assert call(server, "Get", cblk) == checksum_fault(cblk)  # RSM did not "repair" it
    neighbour = (cblk + 1) % NB
    assert server.proxy().Get(neighbour) == bytes(BS)
    assert server.proxy().RSM(neighbour) == bytes(BS)


def test_cblk_put_then_get_equals_reference(start_server):
    """Decay is permanent: after a Put to the decayed block, Get still fails, as in the ref."""
    outcomes = {}
    for kind in servers.KINDS:
        server = start_server(kind, nb=NB, bs=BS, extra_args=["-cblk", 3])
        outcomes[kind] = [call(server, "Put", 3, b"\x05" * BS), call(server, "Get", 3)]
    assert outcomes["cpp"] == outcomes["ref"]
    assert outcomes["cpp"][1] == checksum_fault(3)


@pytest.mark.parametrize("method", ["Get", "RSM"])
def test_checksum_reply_int_answers_minus_one(start_server, method):
    cpp = start_server("cpp", nb=NB, bs=BS, extra_args=["-cblk", 0, "-checksum_reply", "int"])
    assert raw_call(cpp.port, request_xml(method, int_xml(0))) == Outcome(value=-1,
                                                                          wire_type="int")
    assert cpp.proxy().Get(1) == bytes(BS)


def test_checksum_reply_fault_is_the_default(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS, extra_args=["-cblk", 2, "-checksum_reply", "fault"])
    assert call(cpp, "Get", 2) == checksum_fault(2)


# ----- Stats ---------------------------------------------------------------------------------

def test_stats_start_at_zero(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS)
    assert counters(cpp) == dict.fromkeys(COUNTERS, 0)


def test_stats_count_calls(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS)
    proxy = cpp.proxy()
    for block in (1, 2, 3):
        proxy.Get(block)
    proxy.Put(1, bytes(BS))
    proxy.Put(2, bytes(BS))
    proxy.RSM(0)
    assert counters(cpp) == {"Get": 3, "Put": 2, "RSM": 1, "checksum_errors": 0}
    assert counters(cpp) == {"Get": 3, "Put": 2, "RSM": 1, "checksum_errors": 0}  # Stats is free


def test_stats_count_checksum_errors(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS, extra_args=["-cblk", 4])
    call(cpp, "Get", 4)
    call(cpp, "Get", 4)
    call(cpp, "RSM", 4)
    cpp.proxy().Get(5)
    assert counters(cpp)["checksum_errors"] == 3


def test_stats_is_unknown_to_reference(start_server):
    """Stats is an addition: the reference answers the unknown-method fault."""
    ref = start_server("ref", nb=NB, bs=BS)
    expected = (1, "<class 'Exception'>:method \"Stats\" is not supported")
    assert call(ref, "Stats").fault() == expected


# ----- Corrupt ---------------------------------------------------------------------------------

def test_corrupt_unknown_without_flag(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS)
    ref = start_server("ref", nb=NB, bs=BS)
    assert call(cpp, "Corrupt", 3) == call(ref, "Corrupt", 3)
    assert cpp.proxy().Get(3) == bytes(BS)


@pytest.mark.parametrize("written", [True, False], ids=["written", "never_written"])
def test_corrupt_then_get_fails_and_put_heals(start_server, written):
    cpp = start_server("cpp", nb=NB, bs=BS, extra_args=["-test_corruption"])
    proxy = cpp.proxy()
    if written:
        proxy.Put(3, b"\x42" * BS)
    assert not call(cpp, "Corrupt", 3).is_fault
    assert call(cpp, "Get", 3) == checksum_fault(3)
    assert call(cpp, "RSM", 3) == checksum_fault(3)
    assert call(cpp, "Get", 3) == checksum_fault(3)
    assert proxy.Get(4) == bytes(BS)                   # only block 3 is hit
    assert counters(cpp)["checksum_errors"] == 3
    assert proxy.Put(3, b"\x17" * BS) == 0             # a Put rewrites data and checksum
    assert proxy.Get(3) == b"\x17" * BS
    assert proxy.RSM(3) == b"\x17" * BS


def test_corrupt_with_int_reply(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS,
                       extra_args=["-test_corruption", "-checksum_reply", "int"])
    call(cpp, "Corrupt", 7)
    assert raw_call(cpp.port, request_xml("Get", int_xml(7))) == Outcome(value=-1,
                                                                          wire_type="int")


def test_corrupt_out_of_range_is_a_fault(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS, extra_args=["-test_corruption"])
    assert call(cpp, "Corrupt", NB).is_fault
    assert call(cpp, "Corrupt", -1).is_fault
    assert cpp.proxy().Get(NB - 1) == bytes(BS)
