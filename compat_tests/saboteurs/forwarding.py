"""Shared by the saboteurs: an XML-RPC forwarder on one loopback port that passes each request
to an upstream block server, after ``rewrite(method, params)`` had its say: it returns None to
forward unchanged, ("answer", value) to answer without forwarding, or ("forward", params) to
forward other params: the conformance kit's Forwarder (tools/conformance_kit/proxy.py) with
that hook. Standard library only."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from conformance_kit.proxy import Forwarder  # noqa: E402


def serve(port, upstream_port, rewrite, background=False):
    """The forwarder on ``port`` (the kit's Forwarder): on a thread, returned, when
    ``background``; else on this thread, forever."""
    def on_call(method, params):
        if method is None:
            return None  # not a call: forwarded as it is
        try:
            return rewrite(method, params)
        except Exception:
            return None
    forwarder = Forwarder(upstream_port, on_call, port=port, upstream_timeout=60)
    if background:
        return forwarder.start()
    forwarder.serve_forever()


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

