"""A recording XML-RPC proxy for the tests: the conformance kit's RecordingProxy
(tools/conformance_kit/proxy.py), which sits between a client and a block server and writes
down every call in the golden trace format (``Get n``, ``RSM n``, ``Put n HEX`` with trailing
zero bytes stripped), forwarding the request bytes and returning the reply bytes unchanged,
plus fault injection.

Fault injection: set ``proxy.hold`` to a predicate ``hold(method, params)``; the first call it
accepts is held back (never forwarded, ``proxy.held`` is set and ``proxy.held_call`` tells which)
until ``proxy.release`` is set, then its connection is dropped. Later calls pass.
"""

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from conformance_kit.proxy import RecordingProxy  # noqa: E402


class TraceProxy(RecordingProxy):
    """``TraceProxy(upstream_port).start()``; ``.port`` to connect to; ``.lines`` recorded."""

    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        super().__init__(upstream_port, upstream_timeout=10, upstream_host=upstream_host)
        self.hold = None
        self.held = threading.Event()
        self.held_call = None
        self.release = threading.Event()
        self._hold_lock = threading.Lock()

    def record(self, method, params):
        super().record(method, params)
        if method is not None and self._take_hold(method, params):
            return ("drop", self.release)
        return None

    def _take_hold(self, method, params):
        """Whether this call is the one to hold back."""
        with self._hold_lock:
            if self.hold is None or self.held.is_set() or not self.hold(method, params):
                return False
            self.held_call = (method, params)
            self.held.set()
            return True

    def stop(self):
        self.release.set()
        super().stop()
