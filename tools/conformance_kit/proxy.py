"""XML-RPC proxies between a shell and one block server (standard library only).

``Forwarder`` is the one forwarding mechanism; a hook decides what happens to each call.
``RecordingProxy``, the kit's, writes every call down in the golden trace format (``Get n``,
``RSM n``, ``Put n HEX`` with trailing zero bytes stripped) and forwards the request bytes
unchanged, returning the reply bytes unchanged. The project's tests build on both
(compat_tests/trace_proxy.py holds calls back, compat_tests/saboteurs/ rewrite them). HTTP/1.1
keep-alive towards the shell, one upstream connection per call (what the course server does).
"""

import http.client
import http.server
import socket
import socketserver
import threading
import xmlrpc.client

from .procs import LOOPBACK


def trace_line(method, params):
    if method == "Put" and len(params) == 2 and isinstance(params[1], (bytes, bytearray)):
        return "Put %s %s" % (params[0], bytes(params[1]).rstrip(b"\0").hex())
    if params:
        return "%s %s" % (method, params[0])
    return method


class Forwarder:
    """An XML-RPC forwarder on a loopback port (``port``, 0: any free one) in front of the
    server at ``upstream_port``. For each call, ``on_call(method, params)`` (both None when
    the request is not a parsable XML-RPC call) says what to do:

      None                    forward the request bytes, return the reply bytes, unchanged
      ("answer", value)       answer ``value`` without forwarding anything
      ("forward", params)     forward the same method with these params instead
      ("drop", event)         forward nothing; once ``event`` is set, drop the connection
      ("delay", event)        once ``event`` is set, forward the request (late)

    A server that cannot be reached drops the shell's connection, as a dead server would.
    ``start()`` serves on a thread, ``serve_forever()`` on this one."""

    def __init__(self, upstream_port, on_call, port=0, upstream_timeout=30.0,
                 upstream_host=LOOPBACK):
        self.upstream = (upstream_host, upstream_port)
        self.on_call = on_call
        self._port = port
        self._timeout = upstream_timeout
        self._server = None

    @property
    def port(self):
        return self._server.server_address[1]

    def start(self):
        self._server = _Server((LOOPBACK, self._port), _handler(self))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def serve_forever(self):
        _Server((LOOPBACK, self._port), _handler(self)).serve_forever()

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def exchange(self, path, body, headers=None):
        """(status, reply bytes, headers to pass back) of one upstream call; OSError if none.
        headers: end-to-end headers of the request to pass on (as any HTTP proxy does); the
        reply's Content-Encoding and X-Memoryfs-* headers are passed back."""
        conn = http.client.HTTPConnection(*self.upstream, timeout=self._timeout)
        try:
            conn.request("POST", path, body, {"Content-Type": "text/xml", **(headers or {})})
            reply = conn.getresponse()
            passed = {k: v for k, v in reply.getheaders() if passed_on(k)}
            return reply.status, reply.read(), passed
        finally:
            conn.close()


def passed_on(name):
    """Whether a header goes through the proxy: the content's encoding and our own headers
    (the lock epoch of a request, the server's incarnation in a reply: docs/protocol.md)."""
    return name.lower() == "content-encoding" or name.lower().startswith("x-memoryfs-")


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a shell killed mid-call: nothing to report


def _handler(forwarder):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm
            # and the client's delayed ACK cost 40 ms per call.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                params, method = xmlrpc.client.loads(body, use_builtin_types=True)
            except Exception:
                params, method = None, None
            action = forwarder.on_call(method, params)
            if action and action[0] == "drop":
                action[1].wait()
                self.close_connection = True
                return
            if action and action[0] == "answer":
                answer = xmlrpc.client.dumps((action[1],), methodresponse=True).encode()
                self.reply(200, answer, None)
                return
            if action and action[0] == "forward":
                body = xmlrpc.client.dumps(tuple(action[1]), method).encode()
            if action and action[0] == "delay":
                action[1].wait()  # then forwarded, late
            headers = {k: v for k, v in self.headers.items() if passed_on(k)}
            try:
                status, data, passed = forwarder.exchange(self.path, body, headers)
            except OSError:
                self.close_connection = True  # a dead server: drop the connection
                return
            self.reply(status, data, passed)

        def reply(self, status, data, headers):
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True  # the shell is gone

    return Handler


class RecordingProxy(Forwarder):
    """``with RecordingProxy(upstream_port) as proxy:`` connect to ``proxy.port``; the calls
    are in ``proxy.lines`` ("MALFORMED" for a request that is not an XML-RPC call)."""

    def __init__(self, upstream_port, port=0, upstream_timeout=30.0, upstream_host=LOOPBACK):
        super().__init__(upstream_port, self.record, port, upstream_timeout, upstream_host)
        self.lines = []
        self._lock = threading.Lock()

    def record(self, method, params):
        """The on_call hook: records the call, forwards it unchanged."""
        with self._lock:
            self.lines.append("MALFORMED" if method is None else trace_line(method, params))
        return None
