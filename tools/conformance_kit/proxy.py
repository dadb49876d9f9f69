"""The kit's recording proxy: between a shell and one block server, it writes down every call
in the golden trace format (``Get n``, ``RSM n``, ``Put n HEX`` with trailing zero bytes
stripped), forwards the request bytes unchanged and returns the reply bytes unchanged. HTTP/1.1
keep-alive towards the shell, one upstream connection per call (what the course server does)."""

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


class RecordingProxy:
    """``with RecordingProxy(upstream_port) as proxy:`` connect to ``proxy.port``; the calls
    are in ``proxy.lines``."""

    def __init__(self, upstream_port, port=0, upstream_timeout=30.0):
        self.upstream_port = upstream_port
        self.lines = []
        self._lock = threading.Lock()
        self._port = port
        self._timeout = upstream_timeout
        self._server = None

    @property
    def port(self):
        return self._server.server_address[1]

    def start(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    params, method = xmlrpc.client.loads(body, use_builtin_types=True)
                    line = trace_line(method, params)
                except Exception:
                    line = "MALFORMED"
                with proxy._lock:
                    proxy.lines.append(line)
                try:
                    conn = http.client.HTTPConnection(LOOPBACK, proxy.upstream_port,
                                                      timeout=proxy._timeout)
                    conn.request("POST", self.path, body, {"Content-Type": "text/xml"})
                    reply = conn.getresponse()
                    data, status = reply.read(), reply.status
                    encoding = reply.getheader("Content-Encoding")
                    conn.close()
                except OSError:
                    self.close_connection = True  # a dead server: drop the connection
                    return
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    if encoding:
                        self.send_header("Content-Encoding", encoding)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # a shell killed mid-call: nothing to report

        self._server = Server((LOOPBACK, self._port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
