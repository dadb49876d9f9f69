#!/usr/bin/env python3
"""Saboteur (a): a block server that loses every tenth Put. ``drop_puts_server.py REAL_SERVER
-nb NB -bs BS -port P ...`` starts REAL_SERVER with the same flags on another port and serves
P itself, forwarding every call except each tenth Put, which it answers 0 without storing."""

import subprocess
import sys

import forwarding


def main():
    real, args = sys.argv[1], sys.argv[2:]
    port = forwarding.flag(args, "-port")
    upstream = forwarding.free_port()
    proc = subprocess.Popen([real, *forwarding.replace_flag(args, "-port", upstream)])
    forwarding.wait_listening(upstream, proc)
    count = [0]

    def rewrite(method, params):
        if method == "Put":
            count[0] += 1
            if count[0] % 10 == 0:
                return ("answer", 0)
        return None

    try:
        forwarding.serve(port, upstream, rewrite)
    finally:
        proc.kill()


if __name__ == "__main__":
    main()
