"""Run our C++ shell (``memoryfs_shell_rpc``) as a real process, and read golden cases.

``run_shell(args, stdin)`` returns a CompletedProcess with bytes stdout/stderr.
``Golden(name)`` loads ``golden/g22/<name>.*``; ``image_of(blocks)`` renders blocks in the
golden image format (``n HEX`` per non-zero block, trailing zero bytes stripped).
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
STARTUP_GETS = ["Get %d" % i for i in range(16)]


def shell_path():
    return servers.build_dir() / "bin" / "memoryfs_shell_rpc"


def shell_available():
    path = shell_path()
    return path.is_file() and os.access(path, os.X_OK)


def run_shell(args, stdin=b"", timeout=120):
    """Runs the shell to completion with ``stdin`` (bytes or str); returns CompletedProcess."""
    if isinstance(stdin, str):
        stdin = stdin.encode()
    return subprocess.run([str(shell_path()), *map(str, args)], input=stdin,
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

    def __init__(self, name):
        self.name = name
        read = lambda ext: (GOLDEN_DIR / (name + ext)).read_bytes()
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

    def __init__(self, args):
        self.proc = subprocess.Popen([str(shell_path()), *map(str, args)],
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
            assert time.monotonic() < deadline, "no prompt; got %r" % self.buffer
            chunk = self.proc.stdout.read1(65536)
            assert chunk, "shell exited; output %r" % self.buffer
            self.buffer += chunk
        out, self.buffer = self.buffer, b""
        return out

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        return self.wait_prompt()

    def close(self):
        self.proc.stdin.write(b"exit\n")
        self.proc.stdin.close()
        assert self.proc.wait(10) == 0
