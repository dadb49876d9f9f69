#!/usr/bin/env python3
"""Saboteur (c): a RAID shell whose parity is wrong in the last byte of every block, like
parity computed over unpadded data. ``bad_parity_shell.py REAL_SHELL FLAGS...`` with
``-ns N -startport P`` (N > 1) starts N forwarders in front of the servers P..P+N-1 and runs
REAL_SHELL (ours: it takes ``-servers``) through them. The forwarder of server i flips the
last byte of each Put of a row whose parity is on server i (left-asymmetric layout, as in
docs: parity of row r on server N-1 - r mod N). Single server: REAL_SHELL unchanged."""

import sys

import forwarding


def main():
    real, args = sys.argv[1], sys.argv[2:]
    n = forwarding.flag(args, "-ns", 1)

    def rewriter(i):
        def rewrite(method, params):
            if method == "Put" and (n - 1) - (params[0] % n) == i:
                data = bytearray(params[1])
                data[-1] ^= 0xFF
                return ("forward", (params[0], bytes(data)))
            return None
        return rewrite

    forwarding.run_shell_through(real, args, rewriter)


if __name__ == "__main__":
    main()
