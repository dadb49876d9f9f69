#!/usr/bin/env python3
"""Saboteur (d): a block server that ignores ``-cblk``. ``ignore_cblk_server.py REAL_SERVER
FLAGS...`` runs REAL_SERVER with FLAGS minus ``-cblk B``."""

import os
import sys


def main():
    real, args = sys.argv[1], sys.argv[2:]
    if "-cblk" in args:
        i = args.index("-cblk")
        del args[i:i + 2]
    os.execv(real, [real, *args])


if __name__ == "__main__":
    main()
