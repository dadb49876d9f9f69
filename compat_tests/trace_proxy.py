"""A recording XML-RPC proxy: sits between a client and a block server and writes down every
call in the golden trace format (``Get n``, ``RSM n``, ``Put n HEX`` with trailing zero bytes
stripped), then forwards the request bytes unchanged and returns the server's reply bytes
unchanged. It speaks HTTP/1.1 keep-alive to the client and opens one upstream connection per
call (what the Python server wants anyway). Standard library only.

Fault injection: set ``proxy.hold`` to a predicate ``hold(method, params)``; the first call it
accepts is held back (never forwarded, ``proxy.held`` is set and ``proxy.held_call`` tells which)
until ``proxy.release`` is set, then its connection is dropped. Later calls pass.
"""

import http.client
import http.server
import socket
import socketserver
import threading
import xmlrpc.client


def trace_line(method, params):
    """The golden-format line of one call."""
    if method == "Put" and len(params) == 2:
        data = bytes(params[1])
        return "Put %d %s" % (params[0], data.rstrip(b"\0").hex())
    if params:
        return "%s %s" % (method, params[0])
    return method


class TraceProxy:
    """``TraceProxy(upstream_port).start()``; ``.port`` to connect to; ``.lines`` recorded."""

    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.lines = []
        self.hold = None
        self.held = threading.Event()
        self.held_call = None
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    @property
    def port(self):
        return self._server.server_address[1]

    def start(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
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
                    with proxy._lock:
                        proxy.lines.append(trace_line(method, params))
                        held = proxy._take_hold(method, params)
                except Exception:  # malformed: forward anyway, record as such
                    with proxy._lock:
                        proxy.lines.append("MALFORMED")
                    held = False
                if held:
                    proxy.release.wait()
                    self.close_connection = True
                    self.connection.close()
                    return
                try:
                    conn = http.client.HTTPConnection(*proxy.upstream, timeout=10)
                    conn.request("POST", self.path, body, {"Content-Type": "text/xml"})
                    reply = conn.getresponse()
                    data = reply.read()
                    status = reply.status
                    conn.close()
                except OSError:
                    # The server is gone: drop the client's connection as a dead server would.
                    self.close_connection = True
                    self.connection.close()
                    return
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client is gone (killed by a test)
                    self.close_connection = True

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def _take_hold(self, method, params):
        """Under _lock: whether this call is the one to hold back."""
        if self.hold is None or self.held.is_set() or not self.hold(method, params):
            return False
        self.held_call = (method, params)
        self.held.set()
        return True

    def stop(self):
        self.release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
