#!/usr/bin/env python3
"""The kit's own block server, used when only a shell is tested (no --server): the course
server's behaviour (SimpleXMLRPCServer on 127.0.0.1, single-threaded, Get/Put/RSM, Python's
own IndexError faults) plus the RAID assignment's ``-cblk B`` (Get/RSM of block B answer the
fault ``CHECKSUM_ERROR B``) and a checksum of every block, verified on Get and RSM.
Also accepts ``-delayat K`` (ignored unless K > 0: each K-th request sleeps 10 s).

    refserver.py -nb NB -bs BS -port P [-cblk B] [-delayat K]
"""

import argparse
import hashlib
import time
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer


class Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2",)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    for name in ("nb", "bs", "port"):
        parser.add_argument("-" + name, type=int, required=True)
    parser.add_argument("-cblk", type=int, default=None)
    parser.add_argument("-delayat", type=int, default=0)
    args = parser.parse_args()
    blocks = [bytearray(args.bs) for _ in range(args.nb)]
    sums = [hashlib.md5(b).digest() for b in blocks]
    count = [0]

    def tick():
        count[0] += 1
        if args.delayat and count[0] % args.delayat == 0:
            time.sleep(10)

    def checked(n):
        if args.cblk is not None and n == args.cblk:
            raise Exception("CHECKSUM_ERROR %d" % n)
        if hashlib.md5(blocks[n]).digest() != sums[n]:
            raise Exception("CHECKSUM_ERROR %d" % n)
        return blocks[n]

    def Get(n):
        data = bytes(checked(n))
        tick()
        return data

    def Put(n, data):
        blocks[n] = bytearray(data)
        sums[n] = hashlib.md5(blocks[n]).digest()
        tick()
        return 0

    def RSM(n):
        old = bytes(checked(n))
        blocks[n] = bytearray(b"\x01" * args.bs)
        sums[n] = hashlib.md5(blocks[n]).digest()
        tick()
        return old

    server = SimpleXMLRPCServer(("127.0.0.1", args.port), Handler, logRequests=False,
                                use_builtin_types=True)
    for function in (Get, Put, RSM):
        server.register_function(function)
    print("Running block server with nb=%d, bs=%d on port %d" % (args.nb, args.bs, args.port),
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
