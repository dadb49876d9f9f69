"""The implementation under test: its server and shell command lines and edition, and how the
kit runs them -- servers with the assignment's flags on free loopback ports (N of them on
consecutive ports for ``-startport``), shells with the edition's flags, in batch or one
command at a time. Every wait is bounded."""

import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import procs
from .paths import PACKAGE_DIR
from .results import Failed, Skipped
from .rpc import read_blocks

KIT_SERVER = [sys.executable, str(PACKAGE_DIR / "refserver.py")]
START_TIMEOUT = 15.0


class Implementation:
    def __init__(self, server=None, shell=None, edition="2022", command_timeout=30.0,
                 hang_timeout=10.0):
        self.server = server          # command line string, or None: the kit's own server
        self.shell = shell            # command line string, or None
        self.edition = str(edition)
        self.command_timeout = command_timeout
        self.hang_timeout = hang_timeout

    @property
    def server_command(self):
        return self.server if self.server else KIT_SERVER

    def need_server(self):
        if not self.server:
            raise Skipped("no --server given")

    def need_shell(self):
        if not self.shell:
            raise Skipped("no --shell given")

    # ----- shell command lines ---------------------------------------------------------
    def single_shell_args(self, port, args):
        """2022: ``-ns 1 -startport P``; 2023: ``-port P`` (as the golden runs were made)."""
        if self.edition == "2022":
            return ["-ns", 1, "-startport", port, *args]
        return ["-port", port, *args]

    def raid_shell_args(self, array, args):
        return ["-ns", len(array.servers), "-startport", array.servers[0].port, *args]


class Server:
    """One block server process; restartable (blank) on the same port."""

    def __init__(self, impl, nb, bs, port, extra=()):
        self.impl, self.nb, self.bs, self.port = impl, nb, bs, port
        self.extra = [str(e) for e in extra]
        self.proc = None
        self.log = None

    @property
    def flags(self):
        return ["-nb", self.nb, "-bs", self.bs, "-port", self.port, *self.extra]

    def start(self, timeout=START_TIMEOUT):
        self.log = tempfile.TemporaryFile()
        self.proc = procs.spawn(self.impl.server_command, self.flags, stdin=subprocess.DEVNULL,
                                stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerStartError("server %s exited with status %s: %s" % (
                    " ".join(map(str, self.flags)), self.proc.returncode, self.output()[-300:]))
            try:
                socket.create_connection((procs.LOOPBACK, self.port), timeout=0.5).close()
                return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise ServerStartError("server on port %d not listening after %.0f s"
                                       % (self.port, timeout))
            time.sleep(0.03)

    def output(self):
        if not self.log:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self):
        if self.proc:
            procs.kill(self.proc)

    def pause(self):
        procs.signal_group(self.proc, signal.SIGSTOP)

    def resume(self):
        procs.signal_group(self.proc, signal.SIGCONT)

    def restart(self):
        """A blank server on the same port (the old one SIGKILLed first)."""
        self.kill()
        deadline = time.monotonic() + 5
        while True:
            try:
                return self.start()
            except ServerStartError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


class ServerStartError(Failed):
    pass


def start_servers(impl, count, nb, bs, extra=None, attempts=4):
    """``count`` servers of ``nb`` blocks on consecutive ports; ``extra`` maps a server index
    to extra flags (``-cblk B``)."""
    extra = extra or {}
    for attempt in range(attempts):
        ports = procs.free_ports(count)
        servers = [Server(impl, nb, bs, p, extra.get(i, ())) for i, p in enumerate(ports)]
        try:
            for server in servers:
                server.start()
            return Array(servers, bs)
        except ServerStartError:
            for server in servers:
                server.kill()
            if attempt == attempts - 1:
                raise


class Array:
    def __init__(self, servers, bs):
        self.servers, self.bs = servers, bs

    @property
    def rows(self):
        return self.servers[0].nb

    def physical(self):
        """Every server's blocks (None where a Get did not answer a block)."""
        return [read_blocks(s.port, s.nb) for s in self.servers]


# ----- shells ------------------------------------------------------------------------------

def run_shell(impl, args, stdin, timeout=None):
    """Runs the shell to its end; (returncode, stdout, stderr). A shell still running after
    ``timeout`` is killed and the check fails."""
    impl.need_shell()
    proc = procs.spawn(impl.shell, args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(stdin, timeout=timeout or impl.command_timeout * 4)
    except subprocess.TimeoutExpired:
        procs.kill(proc)
        raise Failed("the shell did not finish within %.0f s" % (timeout or
                                                                  impl.command_timeout * 4))
    procs.kill(proc)
    return proc.returncode, out, err


class Session:
    """A shell driven one command at a time: ``send(line)`` returns what it printed on stdout
    up to and including its next prompt (a prompt ends in ``]%``)."""

    def __init__(self, impl, args):
        impl.need_shell()
        self.impl = impl
        self.proc = procs.spawn(impl.shell, args, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._out = b""
        self._err = []
        self._eof = False
        self._cond = threading.Condition()
        threading.Thread(target=self._pump_out, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        self.startup = self.wait_prompt(START_TIMEOUT)

    def _pump_out(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            with self._cond:
                self._out += chunk
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _pump_err(self):
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self._err.append(chunk)

    def stderr(self):
        return b"".join(self._err)

    def wait_prompt(self, timeout=None):
        timeout = timeout or self.impl.command_timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._out.endswith(b"]%"):
                left = deadline - time.monotonic()
                if self._eof:
                    raise Failed("the shell exited (status %s) before its prompt; it printed "
                                 "%r" % (self.proc.poll(), self._out[-200:]))
                if left <= 0:
                    raise ShellTimeout(timeout, self._out[-200:])
                self._cond.wait(left)
            out, self._out = self._out, b""
        return out

    def send(self, line, timeout=None):
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            raise Failed("the shell is gone (it exited before %r)" % line)
        return self.wait_prompt(timeout)

    def close(self):
        """``exit``, then the process is gone (killed if it lingers)."""
        try:
            self.proc.stdin.write(b"exit\n")
            self.proc.stdin.close()
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        procs.kill(self.proc)


class ShellTimeout(Failed):
    def __init__(self, seconds, tail):
        super().__init__("no prompt within %.1f s (last output %r)" % (seconds, tail))
        self.seconds = seconds
