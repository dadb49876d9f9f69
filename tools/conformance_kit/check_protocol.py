"""protocol.*: the block server on the wire, one fresh server per check (started with the
assignment's flags ``-nb NB -bs BS -port P [-cblk B]``)."""

import random
import threading
import time

from . import rpc
from .results import Check, Failed, Skipped, require
from .target import ServerStartError, start_servers

NB, BS = 32, 128
INDEX_GET = (1, "<class 'IndexError'>:list index out of range")
INDEX_PUT = (1, "<class 'IndexError'>:list assignment index out of range")


def _server(impl, extra=()):
    impl.need_server()
    return start_servers(impl, 1, NB, BS, {0: extra}).servers[0]


def _expect_block(outcome, data, what):
    require(outcome.wire_type == "base64" and outcome.value == data,
            "%s: expected base64 %r..., got %s" % (what, data[:16], outcome.describe()))


def _expect_fault(outcome, fault, what):
    require((outcome.fault_code, outcome.fault_string) == fault,
            "%s: expected fault %r %r, got %s" % (what, fault[0], fault[1], outcome.describe()))


def get_types(impl):
    port = _server(impl).port
    for n in (0, 1, NB - 1):
        _expect_block(rpc.call(port, "Get", n), bytes(BS), "Get(%d) of a fresh server" % n)


def put_get(impl):
    port = _server(impl).port
    data = bytes(range(256))[:BS]
    for n in (0, 7, NB - 1):
        outcome = rpc.call(port, "Put", n, data)
        require(outcome.wire_type == "int" and outcome.value == 0,
                "Put(%d): expected int 0, got %s" % (n, outcome.describe()))
    for n in (0, 7, NB - 1):
        _expect_block(rpc.call(port, "Get", n), data, "Get(%d) after Put" % n)
    _expect_block(rpc.call(port, "Get", 8), bytes(BS), "Get(8), never written")
    # base64 without MIME line breaks, as some clients send it
    import base64
    body = ("<?xml version='1.0'?>\n<methodCall><methodName>Put</methodName><params>"
            "<param><value><int>9</int></value></param><param><value><base64>%s</base64>"
            "</value></param></params></methodCall>" % base64.b64encode(b"\x07" * BS).decode())
    outcome = rpc.call_raw(port, body.encode())
    require(outcome.value == 0, "Put with one-line base64: got %s" % outcome.describe())
    _expect_block(rpc.call(port, "Get", 9), b"\x07" * BS, "Get(9) after a one-line Put")


def put_many(impl):
    """Every Put is kept: two rounds over all blocks, each block different, read back."""
    port = _server(impl).port
    content = lambda n, round_: bytes([(n * 7 + round_ * 13 + i) % 256 for i in range(BS)])
    for round_ in (1, 2):
        for n in range(NB):
            rpc.call(port, "Put", n, content(n, round_))
    for n in range(NB):
        _expect_block(rpc.call(port, "Get", n), content(n, 2), "Get(%d) after %d Puts"
                      % (n, 2 * NB))


def put_short(impl):
    port = _server(impl).port
    rpc.call(port, "Put", 4, b"\xff" * BS)
    rpc.call(port, "Put", 4, b"abc")
    got = rpc.call(port, "Get", 4)
    require(got.wire_type == "base64" and got.value in (b"abc", b"abc" + bytes(BS - 3)),
            "Get after Put(4, b'abc') over a block of 0xff: expected b'abc' zero-padded to %d "
            "bytes (or unchanged, as the course server), got %s" % (BS, got.describe()))


def bounds(impl):
    port = _server(impl).port
    _expect_fault(rpc.call(port, "Get", NB), INDEX_GET, "Get(nb)")
    _expect_fault(rpc.call(port, "RSM", NB), INDEX_GET, "RSM(nb)")
    _expect_fault(rpc.call(port, "Put", NB, bytes(BS)), INDEX_PUT, "Put(nb)")
    _expect_fault(rpc.call(port, "Get", NB + 1000), INDEX_GET, "Get(nb+1000)")
    _expect_block(rpc.call(port, "Get", NB - 1), bytes(BS), "Get(nb-1) after the faults")


def unknown_method(impl):
    port = _server(impl).port
    _expect_fault(rpc.call(port, "Frobnicate", 1),
                  (1, '<class \'Exception\'>:method "Frobnicate" is not supported'),
                  "Frobnicate(1)")


def http_paths(impl):
    port = _server(impl).port
    body = b"<?xml version='1.0'?><methodCall><methodName>Get</methodName><params><param>" \
           b"<value><int>0</int></value></param></params></methodCall>"
    for path, method, status in (("/", "POST", 404), ("/RPC3", "POST", 404),
                                 ("/RPC2", "GET", 501)):
        try:
            got, _ = rpc.http_post(port, body, path=path, method=method)
        except OSError as exc:
            raise Failed("%s %s: %s" % (method, path, exc))
        require(got == status, "%s %s: expected HTTP %d, got %d" % (method, path, status, got))


def rsm(impl):
    port = _server(impl).port
    rpc.call(port, "Put", 2, b"\x05" * BS)
    _expect_block(rpc.call(port, "RSM", 2), b"\x05" * BS, "RSM(2) returns the old contents")
    _expect_block(rpc.call(port, "Get", 2), b"\x01" * BS, "Get(2) after RSM")
    _expect_block(rpc.call(port, "RSM", 2), b"\x01" * BS, "a second RSM(2)")
    rpc.call(port, "Put", 2, bytes(BS))
    _expect_block(rpc.call(port, "RSM", 2), bytes(BS), "RSM(2) after the release Put")


CLIENTS, ROUNDS = 20, 3


def rsm_race(impl):
    """20 clients take the RSM lock (block 0) 3 times each and increment a counter kept in
    block 1 inside it: the lock must never be held twice and no increment may be lost."""
    port = _server(impl).port
    state = {"inside": 0, "overlap": 0, "errors": [], "progress": time.monotonic()}
    guard = threading.Lock()
    deadline = time.monotonic() + 60
    stuck = 5.0  # seconds without any client getting the lock: a lock never released

    def patient(method, *params):
        """A refused or reset connection (a course server's listen backlog is 5) is retried:
        the request never reached the server."""
        for _ in range(50):
            got = rpc.call(port, method, *params, timeout=10)
            if not got.error or "timed out" in got.error:
                return got
            time.sleep(random.uniform(0.005, 0.05))
        return got

    def client():
        try:
            for _ in range(ROUNDS):
                while True:
                    got = patient("RSM", 0)
                    if got.wire_type != "base64":
                        raise Failed("RSM(0): %s" % got.describe())
                    if got.value[0] != 1:
                        break
                    if time.monotonic() > min(deadline, state["progress"] + stuck):
                        raise Failed("lock stuck: nobody acquired it for %.0f s (a release Put "
                                     "lost?)" % stuck)
                    time.sleep(random.uniform(0.001, 0.01))  # a course server's backlog is 5
                with guard:
                    state["progress"] = time.monotonic()
                    state["inside"] += 1
                    if state["inside"] > 1:
                        state["overlap"] += 1
                value = patient("Get", 1).value
                count = int.from_bytes(value[:4], "big")
                patient("Put", 1, (count + 1).to_bytes(4, "big") + bytes(BS - 4))
                with guard:
                    state["inside"] -= 1
                patient("Put", 0, bytes(BS))
        except Exception as exc:  # noqa: BLE001 -- reported below
            state["errors"].append(str(exc))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    require(not any(t.is_alive() for t in threads), "clients still running after 60 s")
    require(not state["errors"], "a client failed: %s" % (state["errors"][:1],))
    require(state["overlap"] == 0, "the lock was held by two clients at once %d times"
            % state["overlap"])
    final = int.from_bytes(rpc.call(port, "Get", 1).value[:4], "big")
    require(final == CLIENTS * ROUNDS, "counter is %d after %d locked increments"
            % (final, CLIENTS * ROUNDS))


def _corruptible(impl):
    """A server whose stored block can be decayed behind its back: ours with
    ``-test_corruption`` and its ``Corrupt(b)`` method. Others: Skipped."""
    try:
        port = _server(impl, ["-test_corruption"]).port
    except ServerStartError:
        raise Skipped("the server has no -test_corruption flag: the kit cannot decay a stored "
                      "block behind its back (-cblk is checked by protocol.cblk)")
    outcome = rpc.call(port, "Corrupt", 3)
    if outcome.is_fault or outcome.error:
        raise Skipped("the server has no Corrupt method (%s)" % outcome.describe())
    return port


def checksum_get(impl):
    port = _corruptible(impl)
    got = rpc.call(port, "Get", 3)
    require(rpc.is_checksum_error(got), "Get of a decayed block: expected a checksum error, "
            "got %s" % got.describe())
    rpc.call(port, "Put", 3, b"\x09" * BS)
    _expect_block(rpc.call(port, "Get", 3), b"\x09" * BS, "Get after rewriting it")


def checksum_rsm(impl):
    port = _corruptible(impl)
    got = rpc.call(port, "RSM", 3)
    require(rpc.is_checksum_error(got), "RSM of a decayed block: expected a checksum error, "
            "got %s" % got.describe())


def _cblk(impl, block):
    port = _server(impl, ["-cblk", block]).port
    for method in ("Get", "RSM", "Get"):
        got = rpc.call(port, method, block)
        require(rpc.is_checksum_error(got), "-cblk %d: %s(%d) should answer a checksum error, "
                "got %s" % (block, method, block, got.describe()))
    got = rpc.call(port, "Put", block, b"\x05" * BS)
    require(not got.error, "-cblk %d: Put(%d): %s" % (block, block, got.describe()))
    got = rpc.call(port, "Get", block)
    require(rpc.is_checksum_error(got), "-cblk %d: Get(%d) after a Put should still fail, got %s"
            % (block, block, got.describe()))
    neighbour = (block + 1) % NB
    _expect_block(rpc.call(port, "Get", neighbour), bytes(BS), "-cblk %d: Get(%d)"
                  % (block, neighbour))


def cblk(impl):
    _cblk(impl, 5)


def cblk_zero(impl):
    _cblk(impl, 0)


def delayat(impl):
    """2023 blockserver, -delayat 3: the third request does its work, then the server sleeps
    10 s before answering, and (single-threaded) answers nobody else meanwhile."""
    port = _server(impl, ["-delayat", 3]).port
    for n in (0, 1):
        started = time.monotonic()
        rpc.call(port, "Get", n, timeout=30)
        require(time.monotonic() - started < 3, "-delayat 3: request %d took %.1f s"
                % (n + 1, time.monotonic() - started))
    done = {}

    def timed(name, method, *params):
        done[name + "_outcome"] = rpc.call(port, method, *params, timeout=30)
        done[name] = time.monotonic()

    started = time.monotonic()
    third = threading.Thread(target=timed, args=("third", "Put", 2, b"\x03" * BS), daemon=True)
    third.start()
    time.sleep(1.0)
    other = threading.Thread(target=timed, args=("other", "Get", 4), daemon=True)
    other.start()
    third.join(30)
    other.join(30)
    require("third" in done and "other" in done, "-delayat 3: no answer within 30 s")
    stall = done["third"] - started
    require(stall >= 8.5, "-delayat 3: the third request was answered after %.1f s, not after "
            "its 10 s sleep" % stall)
    require(done["other"] >= done["third"] - 0.5, "-delayat 3: another client's request was "
            "answered %.1f s before the sleeping one" % (done["third"] - done["other"]))
    _expect_block(rpc.call(port, "Get", 2), b"\x03" * BS, "-delayat 3: Get(2) after the "
                  "delayed Put (its work is done before the sleep)")


def delayat_zero(impl):
    port = _server(impl, ["-delayat", 0]).port
    started = time.monotonic()
    for n in range(12):
        rpc.call(port, "Get", n % NB, timeout=30)
    require(time.monotonic() - started < 5, "-delayat 0: 12 requests took %.1f s (0 means no "
            "delay)" % (time.monotonic() - started))


def checks(impl):
    c = lambda name, text, fn, timeout=None: Check("protocol." + name, "protocol", text,
                                                   lambda: fn(impl), timeout)
    return [
        c("get_types", "Get of an unwritten block answers base64 of BS zero bytes", get_types),
        c("put_get", "Put answers int 0; Get returns the block as written (base64 with or "
          "without line breaks accepted)", put_get),
        c("put_many", "every Put is stored: %d Puts over all blocks read back exactly" % (2 * NB),
          put_many),
        c("put_short", "a short Put is read back zero-padded (or unchanged), never mixed with "
          "the block's old bytes", put_short),
        c("bounds", "block numbers >= nb answer fault 1 <class 'IndexError'>:list (assignment) "
          "index out of range", bounds),
        c("unknown_method", "an unknown method answers fault 1 <class 'Exception'>:method \"X\" "
          "is not supported", unknown_method),
        c("http_paths", "XML-RPC only on POST /RPC2: other paths 404, other verbs 501",
          http_paths),
        c("rsm", "RSM returns the old block and leaves BS bytes of 0x01; Put of zeros frees it",
          rsm),
        c("rsm_race", "RSM is atomic: 20 racing clients never hold the lock together, no lost "
          "update", rsm_race, 90),
        c("checksum_get", "a block decayed behind the server's back answers a checksum error on "
          "Get", checksum_get),
        c("checksum_rsm", "... and on RSM", checksum_rsm),
        c("cblk", "-cblk B: Get and RSM of block B answer a checksum error, for good; other "
          "blocks fine", cblk),
        c("cblk_zero", "-cblk 0 works too (not taken for 'no -cblk')", cblk_zero),
    ] + ([
        c("delayat", "2023 -delayat 3: the 3rd request's work done, its answer after a 10 s "
          "sleep that stalls every client", delayat, 60),
        c("delayat_zero", "2023 -delayat 0: no delay", delayat_zero),
    ] if impl.edition == "2023" else [])
