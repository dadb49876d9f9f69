"""Metadata records and the recorded lock: GetMeta, PutMeta, Lock, Unlock over the wire.

Covers, from Python's xmlrpc.client: the compare-and-set of PutMeta and its replies; Lock's
struct on a free, held and expired lock; Unlock by the holder and by someone else
(``LOCK_NOT_HELD``); the limits and type faults; that Get/Put/RSM of every block and their
Stats counters are unaffected by metadata; that the lock interoperates with a Python shell's
plain RSM/Put lock on block 0 (both ways, and under real contention with
``clients/course_style_client.py``); and that the Python reference server answers its
unknown-method fault for each of the four, which is what clients fall back on
(docs/protocol.md, "Metadata and the recorded lock").
"""

import http.client
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

import pytest

from wire import base64_xml, call, int_xml, raw_call, request_xml

NB = 16
BS = 128
LOCKED = b"\x01" * BS
RELEASED = bytes(BS)
COURSE_CLIENT = Path(__file__).resolve().parent / "clients" / "course_style_client.py"
META_METHODS = ("GetMeta", "PutMeta", "Lock", "Unlock")


def pattern(seed):
    """BS bytes, different per seed."""
    return bytes((i * 11 + seed * 7 + 3) % 256 for i in range(BS))


@pytest.fixture
def cpp(start_server):
    """A fresh C++ server of NB blocks of BS bytes."""
    return start_server("cpp", nb=NB, bs=BS)


@pytest.fixture(scope="module")
def ref(start_module_server):
    """The Python reference server, shared by the module (never written to)."""
    return start_module_server("ref", nb=NB, bs=BS)


def fault(outcome):
    """(code, text) of an Outcome that must be a fault."""
    return outcome.fault()


# ----- GetMeta / PutMeta ---------------------------------------------------------------------

def test_put_meta_is_a_compare_and_set(cpp):
    proxy = cpp.proxy()
    assert proxy.GetMeta("epoch") == b""
    assert proxy.PutMeta("epoch", b"", b"1") == b""          # created
    assert proxy.PutMeta("epoch", b"", b"2") == b"1"         # lost: answers what is there
    assert proxy.PutMeta("epoch", b"0", b"2") == b"1"
    assert proxy.GetMeta("epoch") == b"1"
    assert proxy.PutMeta("epoch", b"1", b"2") == b"1"        # won
    assert proxy.GetMeta("epoch") == b"2"
    assert proxy.PutMeta("epoch", b"2", b"") == b"2"         # an empty value deletes
    assert proxy.GetMeta("epoch") == b""
    assert proxy.PutMeta("epoch", b"", b"") == b""           # deleting nothing: a no-op
    value = bytes(range(256)) * 16                           # 4096 bytes, every byte value
    assert proxy.PutMeta("big.value_1-x", b"", value) == b""
    assert proxy.GetMeta("big.value_1-x") == value


def test_meta_with_binary_wrappers(cpp):
    """Without builtin types Python sends and receives xmlrpc.client.Binary: the same wire."""
    proxy = cpp.proxy(use_builtin_types=False)
    assert proxy.PutMeta("k", xmlrpc.client.Binary(b""), xmlrpc.client.Binary(b"v")).data == b""
    assert proxy.GetMeta("k").data == b"v"


def test_meta_limits_and_type_faults(cpp):
    value_error = "<class 'ValueError'>:"
    assert fault(call(cpp, "GetMeta", "")) == (
        1, value_error + "metadata key of 0 characters (expected 1..64)")
    assert fault(call(cpp, "GetMeta", "k" * 65)) == (
        1, value_error + "metadata key of 65 characters (expected 1..64)")
    assert fault(call(cpp, "GetMeta", "a/b")) == (
        1, value_error + "metadata key 'a/b' has a character outside [A-Za-z0-9_.-]")
    assert call(cpp, "GetMeta", "k" * 64).value == b""
    assert fault(call(cpp, "PutMeta", "k", b"", bytes(4097))) == (
        1, value_error + "value longer than 4096 bytes (4097)")
    assert fault(call(cpp, "GetMeta", 5)) == (
        1, "<class 'TypeError'>:GetMeta key must be str, not int")
    assert fault(call(cpp, "PutMeta", "k", "", b"v")) == (
        1, "<class 'TypeError'>:PutMeta expected must be base64 (bytes), not str")
    assert fault(call(cpp, "PutMeta", "k", b"")) == (
        1, "<class 'TypeError'>:PutMeta() missing 1 required positional argument: 'value'")
    assert fault(call(cpp, "GetMeta")) == (
        1, "<class 'TypeError'>:GetMeta() missing 1 required positional argument: 'key'")


def test_at_most_32_keys_besides_the_lock(cpp):
    proxy = cpp.proxy()
    for i in range(32):
        assert proxy.PutMeta("k%d" % i, b"", b"x") == b""
    assert fault(call(cpp, "PutMeta", "k32", b"", b"x")) == (
        1, "<class 'ValueError'>:too many metadata keys (at most 32)")
    assert proxy.PutMeta("k0", b"x", b"y") == b"x"           # rewriting is fine
    assert proxy.Lock(0, b"me", 1000)["old"] == RELEASED     # the lock record has room
    assert proxy.GetMeta("lock") == b"me"
    assert proxy.PutMeta("k0", b"y", b"") == b"y"
    assert proxy.PutMeta("k32", b"", b"x") == b""


# ----- Lock / Unlock -------------------------------------------------------------------------

def test_lock_free_held_and_unlock(cpp):
    a, b = cpp.proxy(), cpp.proxy()
    first = a.Lock(0, b"client-a", 30000)
    epoch = first.pop("epoch")
    assert first == {"old": RELEASED, "holder": b"", "age_ms": -1, "lease_ms": 0,
                     "broken": False}
    assert type(epoch) is int and epoch > 0  # the grant's epoch
    assert a.Get(0) == LOCKED
    assert a.GetMeta("lock") == b"client-a"
    second = b.Lock(0, b"client-b", 30000)
    assert second["old"] == LOCKED
    assert second["holder"] == b"client-a"
    assert second["lease_ms"] == 30000
    assert 0 <= second["age_ms"] < 5000
    assert second["broken"] is False
    assert second["epoch"] == 0  # not granted
    assert type(second["age_ms"]) is int
    with pytest.raises(xmlrpc.client.Fault) as refused:
        b.Unlock(0, b"client-b", b"")
    assert (refused.value.faultCode, refused.value.faultString) == (1, "LOCK_NOT_HELD 0")
    assert a.Get(0) == LOCKED
    assert a.Unlock(0, b"client-a", b"") == 0
    assert a.Get(0) == RELEASED
    assert a.GetMeta("lock") == b""
    assert fault(call(cpp, "Unlock", 0, b"client-a", b"")) == (1, "LOCK_NOT_HELD 0")


def test_lock_expired_lease_is_broken(cpp):
    proxy = cpp.proxy()
    assert proxy.Lock(0, b"sleepy", 50)["broken"] is False
    time.sleep(0.1)
    reply = proxy.Lock(0, b"eager", 30000)
    assert reply["broken"] is True
    assert reply["old"] == RELEASED                          # reads as released: eager holds it
    assert reply["holder"] == b"sleepy"
    assert reply["age_ms"] > 50
    assert reply["lease_ms"] == 50
    assert proxy.GetMeta("lock") == b"eager"
    assert fault(call(cpp, "Unlock", 0, b"sleepy", b"")) == (1, "LOCK_NOT_HELD 0")
    assert proxy.Unlock(0, b"eager", b"") == 0


def test_put_meta_renews_the_lease(cpp):
    proxy = cpp.proxy()
    proxy.Lock(0, b"me", 300)
    for _ in range(4):
        time.sleep(0.1)
        assert proxy.PutMeta("lock", b"me", b"me") == b"me"
    reply = proxy.Lock(0, b"other", 300)
    assert reply["broken"] is False
    assert reply["lease_ms"] == 300
    assert reply["age_ms"] < 300


def test_lock_faults(cpp):
    value_error = "<class 'ValueError'>:"
    assert fault(call(cpp, "Lock", 0, b"me", 0)) == (
        1, value_error + "lease_ms 0 out of range (expected 1..86400000)")
    assert fault(call(cpp, "Lock", 0, b"me", 86400001)) == (
        1, value_error + "lease_ms 86400001 out of range (expected 1..86400000)")
    assert fault(call(cpp, "Lock", 0, b"", 10)) == (1, value_error + "holder is empty")
    assert fault(call(cpp, "Lock", 0, bytes(4097), 10)) == (
        1, value_error + "holder longer than 4096 bytes (4097)")
    assert fault(call(cpp, "Lock", 0, "me", 10)) == (
        1, "<class 'TypeError'>:Lock holder must be base64 (bytes), not str")
    assert fault(call(cpp, "Lock", 0, b"me", "10")) == (
        1, "<class 'TypeError'>:Lock lease_ms must be int, not str")
    assert fault(call(cpp, "Lock", "0", b"me", 10)) == (
        1, "<class 'TypeError'>:list indices must be integers or slices, not str")
    assert fault(call(cpp, "Lock", NB, b"me", 10)) == (
        1, "<class 'IndexError'>:list index out of range")
    assert fault(call(cpp, "Unlock", NB, b"me", b"")) == (
        1, "<class 'IndexError'>:list assignment index out of range")
    assert fault(call(cpp, "Lock", 0, b"me")) == (
        1, "<class 'TypeError'>:Lock() missing 1 required positional argument: 'lease_ms'")
    assert fault(call(cpp, "Unlock", 0, b"me", b"", 1)) == (
        1, "<class 'TypeError'>:Unlock() takes 3 positional arguments but 4 were given")
    assert cpp.proxy().Get(0) == RELEASED                    # none of it locked anything


def test_lock_of_a_decayed_block_is_rsm_checksum_error(start_server):
    server = start_server("cpp", nb=NB, bs=BS, extra_args=("-cblk", 0))
    assert fault(call(server, "Lock", 0, b"me", 1000)) == (1, "CHECKSUM_ERROR 0")
    assert server.proxy().GetMeta("lock") == b""


def test_lock_wire_types(cpp):
    """The reply struct's members and their XML-RPC types, seen without xmlrpc.client."""
    outcome = raw_call(cpp.port, request_xml("Lock", int_xml(0), base64_xml(b"me"),
                                             int_xml(1000)))
    assert outcome.wire_type == "struct"
    assert set(outcome.value) == {"old", "holder", "age_ms", "lease_ms", "broken", "epoch"}
    assert outcome.value["old"] == RELEASED
    assert raw_call(cpp.port, request_xml("GetMeta", "<string>lock</string>")).wire_type == \
        "base64"
    unlock = raw_call(cpp.port, request_xml("Unlock", int_xml(0), base64_xml(b"me"),
                                            base64_xml(b"")))
    assert (unlock.wire_type, unlock.value) == ("int", 0)


def test_only_one_of_many_racing_lockers_wins(cpp):
    results = []
    lock = threading.Lock()

    def locker(i):
        reply = cpp.proxy().Lock(0, b"t%d" % i, 60000)
        with lock:
            results.append((i, reply["old"][0] != 1))

    threads = [threading.Thread(target=locker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, won in results if won]
    assert len(results) == 12
    assert len(winners) == 1
    assert cpp.proxy().GetMeta("lock") == b"t%d" % winners[0]


# ----- blocks are unaffected ------------------------------------------------------------------

def test_blocks_and_their_counters_are_unaffected_by_metadata(cpp):
    proxy = cpp.proxy()
    for n in range(1, NB):
        proxy.Put(n, pattern(n))
    before = proxy.Stats()
    for i in range(32):
        proxy.PutMeta("key%d" % i, b"", bytes([i]) * 4096)
    proxy.PutMeta("key0", bytes(4096), b"v")
    proxy.GetMeta("key5")
    proxy.Lock(0, b"me", 60000)
    proxy.Unlock(0, b"me", b"")
    after = proxy.Stats()
    for name in ("Get", "Put", "RSM", "checksum_errors"):
        assert after[name] == before[name], name
    assert after["meta"] - before["meta"] == 36
    for n in range(1, NB):
        assert proxy.Get(n) == pattern(n)
    assert proxy.Get(0) == RELEASED
    assert proxy.RSM(5) == pattern(5)
    assert proxy.Get(5) == LOCKED
    assert proxy.GetMeta("key5") == bytes([5]) * 4096        # and blocks never touch metadata
    proxy.Put(5, b"")
    assert proxy.GetMeta("lock") == b""


# ----- interoperation with a Python shell's RSM/Put lock on block 0 ---------------------------

def test_a_plain_rsm_sees_the_lock_held(cpp):
    python_shell, ours = cpp.proxy(), cpp.proxy()
    assert ours.Lock(0, b"ours", 60000)["old"] == RELEASED
    assert python_shell.RSM(0) == LOCKED                     # the shell spins: held
    assert python_shell.RSM(0) == LOCKED
    assert ours.GetMeta("lock") == b"ours"                   # RSM leaves the record alone
    assert ours.Unlock(0, b"ours", b"") == 0
    assert python_shell.RSM(0) == RELEASED                   # now the shell has it


def test_lock_waits_while_a_plain_rsm_holder_holds(cpp):
    python_shell, ours = cpp.proxy(), cpp.proxy()
    assert python_shell.RSM(0) == RELEASED                   # the shell holds the lock
    for lease in (1, 60000):
        time.sleep(0.01)
        reply = ours.Lock(0, b"ours", lease)
        # Held, and no record to expire: never broken, however short our lease.
        assert reply == {"old": LOCKED, "holder": b"", "age_ms": -1, "lease_ms": 0,
                         "broken": False, "epoch": 0}
        assert ours.GetMeta("lock") == b""
    assert fault(call(cpp, "Unlock", 0, b"ours", b"")) == (1, "LOCK_NOT_HELD 0")
    python_shell.Put(0, RELEASED)                            # the shell releases
    assert ours.Lock(0, b"ours", 60000)["old"] == RELEASED
    assert ours.GetMeta("lock") == b"ours"


def test_a_lock_record_without_lease_is_never_broken(cpp):
    """A "lock" record that PutMeta wrote (a note, no lease) cannot break a plain RSM holder."""
    proxy = cpp.proxy()
    assert proxy.RSM(0) == RELEASED
    assert proxy.PutMeta("lock", b"", b"note") == b""
    time.sleep(0.02)
    reply = proxy.Lock(0, b"ours", 1)
    assert reply["broken"] is False
    assert reply["old"] == LOCKED
    assert (reply["holder"], reply["lease_ms"]) == (b"note", 0)
    assert reply["age_ms"] >= 20
    assert proxy.GetMeta("lock") == b"note"


def test_a_plain_put_release_leaves_a_stale_record_that_is_reported(cpp):
    """A shell that Puts zeros over our lock frees it; the next Lock takes it normally."""
    proxy = cpp.proxy()
    proxy.Lock(0, b"ours", 60000)
    proxy.Put(0, RELEASED)
    reply = proxy.Lock(0, b"next", 60000)
    assert reply["old"] == RELEASED
    assert reply["holder"] == b"ours"
    assert reply["broken"] is False
    assert proxy.GetMeta("lock") == b"next"


def test_mutual_exclusion_with_a_course_style_client(cpp):
    """A course-style client (RSM/Put on block 0) and a Lock/Unlock client increment one
    counter under the lock at the same time: no increment is lost."""
    rounds = 40
    course = subprocess.Popen([sys.executable, str(COURSE_CLIENT), str(cpp.port), str(BS),
                               str(rounds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    proxy = cpp.proxy()
    for _ in range(rounds):
        while proxy.Lock(0, b"ours", 60000)["old"][0] == 1:
            pass
        counter = int.from_bytes(proxy.Get(1)[:4], "little") + 1
        proxy.Put(1, counter.to_bytes(4, "little").ljust(BS, b"\0"))
        assert proxy.Unlock(0, b"ours", b"") == 0
    out, err = course.communicate(timeout=60)
    assert course.returncode == 0, err
    assert out.endswith("done\n")
    assert int.from_bytes(proxy.Get(1)[:4], "little") == 2 * rounds
    assert proxy.Get(0) == RELEASED
    assert proxy.GetMeta("lock") == b""


# ----- the Python server has none of it -------------------------------------------------------

@pytest.mark.parametrize("method,params", [
    ("GetMeta", ("epoch",)), ("PutMeta", ("epoch", b"", b"1")), ("Lock", (0, b"me", 1000)),
    ("Unlock", (0, b"me", b""))])
def test_reference_server_answers_unknown_method(ref, method, params):
    """What a client sees from the course's server, and falls back on (kUnimplemented)."""
    assert method in META_METHODS
    assert fault(call(ref, method, *params)) == (
        1, "<class 'Exception'>:method \"%s\" is not supported" % method)
    assert ref.proxy().Get(0) == RELEASED                    # Lock did no RSM there


def test_claim_release_and_the_epoch_fence_seen_by_a_python_client(cpp):
    """Claim and Release as Python's xmlrpc.client sees them, and the X-Memoryfs-Epoch header:
    a request under a grant that another client took over is refused, nothing written; one
    without the header (the course's clients) is served as ever."""
    a, b = cpp.proxy(), cpp.proxy()
    a.PutMeta("member", b"", b"m")
    mine = a.Claim(b"a", 30000, "member", False)
    assert mine["read"] == b"m" and mine["broken"] is False and mine["epoch"] > 0
    assert "old" not in mine
    refused = b.Claim(b"b", 30000, "", False)
    assert refused["epoch"] == 0 and refused["holder"] == b"a"

    def put(epoch, data):
        body = xmlrpc.client.dumps((1, data), "Put").encode()
        connection = http.client.HTTPConnection("127.0.0.1", cpp.port, timeout=5)
        connection.request("POST", "/RPC2", body, {"Content-Type": "text/xml",
                                                   "X-Memoryfs-Epoch": str(epoch)})
        reply = connection.getresponse()
        assert reply.getheader("X-Memoryfs-Incarnation")
        return reply.read()

    assert b"<i4>0</i4>" in put(mine["epoch"], b"x" * 16)
    taken = b.Claim(b"b", 30000, "", True)  # take_over
    assert taken["broken"] is True and taken["epoch"] > mine["epoch"]
    stale = put(mine["epoch"], b"y" * 16)
    assert b"FENCED %d: the lock was taken over since (epoch now %d)" % (
        mine["epoch"], taken["epoch"]) in stale
    assert a.Get(1)[:1] == b"x"  # nothing written; no header: served
    assert fault(call(cpp, "Release", b"a", b"")) == (1, "LOCK_NOT_HELD claim")
    assert b.Release(b"b", b"note") == 0
    assert a.GetMeta("lock") == b"note"
