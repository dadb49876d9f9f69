#!/usr/bin/env python3
"""Saboteur (b): a shell that prints its failure message on every access. ``chatty_shell.py
REAL_SHELL FLAGS...`` runs REAL_SHELL and passes its output through; once it has printed a
``SERVER_DISCONNECTED`` line, that line is printed again before every later prompt."""

import re
import subprocess
import sys

EVENT = re.compile(rb"SERVER_DISCONNECTED[^\n]*\n")
PROMPT = re.compile(rb"\[cwd=\d+\]%$")


def main():
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
    out = sys.stdout.buffer
    message = armed = None  # armed: the message to repeat before this command's prompt
    pending = b""
    for chunk in iter(lambda: proc.stdout.read1(65536), b""):
        pending += chunk
        found = EVENT.search(pending)
        if found:
            message = found.group(0)
        m = PROMPT.search(pending)
        if m:
            if armed:
                pending = pending[:m.start()] + armed + pending[m.start():]
            out.write(pending)
            pending, armed = b"", message
        elif b"\n" in pending:
            cut = pending.rindex(b"\n") + 1
            out.write(pending[:cut])
            pending = pending[cut:]
        out.flush()
    out.write(pending)
    out.flush()
    sys.exit(proc.wait())


if __name__ == "__main__":
    main()
