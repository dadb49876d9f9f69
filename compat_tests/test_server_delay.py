"""-delayat K of the 2023 edition's blockserver.py, on our server (also under its 2023 name,
blockserver) and on the project's Python reference server: every K-th Get/Put/RSM is answered
after the pause, and a request from another client that arrives meanwhile is answered only
after it (the Python server is single-threaded; ours stalls the same way); without -delayat
nothing pauses."""

import threading
import time
import xmlrpc.client

import pytest

NB, BS = 16, 64
PAUSE_MS = 600


def timed(proxy, method, *args):
    started = time.monotonic()
    getattr(proxy, method)(*args)
    return time.monotonic() - started


@pytest.mark.parametrize("kind", ["cpp", "blockserver", "ref"])
def test_every_kth_request_pauses_and_stalls_the_other_clients(pool, kind):
    server = pool.start(kind, nb=NB, bs=BS,
                        extra_args=("-delayat", 3, "-delay_ms", PAUSE_MS))
    a, b = server.proxy(), server.proxy()
    assert timed(a, "Get", 1) < 0.3
    assert timed(a, "Put", 2, xmlrpc.client.Binary(b"x")) < 0.3
    done = {}

    def third():
        done["a"] = (timed(a, "RSM", 3), time.monotonic())
    thread = threading.Thread(target=third)
    thread.start()
    time.sleep(0.15)  # a's third request is pausing
    # Stats (ours) is not counted, but stalled with everything else; the Python server
    # counts the Get, which is then its 4th.
    b_took = timed(b, "Stats") if kind != "ref" else timed(b, "Get", 7)
    b_done = time.monotonic()
    thread.join()
    a_took, a_done = done["a"]
    assert a_took >= PAUSE_MS / 1000 - 0.05
    assert b_took >= (PAUSE_MS / 1000 - 0.15) - 0.1
    assert b_done >= a_done - 0.05  # answered only after the pause
    assert timed(b, "Get", 4) < 0.3  # the next two: no pause
    if kind != "ref":
        assert timed(b, "Get", 5) < 0.3
    assert timed(a, "Get", 6) >= PAUSE_MS / 1000 - 0.05  # the 6th


def test_without_delayat_nothing_pauses(pool):
    server = pool.start("blockserver", nb=NB, bs=BS)
    proxy = server.proxy()
    started = time.monotonic()
    for i in range(30):
        proxy.Get(i % NB)
    assert time.monotonic() - started < 2
    assert server.banner == "Running block server with nb=%d, bs=%d on port %d" % (
        NB, BS, server.port)
