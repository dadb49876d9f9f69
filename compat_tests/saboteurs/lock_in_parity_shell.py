#!/usr/bin/env python3
"""Saboteur (e): the classic lock bug of course implementations (2022 edition). The lock
(virtual block 0: server 0, row 0) is set by RSM directly on server 0, but its release goes
through the RAID write path: parity of row 0 += old XOR new, with "old" the 0x01 bytes RSM left.
So every release flips row 0's parity by 0x01 bytes; at rest it is right after an even number of
lock cycles and wrong after an odd one.

``lock_in_parity_shell.py REAL_SHELL FLAGS...`` with ``-ns N -startport P`` (N > 1) puts
forwarders in front of the servers and runs REAL_SHELL (ours: ``-servers``) through them; the
forwarder of server 0 applies the parity update of each Put to row 0 to server N-1 (row 0's
parity server in the left-asymmetric layout). Single server: REAL_SHELL unchanged."""

import sys
import xmlrpc.client

import forwarding


def main():
    real, args = sys.argv[1], sys.argv[2:]
    n = forwarding.flag(args, "-ns", 1)
    start = forwarding.flag(args, "-startport", 0)
    url = lambda i: "http://127.0.0.1:%d" % (start + i)

    def lock_through_parity(method, params):
        if method == "Put" and params[0] == 0:
            old = xmlrpc.client.ServerProxy(url(0), use_builtin_types=True).Get(0)
            parity = xmlrpc.client.ServerProxy(url(n - 1), use_builtin_types=True)
            block = parity.Get(0)
            new = bytes(params[1]).ljust(len(block), b"\0")
            parity.Put(0, bytes(a ^ b ^ c for a, b, c in zip(block, old, new)))
        return None

    forwarding.run_shell_through(
        real, args, lambda i: lock_through_parity if i == 0 else (lambda m, p: None))


if __name__ == "__main__":
    main()
