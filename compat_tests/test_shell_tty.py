"""Our shell at a real terminal (a pseudo-terminal it controls, as under xterm or ssh): line
editing with libedit, Up/Down history, Ctrl-C dropping the line being typed, Ctrl-D on an
empty line exiting with 0, the terminal's mode put back. Ours: the reference reads with
input(). And the same keys when stdin or stdout is not a terminal: read as bytes, exactly as
today (the golden tests' rule). Standard library only; every wait has a deadline."""

import fcntl
import os
import select
import signal
import subprocess
import termios
import time

import pytest

import shells

DEADLINE = 10.0  # seconds for any one expected output
UP, BACKSPACE, CTRL_C, CTRL_D = b"\x1b[A", b"\x7f", b"\x03", b"\x04"


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


def _take_terminal():
    """In the child, after setsid(): its stdin, the pty's slave, becomes its terminal, so that
    Ctrl-C typed on the master raises SIGINT in it."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class TtyShell:
    """memoryfs_shell_rpc with stdin, stdout and stderr on one pseudo-terminal."""

    def __init__(self, args, home, env=None, stdout=None):
        master, slave = os.openpty()
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith("MEMORYFS_LINE") and k != "MEMORYFS_HISTORY"}
        environment.update(TERM="xterm", HOME=str(home), **(env or {}))
        self.proc = subprocess.Popen(
            [str(shells.shell_path()), *map(str, args)], stdin=slave,
            stdout=slave if stdout is None else stdout, stderr=slave, env=environment,
            start_new_session=True, preexec_fn=_take_terminal)
        os.close(slave)
        self.master = master
        self.shown = b""

    def mark(self):
        """Where the next wait_for() starts looking."""
        return len(self.shown)

    def wait_for(self, text, start=0):
        """Reads the terminal until ``text`` shows at or after ``start``; returns what showed
        from ``start``."""
        deadline = time.monotonic() + DEADLINE
        while text not in self.shown[start:]:
            left = deadline - time.monotonic()
            assert left > 0, "no %r; the terminal shows %r" % (text, self.shown[start:])
            if not select.select([self.master], [], [], left)[0]:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the shell has exited and the terminal is closed
                chunk = b""
            assert chunk, "shell gone; the terminal shows %r" % self.shown[start:]
            self.shown += chunk
        return self.shown[start:]

    def type(self, keys):
        os.write(self.master, keys)

    def enter(self, keys, prompt=b"[cwd=0]%"):
        """Types ``keys`` (ending in Enter) and waits for the next prompt; returns what showed."""
        start = self.mark()
        self.type(keys)
        return self.wait_for(prompt, start)

    def mode(self):
        return termios.tcgetattr(self.master)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self.master)


@pytest.fixture
def tty_shell(start_server, tmp_path):
    """start(env=None, stdout=None) -> a TtyShell (-cid 0) on this test's server, at its
    first prompt unless stdout is redirected; ``start.server`` is that server. HOME is the
    test's tmp_path, so that a history file lands there."""
    made = []

    def start(env=None, stdout=None):
        shell = TtyShell(["-cid", 0, "-port", start.server.port], tmp_path, env, stdout)
        made.append(shell)
        if stdout is None:
            shell.wait_for(b"[cwd=0]%")
        return shell

    start.server = start_server("cpp", nb=256, bs=128)
    yield start
    for shell in made:
        shell.close()


def names_on(server):
    """What ls shows in the root afterwards, from a shell over a pipe (-rootinit 0 keeps it)."""
    result = shells.run_shell(["-cid", 0, "-port", server.port, "-rootinit", 0], "ls\n",
                              timeout=DEADLINE)
    assert result.returncode == 0
    return result.stdout


def test_up_arrow_recalls_a_line_to_edit(tty_shell):
    shell = tty_shell()
    shell.enter(b"create alpha1\r")
    shown = shell.enter(UP + BACKSPACE + b"2\r")  # "create alpha1", edited to "create alpha2"
    assert b"not valid" not in shown
    shown = shell.enter(b"ls\r")
    assert b"alpha1" in shown and b"alpha2" in shown
    assert b"\x1b[A" not in shown  # the arrow was a key, never text of the line
    shell.type(CTRL_D)
    assert shell.proc.wait(DEADLINE) == 0
    listing = names_on(tty_shell.server)
    assert b"alpha1" in listing and b"alpha2" in listing


def test_ctrl_c_drops_the_line_being_typed_and_the_shell_goes_on(tty_shell):
    shell = tty_shell()
    start = shell.mark()
    shell.type(b"create gamma")
    shell.wait_for(b"gamma", start)
    shell.type(CTRL_C)
    after = shell.wait_for(b"[cwd=0]%", shell.mark())  # a fresh prompt ...
    assert b"\n" in after.split(b"[cwd=0]%")[0]  # ... on a new line
    assert shell.proc.poll() is None  # still running
    shown = shell.enter(b"create delta\r")
    assert b"not valid" not in shown
    shown = shell.enter(b"ls\r")
    assert b"delta" in shown and b"gamma" not in shown
    shown = shell.enter(UP + UP + b"\r")  # the history has no trace of the dropped line
    assert b"gamma" not in shown
    shell.type(CTRL_D)
    assert shell.proc.wait(DEADLINE) == 0
    assert b"gamma" not in names_on(tty_shell.server)


def test_ctrl_d_on_an_empty_line_exits_0_and_puts_the_terminal_back(tty_shell):
    shell = tty_shell()
    assert not shell.mode()[3] & termios.ICANON  # key by key, from before the prompt shows
    shell.type(b"ls" + CTRL_D)  # on a line with text, Ctrl-D ends nothing
    time.sleep(0.3)
    assert shell.proc.poll() is None
    shell.enter(BACKSPACE + BACKSPACE + b"\r")
    start = shell.mark()
    shell.type(CTRL_D)
    shell.wait_for(b"\n", start)  # the user's own shell prompt will start on a fresh line
    assert shell.proc.wait(DEADLINE) == 0
    assert shell.mode()[3] & termios.ICANON and shell.mode()[3] & termios.ECHO


def test_sigterm_at_the_prompt_exits_as_before_with_the_terminal_put_back(tty_shell):
    shell = tty_shell()
    shell.proc.send_signal(signal.SIGTERM)
    assert shell.proc.wait(DEADLINE) == 128 + signal.SIGTERM
    lflag = shell.mode()[3]
    assert lflag & termios.ICANON and lflag & termios.ECHO


def test_stopped_and_continued_the_line_is_edited_key_by_key_again(tty_shell):
    """Ctrl-Z then fg: the job-control shell has set its own (line) mode meanwhile."""
    shell = tty_shell()
    editing = shell.mode()
    shell.proc.send_signal(signal.SIGSTOP)
    cooked = list(editing)
    cooked[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(shell.master, termios.TCSANOW, cooked)
    shell.proc.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + DEADLINE
    while shell.mode()[3] & termios.ICANON:
        assert time.monotonic() < deadline, "still in the terminal's line mode"
        time.sleep(0.01)
    shown = shell.enter(b"lx" + BACKSPACE + b"s\r")
    assert b"not valid" not in shown
    shell.type(CTRL_D)
    assert shell.proc.wait(DEADLINE) == 0


def test_ctrl_c_while_waiting_for_the_lock_stops_the_shell(tty_shell):
    """As over a pipe (test_shell_cli): a command waiting for a lock never released is
    abandoned and the shell exits 130; Ctrl-C cancels lines only at the prompt."""
    shell = tty_shell()
    proxy = tty_shell.server.proxy()
    assert proxy.RSM(0)[0] == 0  # another client holds the lock and never lets go
    shell.type(b"create late\r")
    time.sleep(0.3)
    assert shell.proc.poll() is None  # waiting inside Acquire
    shell.type(CTRL_C)
    assert shell.proc.wait(DEADLINE) == 128 + signal.SIGINT
    assert shell.mode()[3] & termios.ICANON
    proxy.Put(0, bytes(128))
    assert b"late" not in names_on(tty_shell.server)


def test_stdout_not_a_terminal_means_no_editing_and_todays_bytes(tty_shell):
    """stdin a terminal, stdout redirected (a transcript): the prompts go to stdout as
    today, the arrow is three bytes of a command, as the reference reads it."""
    read_end, write_end = os.pipe()
    shell = tty_shell(stdout=write_end)
    os.close(write_end)
    shell.type(UP + b"\rexit\r")
    assert shell.proc.wait(DEADLINE) == 0
    with os.fdopen(read_end, "rb") as out:
        assert out.read() == b"[cwd=0]%command \x1b[A not valid.\n\n[cwd=0]%"


def test_line_editing_off_reads_the_terminal_as_bytes(tty_shell):
    shell = tty_shell(env={"MEMORYFS_LINE_EDITING": "0"})
    assert shell.mode()[3] & termios.ICANON  # the terminal's own line mode, untouched
    shown = shell.enter(UP + b"\r")
    assert b"command \x1b[A not valid." in shown


@pytest.mark.parametrize("line", [UP, UP + BACKSPACE + b"x", CTRL_C, CTRL_D])
def test_piped_keys_are_bytes_of_a_command_as_in_the_reference(start_server, line):
    server = start_server("cpp", nb=256, bs=128)
    result = shells.run_shell(["-cid", 0, "-port", server.port], line + b"\n",
                              timeout=DEADLINE)
    assert result.returncode == 0
    assert result.stdout == b"[cwd=0]%command " + line + b" not valid.\n\n[cwd=0]%"


def test_history_file_carries_lines_to_the_next_session(tty_shell, tmp_path):
    shell = tty_shell()
    shell.enter(b"create kept1\r")
    shell.type(CTRL_D)
    assert shell.proc.wait(DEADLINE) == 0
    assert (tmp_path / ".memoryfs_history").is_file()  # $HOME/.memoryfs_history
    again = tty_shell()
    shown = again.enter(UP + BACKSPACE + b"2\r")
    assert b"not valid" not in shown
    again.type(CTRL_D)
    assert again.proc.wait(DEADLINE) == 0
    assert b"kept2" in names_on(tty_shell.server)


def test_empty_memoryfs_history_writes_no_file(tty_shell, tmp_path):
    shell = tty_shell(env={"MEMORYFS_HISTORY": ""})
    shell.enter(b"ls\r")
    shell.type(CTRL_D)
    assert shell.proc.wait(DEADLINE) == 0
    assert list(tmp_path.iterdir()) == []
