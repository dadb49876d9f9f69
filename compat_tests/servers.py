"""Start, watch and stop real block-server processes (ours in C++ or the Python reference).

Reusable by every suite (protocol, shell, RAID) and by tools/bench_server.py; standard
library only. The usual pattern::

    pool = ServerPool()
    try:
        server = pool.start("cpp", nb=256, bs=128)      # free loopback port, waits for banner
        proxy = server.proxy()                          # xmlrpc.client.ServerProxy
        ...
        server.kill(); server.start()                   # restart on the same port
    finally:
        pool.cleanup()                                  # SIGKILLs everything still running

Kinds: ``"cpp"`` is ``$MEMORYFS_BUILD_DIR/bin/memoryfs_server`` (default build dir
``<repo>/build``), ``"ref"`` is ``compat_tests/reference/memoryfs_server.py`` run by
``sys.executable``. Every process started here is also SIGKILLed at interpreter exit, so a
crashed test run never leaves servers behind.
"""

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
import xmlrpc.client
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SERVER = REPO_ROOT / "compat_tests" / "reference" / "memoryfs_server.py"
BANNER_PREFIX = "Running block server"
LOOPBACK = "127.0.0.1"
DEFAULT_START_TIMEOUT = 10.0
KINDS = ("cpp", "blockserver", "ref")

_live_processes = weakref.WeakSet()


class ServerStartError(RuntimeError):
    """A server exited or stayed silent before printing its ``Running block server`` line."""


def build_dir():
    """The C++ build directory: ``$MEMORYFS_BUILD_DIR`` or ``<repo>/build``."""
    return Path(os.environ.get("MEMORYFS_BUILD_DIR", REPO_ROOT / "build"))


def cpp_server_path():
    """Path of our C++ server binary (it may not exist yet)."""
    return build_dir() / "bin" / "memoryfs_server"


def cpp_server_available():
    """True when the C++ server binary exists and is executable."""
    path = cpp_server_path()
    return path.is_file() and os.access(path, os.X_OK)


def free_port(host=LOOPBACK):
    """A TCP port that was free on ``host`` a moment ago (bind port 0, read it, close).

    Another process may grab it before we use it; ServerPool.start retries for that case.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_argv(kind, args):
    """The argv that runs server ``kind`` ("cpp" or "ref") with the flags ``args``."""
    if kind == "cpp":
        return [str(cpp_server_path()), *map(str, args)]
    if kind == "blockserver":  # the same program under the 2023 edition's name
        return [str(build_dir() / "bin" / "blockserver"), *map(str, args)]
    if kind == "ref":
        return [sys.executable, str(REFERENCE_SERVER), *map(str, args)]
    raise ValueError("unknown server kind %r (expected one of %s)" % (kind, KINDS))


def block_server_args(nb, bs, port, extra_args=()):
    """The flags ``-nb NB -bs BS -port PORT`` followed by ``extra_args``."""
    return ["-nb", nb, "-bs", bs, "-port", port, *extra_args]


def run_server_once(kind, args, timeout=5.0, **popen_kwargs):
    """Run server ``kind`` with ``args`` expecting it to exit by itself (flag errors, --help).

    Returns the subprocess.CompletedProcess (text stdout/stderr). A server that is still
    running after ``timeout`` seconds is SIGKILLed and subprocess.TimeoutExpired propagates.
    ``popen_kwargs`` go to subprocess.run (e.g. ``preexec_fn`` to set resource limits).
    """
    return subprocess.run(server_argv(kind, args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, **popen_kwargs)


class _StreamCollector:
    """Drains one pipe on a daemon thread so the child never blocks on a full pipe."""

    def __init__(self, stream, on_line=None):
        self._lines = []
        self._lock = threading.Lock()
        self._on_line = on_line
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream):
        with stream:
            for line in stream:
                with self._lock:
                    self._lines.append(line)
                if self._on_line:
                    self._on_line(line)

    def text(self):
        """Everything read so far."""
        with self._lock:
            return "".join(self._lines)

    def join(self, timeout=2.0):
        """Wait until the pipe is closed (the process has exited)."""
        self._thread.join(timeout)


class ServerProcess:
    """One block-server process, restartable on the same port.

    Attributes: ``kind``, ``nb``, ``bs``, ``port``, ``host``, ``extra_args``, ``process``
    (the current subprocess.Popen or None), ``banner`` (the ``Running block server`` line of
    the current run, without newline).
    """

    def __init__(self, kind, nb, bs, port, extra_args=(), host=LOOPBACK, args=None,
                 popen_kwargs=None):
        """Describe a server; nothing runs until start().

        The flags are ``-nb NB -bs BS -port PORT`` + ``extra_args``, or exactly ``args`` when
        given (for config-file tests; ``nb``/``bs``/``port``/``host`` must then describe what
        the server will use, since clients connect to ``host:port``). ``popen_kwargs`` are
        extra subprocess.Popen arguments (e.g. ``preexec_fn`` to set resource limits).
        """
        self.popen_kwargs = dict(popen_kwargs or {})
        self.kind = kind
        self.args = None if args is None else list(args)
        self.nb = nb
        self.bs = bs
        self.port = port
        self.host = host
        self.extra_args = list(extra_args)
        self.process = None
        self.banner = None
        self._stdout = None
        self._stderr = None
        self._banner_seen = threading.Event()

    # ----- life cycle -------------------------------------------------------------------
    @property
    def argv(self):
        """The command line of this server."""
        if self.args is not None:
            return server_argv(self.kind, self.args)
        return server_argv(self.kind, block_server_args(self.nb, self.bs, self.port,
                                                        self.extra_args))

    def start(self, timeout=DEFAULT_START_TIMEOUT):
        """Launch the process and wait for its banner; return self.

        Raises ServerStartError (carrying the output) when the process exits first or prints
        no banner within ``timeout`` seconds; in the latter case it is SIGKILLed.
        """
        if self.alive():
            raise RuntimeError("server on port %d is already running" % self.port)
        self.banner = None
        self._banner_seen.clear()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env, **self.popen_kwargs)
        _live_processes.add(self.process)
        self._stdout = _StreamCollector(self.process.stdout, self._watch_banner)
        self._stderr = _StreamCollector(self.process.stderr)
        self._wait_for_banner(timeout)
        return self

    def _watch_banner(self, line):
        if self.banner is None and line.startswith(BANNER_PREFIX):
            self.banner = line.rstrip("\n")
            self._banner_seen.set()

    def _wait_for_banner(self, timeout):
        deadline = time.monotonic() + timeout
        while not self._banner_seen.wait(0.02):
            if self.process.poll() is not None:
                self._stdout.join()
                self._stderr.join()
                raise ServerStartError("%s exited with status %s before its banner\n%s"
                                       % (self.argv, self.process.returncode, self.output()))
            if time.monotonic() > deadline:
                self.kill()
                raise ServerStartError("%s printed no banner within %.1f s\n%s"
                                       % (self.argv, timeout, self.output()))

    def alive(self):
        """True while the current process runs (a SIGSTOPped process is alive)."""
        return self.process is not None and self.process.poll() is None

    def send_signal(self, sig):
        """Send ``sig`` to the current process if it is still running."""
        if self.alive():
            self.process.send_signal(sig)

    def kill(self):
        """SIGKILL the process (no-op if not running) and reap it; return its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.kill()
        returncode = self.process.wait()
        self._stdout.join()
        self._stderr.join()
        return returncode

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Send ``sig`` and wait up to ``timeout`` s for exit; return the exit status.

        Raises subprocess.TimeoutExpired if the process is still running (it is then
        SIGKILLed so nothing leaks).
        """
        self.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def restart(self, timeout=DEFAULT_START_TIMEOUT):
        """SIGKILL the process if running, then start a fresh one on the same port."""
        self.kill()
        return self.start(timeout)

    def pause(self):
        """SIGSTOP the process (a hung server: connections are accepted, nothing answers)."""
        self.send_signal(signal.SIGSTOP)

    def resume(self):
        """SIGCONT a paused process."""
        self.send_signal(signal.SIGCONT)

    # ----- observation ------------------------------------------------------------------
    def stdout(self):
        """Standard output of the current run so far."""
        return self._stdout.text() if self._stdout else ""

    def stderr(self):
        """Standard error of the current run so far."""
        return self._stderr.text() if self._stderr else ""

    def output(self):
        """stdout and stderr of the current run, labelled, for error messages."""
        return "--- stdout ---\n%s--- stderr ---\n%s" % (self.stdout(), self.stderr())

    # ----- clients ----------------------------------------------------------------------
    @property
    def url(self):
        """Base URL as the course client writes it (ServerProxy appends /RPC2)."""
        return "http://%s:%d" % (self.host, self.port)

    def proxy(self, use_builtin_types=True, **kwargs):
        """A new xmlrpc.client.ServerProxy for this server (its own connection)."""
        return xmlrpc.client.ServerProxy(self.url, use_builtin_types=use_builtin_types,
                                         **kwargs)

    def __repr__(self):
        return "ServerProcess(%s, nb=%s, bs=%s, port=%s)" % (self.kind, self.nb, self.bs,
                                                             self.port)


class ServerPool:
    """Starts servers and guarantees they are all SIGKILLed by cleanup()."""

    def __init__(self):
        self.servers = []

    def start(self, kind, nb=64, bs=128, port=None, extra_args=(), host=LOOPBACK,
              timeout=DEFAULT_START_TIMEOUT, retries=3, args=None, popen_kwargs=None):
        """Start one server and return its running ServerProcess.

        With ``port=None`` a free loopback port is chosen, and if the server dies before its
        banner (another process took the port) a new port is tried, up to ``retries`` times.
        ``args`` replaces the whole flag list (then ``port`` must be given); ``popen_kwargs``
        go to subprocess.Popen.
        """
        if args is not None and port is None:
            raise ValueError("args= needs the port the server will listen on")
        attempts = retries if port is None else 1
        for attempt in range(attempts):
            server = ServerProcess(kind, nb, bs, port or free_port(), extra_args, host, args,
                                   popen_kwargs)
            self.servers.append(server)
            try:
                return server.start(timeout)
            except ServerStartError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def start_many(self, kind, count, nb=64, bs=128, extra_args=()):
        """Start ``count`` servers of the same shape, each on its own free port."""
        return [self.start(kind, nb, bs, extra_args=extra_args) for _ in range(count)]

    def cleanup(self):
        """SIGKILL and reap every server this pool started (including SIGSTOPped ones)."""
        for server in self.servers:
            server.kill()
        self.servers.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.cleanup()


def wait_until_port_closed(port, host=LOOPBACK, timeout=2.0):
    """Return True once nothing accepts connections on ``host:port`` (False on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
        except OSError:
            return True
        time.sleep(0.02)
    return False


@atexit.register
def _kill_leftovers():
    """Safety net: SIGKILL every server process still running at interpreter exit."""
    for process in list(_live_processes):
        if process.poll() is None:
            process.kill()
            process.wait()
