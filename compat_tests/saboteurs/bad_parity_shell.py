#!/usr/bin/env python3
"""Saboteur (c): a RAID shell whose parity is wrong in the last byte of every block, like
parity computed over unpadded data. ``bad_parity_shell.py REAL_SHELL FLAGS...`` with
``-ns N -startport P`` (N > 1) starts N forwarders in front of the servers P..P+N-1 and runs
REAL_SHELL (ours: it takes ``-servers``) through them. The forwarder of server i flips the
last byte of each Put of a row whose parity is on server i (left-asymmetric layout, as in
docs: parity of row r on server N-1 - r mod N). Single server: REAL_SHELL unchanged."""

import os
import subprocess
import sys

import forwarding


def main():
    real, args = sys.argv[1], sys.argv[2:]
    n = forwarding.flag(args, "-ns", 1)
    if n <= 1 or "-startport" not in args:
        os.execv(real, [real, *args])
    start = forwarding.flag(args, "-startport")

    def rewriter(i):
        def rewrite(method, params):
            if method == "Put" and (n - 1) - (params[0] % n) == i:
                data = bytearray(params[1])
                data[-1] ^= 0xFF
                return ("forward", (params[0], bytes(data)))
            return None
        return rewrite

    ports = []
    for i in range(n):
        port = forwarding.free_port()
        forwarding.serve(port, start + i, rewriter(i), background=True)
        ports.append(port)
    i = args.index("-startport")
    rest = args[:i] + args[i + 2:]
    servers = ",".join("127.0.0.1:%d" % p for p in ports)
    sys.exit(subprocess.call([real, *rest, "-servers", servers]))


if __name__ == "__main__":
    main()
