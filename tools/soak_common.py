"""What the soaks of tools/soak.py share: run seeds, the shell driven with deadlines, the
array's event lines, direct XML-RPC reads of a server's blocks, random texts, and the choice of
the build directory and master seed. The one-shell soak is in soak.py, the multi-shell one in
soak_multi.py; docs/soak.md describes both.

Standard library only; uses the helpers of compat_tests/ (shells).
"""

import os
import random
import re
import select
import sys
import time
import xmlrpc.client
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "compat_tests"))

import shells  # noqa: E402

EVENT = re.compile(rb"(SERVER_DISCONNECTED (GET|PUT|RSM) \d+|CORRUPTED_BLOCK [^\n]*"
                   rb"|server \d+ [^\n]*: treated as failed until 'repair \d+')\n")
FAILURE_EVENT = re.compile(r"(?:SERVER_DISCONNECTED (?:GET|PUT|RSM) (\d+)"
                           r"|server (\d+) .*: treated as failed until 'repair \d+')$")
STATUS_ERROR = re.compile(rb"^Error: (?!ERROR_)[A-Z_]+: ", re.M)  # a Status, not an FS error
COMMAND_TIMEOUT = 20.0  # seconds one command may take before the run counts as hung

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
         "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "0", "1",
         "42", "1337", "raid", "parity", "stripe", "block", "inode")


def run_seed(master, index):
    """Seed of run `index` of master seed `master`: run 0 is the master seed itself, so that
    `--seed <run seed> --runs 1` replays any run."""
    if index == 0:
        return master
    return random.Random("memoryfs-soak:%d:%d" % (master, index)).getrandbits(48)


class RunFailure(Exception):
    """A run cannot go on (hang, crash, an unexpected exception)."""


class Hang(RunFailure):
    """A command printed no prompt within its time limit."""


class Timeouts:
    def __init__(self, run_deadline):
        self.run_deadline = run_deadline

    def deadline(self, seconds=COMMAND_TIMEOUT):
        return min(time.monotonic() + seconds, self.run_deadline)


class Shell(shells.InteractiveShell):
    """InteractiveShell whose reads never block past a deadline (a hang is reported, not
    waited for forever): stdout is read with select + os.read on the raw descriptor."""

    timeouts = None  # set per run

    def __init__(self, args, label):
        self.label = label
        self.args = list(args)
        super().__init__(args)

    def wait_prompt(self, timeout=COMMAND_TIMEOUT):
        deadline = self.timeouts.deadline(timeout)
        fd = self.proc.stdout.fileno()
        while not self.buffer.endswith(b"]%"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Hang("%s: hang: no prompt within the time limit; output so far %r"
                                 % (self.label, self.buffer[-300:]))
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.proc.wait(5)
                raise RunFailure("%s: shell exited (status %s); output so far %r; stderr %r"
                                 % (self.label, self.proc.returncode, self.buffer[-300:],
                                    self.stderr()[-600:]))
            self.buffer += chunk
        out, self.buffer = self.buffer, b""
        return out

    def write(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def exit_status(self):
        """Sends `exit`; returns the exit status (None if it does not exit in 10 s)."""
        try:
            self.write("exit")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait(5)
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)


class TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__(use_builtin_types=True)
        self.timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


def proxy(port, timeout=5.0):
    return xmlrpc.client.ServerProxy("http://127.0.0.1:%d" % port, use_builtin_types=True,
                                     transport=TimeoutTransport(timeout))


def read_server(port, count):
    """Every block of one server; a block answering a fault (checksum) is None."""
    p = proxy(port)
    blocks = []
    for n in range(count):
        try:
            blocks.append(bytes(p.Get(n)))
        except xmlrpc.client.Fault:
            blocks.append(None)
    return blocks


def xor(blocks, size):
    acc = bytearray(size)
    for block in blocks:
        for i, byte in enumerate(block):
            acc[i] ^= byte
    return bytes(acc)


def random_text(rng, size):
    words = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return rng.choice("_-.+").join(words)[:size]


def build_dir_of(option):
    """The build directory holding bin/: the option, else $MEMORYFS_BUILD_DIR, else build/."""
    return Path(option or os.environ.get("MEMORYFS_BUILD_DIR", REPO_ROOT / "build")).resolve()


def missing_binaries(build_dir):
    """The names of the programs a soak runs that are not built in build_dir."""
    return [b for b in ("memoryfs_server", "memoryfs_shell_rpc")
            if not os.access(build_dir / "bin" / b, os.X_OK)]


def master_seed(option):
    """The master seed: the option, else a random one (printed by the caller)."""
    return option if option is not None else random.SystemRandom().getrandbits(32)
