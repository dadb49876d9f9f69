#!/usr/bin/env python3
"""Reference block server, written from the course protocol's specification, not from course
code (docs/protocol.md describes the wire contract).

It behaves like the course's Python ``memoryfs_server.py`` on the wire, so that the C++
server can be compared with it request by request:

* XML-RPC over HTTP/1.0 on ``127.0.0.1:PORT``, path ``/RPC2`` only (others: HTTP 404,
  non-POST: HTTP 501), single-threaded, one connection per call.
* Exactly three methods: ``Get(n)`` -> base64, ``Put(n, data)`` -> int 0, ``RSM(n)`` ->
  base64 (old contents; the block then becomes ``bs`` bytes of 0x01).
* Blocks live in a Python list of ``bytearray(bs)``, so every error is the one Python
  raises by itself and travels as fault code 1 ``<class 'X'>:message``:
  ``IndexError: list index out of range`` (Get/RSM), ``list assignment index out of range``
  (Put), negative numbers index from the end, Put stores data of any length unchanged,
  unknown methods answer ``<class 'Exception'>:method "X" is not supported``.
* Flags ``-nb``, ``-bs``, ``-port`` (integers). A missing flag prints
  ``Must specify total number of blocks`` / ``Must specify block size`` /
  ``Must specify port number`` (checked in that order) and exits with status 1.
* Once listening it prints ``Running block server with nb=NB, bs=BS on port PORT``.

Our additions (not in the course server):

* ``-cblk N``: ``Get(N)`` and ``RSM(N)`` answer the XML-RPC fault code 1 with faultString
  exactly ``CHECKSUM_ERROR N`` and leave the block untouched, emulating the decay of block N
  (used to put a Python server into mixed RAID arrays). ``Put(N, ...)`` still works, but the
  block stays "decayed".
* SIGINT and SIGTERM stop the server with exit status 0 (the course server dies with a
  traceback on Ctrl-C).

The 2023 edition's ``blockserver.py`` is the same server plus ``-delayat K`` (spec
edition2023.md): every K-th Get/Put/RSM does its work and then sleeps before it is answered
(10 s; ``-delay_ms`` is our addition so that tests stay fast). Being single-threaded, the
whole server stalls meanwhile.
"""

import argparse
import signal
import sys
import time
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

MISSING_FLAG_MESSAGES = (
    ("nb", "Must specify total number of blocks"),
    ("bs", "Must specify block size"),
    ("port", "Must specify port number"),
)


class RequestHandler(SimpleXMLRPCRequestHandler):
    """HTTP/1.0 handler that accepts XML-RPC on /RPC2 only."""

    rpc_paths = ("/RPC2",)


# The server state, set once by main(): a list of nb bytearrays of bs bytes, and the decayed
# block (-cblk) or None. Plain module-level functions (as a course student writes them) keep
# Python's own TypeError texts, e.g. "Get() missing 1 required positional argument".
BLOCKS = []
BLOCK_SIZE = 0
DECAYED_BLOCK = None
DELAY_AT = 0  # -delayat K: every K-th counted request sleeps DELAY_S before answering
DELAY_S = 10.0
REQUESTS = 0


def _count_request():
    """Count a Get/Put/RSM; the K-th (with -delayat K) sleeps before it is answered."""
    global REQUESTS
    REQUESTS += 1
    if DELAY_AT and REQUESTS % DELAY_AT == 0:
        time.sleep(DELAY_S)


def _check_decay(block_number):
    """Raise the CHECKSUM_ERROR fault when ``block_number`` is the decayed block."""
    if DECAYED_BLOCK is not None and block_number == DECAYED_BLOCK:
        raise xmlrpc.client.Fault(1, "CHECKSUM_ERROR %d" % DECAYED_BLOCK)


def Get(block_number):
    """Return the stored block (IndexError when out of range)."""
    _count_request()
    result = BLOCKS[block_number]
    _check_decay(block_number)
    return result


def Put(block_number, data):
    """Store ``data`` unchanged (any length) and return 0."""
    _count_request()
    BLOCKS[block_number] = data
    return 0


def RSM(block_number):
    """Return the old block, then set it to ``bs`` bytes of 0x01."""
    _count_request()
    result = BLOCKS[block_number]
    _check_decay(block_number)
    BLOCKS[block_number] = bytearray(b"\x01" * BLOCK_SIZE)
    return result


def parse_flags(argv):
    """Parse the command line; print the course's message and exit 1 if a flag is missing."""
    parser = argparse.ArgumentParser(description="Reference memoryfs block server")
    parser.add_argument("-nb", "--total_num_blocks", dest="nb", type=int,
                        help="total number of blocks")
    parser.add_argument("-bs", "--block_size", dest="bs", type=int, help="block size in bytes")
    parser.add_argument("-port", "--port", dest="port", type=int, help="TCP port")
    parser.add_argument("-cblk", "--corrupt_block", dest="cblk", type=int, default=None,
                        help="(our addition) block whose Get/RSM answer CHECKSUM_ERROR")
    parser.add_argument("-delayat", "--delayat", dest="delayat", type=int, default=0,
                        help="(blockserver.py) every K-th request sleeps before answering")
    parser.add_argument("-delay_ms", dest="delay_ms", type=int, default=10000,
                        help="(our addition) the -delayat sleep in ms")
    args = parser.parse_args(argv)
    for name, message in MISSING_FLAG_MESSAGES:
        if getattr(args, name) is None:
            print(message, flush=True)
            sys.exit(1)
    return args


def _exit_cleanly(signum, frame):
    """Signal handler: leave serve_forever() and exit with status 0."""
    sys.exit(0)


def main(argv=None):
    """Run the server until SIGINT/SIGTERM."""
    global BLOCKS, BLOCK_SIZE, DECAYED_BLOCK, DELAY_AT, DELAY_S
    args = parse_flags(argv)
    DELAY_AT = args.delayat or 0
    DELAY_S = args.delay_ms / 1000.0
    BLOCKS = [bytearray(args.bs) for _ in range(args.nb)]
    BLOCK_SIZE = args.bs
    DECAYED_BLOCK = args.cblk
    server = SimpleXMLRPCServer(("127.0.0.1", args.port), requestHandler=RequestHandler,
                                use_builtin_types=True, logRequests=False)
    for function in (Get, Put, RSM):
        server.register_function(function)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    print("Running block server with nb=%d, bs=%d on port %d" % (args.nb, args.bs, args.port),
          flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
