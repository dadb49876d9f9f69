"""A connection-pooling XML-RPC proxy between shells and one block server, as a keep-alive
upstream pool (nginx ``keepalive``, HAProxy ``http-reuse``) is: the conformance kit's
``Forwarder`` with an ``exchange`` that keeps its upstream connections open and reuses them
across client connections, and that retries a call once on a fresh connection when a pooled
one turns out dead. A server restarted behind it therefore changes nothing a client can see
in its own TCP connections: the client's connection to the proxy stays open, the restart shows
only in what the server answers.

``PoolingProxy(upstream_port).start()``; clients connect to ``.port``; ``.reconnects`` counts
the pooled connections found dead (each one a restart, or a server that closed an idle
connection). A server that cannot be reached at all drops the client's connection, as
``Forwarder`` does.
"""

import http.client
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from conformance_kit.proxy import Forwarder, passed_on  # noqa: E402

DEAD_CONNECTION = (OSError, http.client.HTTPException)


class PoolingProxy(Forwarder):
    def __init__(self, upstream_port, upstream_timeout=10.0, **kwargs):
        super().__init__(upstream_port, lambda method, params: None,
                         upstream_timeout=upstream_timeout, **kwargs)
        self._idle = []
        self._lock = threading.Lock()
        self.reconnects = 0

    def exchange(self, path, body, headers=None):
        conn, pooled = self._take()
        try:
            result = self._call(conn, path, body, headers)
        except DEAD_CONNECTION as error:
            conn.close()
            if not pooled:
                raise OSError("upstream unreachable: %r" % error) from error
            with self._lock:
                self.reconnects += 1
            conn = self._connect()
            try:
                result = self._call(conn, path, body, headers)
            except DEAD_CONNECTION as again:
                conn.close()
                raise OSError("upstream unreachable: %r" % again) from again
        with self._lock:
            self._idle.append(conn)
        return result

    def _take(self):
        """(an idle pooled connection, True), else (a new one, False)."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._connect(), False

    def _connect(self):
        return http.client.HTTPConnection(*self.upstream, timeout=self._timeout)

    @staticmethod
    def _call(conn, path, body, headers):
        conn.request("POST", path, body, {"Content-Type": "text/xml", **(headers or {})})
        reply = conn.getresponse()
        data = reply.read()
        if reply.will_close:
            conn.close()  # http.client reconnects it on the next request
        return reply.status, data, {k: v for k, v in reply.getheaders() if passed_on(k)}

    def stop(self):
        super().stop()
        with self._lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()
