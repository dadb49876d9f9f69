"""Run our C++ shell (``memoryfs_shell_rpc``, or ``fsmain``, its 2023 entry point) as a real
process, and read golden cases.

``run_shell(args, stdin)`` returns a CompletedProcess with bytes stdout/stderr (``program=``
``fsmain_path()`` runs fsmain). ``Golden(name)`` loads ``golden/g22/<name>.*``
(``Golden(name, GOLDEN23_DIR)`` the 2023 edition's); ``image_of(blocks)`` renders blocks in
the golden image format (``n HEX`` per non-zero block, trailing zero bytes stripped).
"""

import os
import subprocess
import threading
import time
import xmlrpc.client
from pathlib import Path

import servers

GOLDEN_DIR = servers.REPO_ROOT / "compat_tests" / "golden" / "g22"
GOLDEN_CASES = sorted(p.stem for p in GOLDEN_DIR.glob("*.in"))
GOLDEN23_DIR = servers.REPO_ROOT / "compat_tests" / "golden" / "g23"
STARTUP_GETS = ["Get %d" % i for i in range(16)]


def shell_path():
    return servers.build_dir() / "bin" / "memoryfs_shell_rpc"


def fsmain_path():
    """The 2023 edition's entry point: the same shell with fsmain.py's command line."""
    return servers.build_dir() / "bin" / "fsmain"


def shell_available(path=None):
    path = path or shell_path()
    return path.is_file() and os.access(path, os.X_OK)


def run_shell(args, stdin=b"", timeout=120, program=None):
    """Runs the shell to completion with ``stdin`` (bytes or str); returns CompletedProcess."""
    if isinstance(stdin, str):
        stdin = stdin.encode()
    return subprocess.run([str(program or shell_path()), *map(str, args)], input=stdin,
                          capture_output=True, timeout=timeout)


def image_of(blocks):
    """Golden image text of a list of blocks."""
    lines = []
    for n, block in enumerate(blocks):
        stripped = bytes(block).rstrip(b"\0")
        if stripped:
            lines.append("%d %s" % (n, stripped.hex()))
    return "".join(line + "\n" for line in lines)


def read_blocks(port, nb):
    """Every block of a server, read with the course client."""
    proxy = xmlrpc.client.ServerProxy("http://127.0.0.1:%d" % port, use_builtin_types=True)
    return [bytes(proxy.Get(n)) for n in range(nb)]


class Golden:
    """One recorded run of the Python reference: flags, input and expected results."""

    def __init__(self, name, directory=GOLDEN_DIR):
        self.name = name
        read = lambda ext: (directory / (name + ext)).read_bytes()
        self.args = read(".cmdline").decode().split()
        self.stdin = read(".in")
        self.stdout = read(".stdout")
        self.stderr = read(".stderr")
        self.trace = read(".trace").decode().splitlines()
        self.image = read(".image").decode()

    def flag(self, name):
        return int(self.args[self.args.index(name) + 1])

    @property
    def nb(self):
        return self.flag("-nb")

    @property
    def bs(self):
        return self.flag("-bs")


class InteractiveShell:
    """A shell process driven one command at a time: send() returns once the next prompt is
    printed (the shell flushes its prompt before reading)."""

    def __init__(self, args, program=None):
        self.proc = subprocess.Popen([str(program or shell_path()), *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buffer = b""
        self._stderr = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.startup = self.wait_prompt()

    def _drain_stderr(self):
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self._stderr.append(chunk)

    def stderr(self):
        """Everything written on stderr so far."""
        return b"".join(self._stderr)

    def wait_prompt(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.buffer.endswith(b"]%"):
            self._read_more(deadline)
        out, self.buffer = self.buffer, b""
        return out

    def wait_for(self, text, timeout=10):
        """Reads until ``text`` (bytes) has been printed; it stays in what wait_prompt returns."""
        deadline = time.monotonic() + timeout
        while text not in self.buffer:
            self._read_more(deadline)

    def _read_more(self, deadline):
        # read1 blocks: the shell is expected to print before the deadline.
        assert time.monotonic() < deadline, "no prompt; got %r" % self.buffer
        chunk = self.proc.stdout.read1(65536)
        assert chunk, "shell exited; output %r" % self.buffer
        self.buffer += chunk

    def write(self, line):
        """Sends one line without waiting for anything."""
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def send(self, line):
        self.write(line)
        return self.wait_prompt()

    def close(self):
        self.proc.stdin.write(b"exit\n")
        self.proc.stdin.close()
        assert self.proc.wait(10) == 0
