"""Processes the kit starts: each in its own session (process group), all of them recorded so
that they can be killed as a group -- at the end of a check, when a check runs past its time,
on Ctrl-C, and at interpreter exit. Also: finding free loopback ports, consecutive ones too."""

import atexit
import os
import random
import shlex
import signal
import socket
import subprocess
import threading

LOOPBACK = "127.0.0.1"

_lock = threading.Lock()
_all = []          # every Popen still possibly running
_scopes = []       # stack of lists: the processes started inside the current check


def command_words(command):
    """A command line given as one string (shell-like quoting, a leading ``~`` expanded, as
    a shell would) or as a list of words."""
    if isinstance(command, str):
        return [os.path.expanduser(w) if w.startswith("~") else w for w in shlex.split(command)]
    return [str(w) for w in command]


def spawn(command, args=(), **popen_kwargs):
    """Starts ``command`` + ``args`` in a new session; the Popen is recorded for cleanup."""
    argv = command_words(command) + [str(a) for a in args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.update(popen_kwargs.pop("env", {}) or {})
    proc = subprocess.Popen(argv, start_new_session=True, env=env, **popen_kwargs)
    with _lock:
        _all.append(proc)
        if _scopes:
            _scopes[-1].append(proc)
    return proc


def signal_group(proc, sig):
    """Sends ``sig`` to the process group of ``proc`` (no-op once it has been reaped)."""
    if proc.poll() is not None and sig != signal.SIGKILL:
        return
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill(proc, timeout=5.0):
    """SIGKILLs the whole group of ``proc`` and reaps it."""
    signal_group(proc, signal.SIGKILL)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass
    with _lock:
        if proc in _all:
            _all.remove(proc)


class Scope:
    """``with Scope() as scope:`` -- every process started inside is killed on exit;
    ``scope.kill_all()`` may be called from another thread (the check watchdog)."""

    def __init__(self):
        self.procs = []

    def __enter__(self):
        with _lock:
            _scopes.append(self.procs)
        return self

    def kill_all(self):
        for proc in list(self.procs):
            kill(proc)

    def __exit__(self, *exc):
        with _lock:
            if self.procs in _scopes:
                _scopes.remove(self.procs)
        self.kill_all()


def kill_everything():
    """Kills every process the kit started and has not reaped yet."""
    with _lock:
        procs = list(_all)
    for proc in procs:
        kill(proc, timeout=2.0)


atexit.register(kill_everything)


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


_handed_out = set()


def free_ports(count=1, low=20000, high=60000):
    """``count`` consecutive TCP ports free on the loopback right now (``-startport`` puts
    server i on P+i), never handed out before by this process."""
    rng = random.Random()
    for _ in range(2000):
        base = rng.randrange(low, high - count)
        ports = list(range(base, base + count))
        with _lock:
            if any(p in _handed_out for p in ports):
                continue
        if all(_bindable(p) for p in ports):
            with _lock:
                _handed_out.update(ports)
            return ports
    raise RuntimeError("no %d consecutive free ports on %s" % (count, LOOPBACK))


def free_port():
    return free_ports(1)[0]
