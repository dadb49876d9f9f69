"""Shared by the saboteurs: an XML-RPC forwarder on one loopback port that passes each request
to an upstream block server, after ``rewrite(method, params)`` had its say: it returns None to
forward unchanged, ("answer", value) to answer without forwarding, or ("forward", params) to
forward other params. Standard library only."""

import http.client
import os
import http.server
import socket
import socketserver
import subprocess
import sys
import threading
import time
import xmlrpc.client


def serve(port, upstream_port, rewrite, background=False):
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
                action = rewrite(method, params)
            except Exception:
                action = None
            if action and action[0] == "answer":
                self.reply(200, xmlrpc.client.dumps((action[1],), methodresponse=True).encode())
                return
            if action and action[0] == "forward":
                body = xmlrpc.client.dumps(tuple(action[1]), method).encode()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                conn.request("POST", self.path, body, {"Content-Type": "text/xml"})
                reply = conn.getresponse()
                data, status = reply.read(), reply.status
                conn.close()
            except OSError:
                self.close_connection = True
                return
            self.reply(status, data)

        def reply(self, status, data):
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def handle_error(self, request, client_address):
            pass

    server = Server(("127.0.0.1", port), Handler)
    if background:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
    server.serve_forever()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("upstream server exited: %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit("upstream server not listening")


def flag(args, name, default=None):
    return int(args[args.index(name) + 1]) if name in args else default


def replace_flag(args, name, value):
    args = list(args)
    args[args.index(name) + 1] = str(value)
    return args


def run_shell_through(real, args, rewriter):
    """Runs the shell REAL with ``args`` (which hold ``-ns N -startport P``, N > 1) through one
    forwarder per server, ``rewriter(i)`` the rewrite of server i's (P+i's) forwarder, and
    exits with the shell's status. With one server, or without -startport, execs REAL as
    is."""
    n = flag(args, "-ns", 1)
    if n <= 1 or "-startport" not in args:
        os.execv(real, [real, *args])
    start = flag(args, "-startport")
    ports = []
    for i in range(n):
        port = free_port()
        serve(port, start + i, rewriter(i), background=True)
        ports.append(port)
    i = args.index("-startport")
    rest = args[:i] + args[i + 2:]
    servers = ",".join("127.0.0.1:%d" % p for p in ports)
    sys.exit(subprocess.call([real, *rest, "-servers", servers]))

