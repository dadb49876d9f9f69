"""The RAID messages a shell prints on stdout, and their format in each edition.

2022: ``SERVER_DISCONNECTED <PUT|GET|RSM> <server id>``, ``CORRUPTED_BLOCK <virtual block>``.
2023: ``SERVER_DISCONNECTED <PUT|GET> <block number>`` (a request for no block, e.g. an
implementation's own bookkeeping, may name ``server <id>``), ``CORRUPTED_BLOCK <block>``.
A corrupted parity block has no standard text: any line starting ``CORRUPTED_BLOCK``."""

import re

EVENT = re.compile(rb"((?:SERVER_DISCONNECTED|CORRUPTED_BLOCK)[^\n]*)\n")
DISCONNECT = {
    "2022": re.compile(r"SERVER_DISCONNECTED (PUT|GET|RSM) (\d+)"),
    "2023": re.compile(r"SERVER_DISCONNECTED (PUT|GET|RSM) (\d+|server \d+)"),
}
CORRUPTED = re.compile(r"CORRUPTED_BLOCK (\d+)")


def split(out):
    """(the event lines, the output without them)."""
    return [m.group(1).decode(errors="replace") for m in EVENT.finditer(out)], EVENT.sub(b"", out)


def disconnect_problem(edition, event, server=None):
    """None when ``event`` is a well-formed SERVER_DISCONNECTED (2022: naming ``server``)."""
    m = DISCONNECT[edition].fullmatch(event)
    if not m:
        return "%r is not '%s'" % (event, "SERVER_DISCONNECTED PUT|GET|RSM <server id>"
                                   if edition == "2022" else
                                   "SERVER_DISCONNECTED PUT|GET <block number>")
    if edition == "2022" and server is not None and int(m.group(2)) != server:
        return "%r names server %s, but server %d was the one stopped" % (event, m.group(2),
                                                                         server)
    if edition == "2023" and m.group(2).startswith("server") and server is not None \
            and int(m.group(2).split()[1]) != server:
        return "%r names another server than %d" % (event, server)
    return None
