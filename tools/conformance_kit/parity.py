"""The parity rule, without assuming any layout: between commands, the XOR of every physical
row (block r of every server) is zero -- the lock's row included, with no exception.

Why the lock needs none: the lock block sits in one row, outside parity (the assignment). The
kit reads the servers only between commands, when the shell has released the lock, and a
released lock is BS zero bytes in both editions (the release is a Put of zeros, 2022 block 0,
2023 block nb-1), so it adds nothing to its row's XOR, wherever it is. An implementation that
keeps the lock consistently inside parity passes too. What fails is the classic bug: lock
traffic going through the parity path (the release's parity update computed against the 0x01
bytes RSM left), after which the lock's row XORs to BS bytes of 0x01 while the lock is free;
such a row is reported with that hint. (A row XORing to 0x01 bytes cannot be excused as "a lock
still held": a shell that left the lock held between commands would hang its next command, and a
wrong parity of 0x01 bytes over zero data looks exactly the same.)

Blocks the kit cannot read (None: a -cblk block) make their row unverifiable; such rows are
skipped, never reported."""


def xor_rows(physical, bs):
    """Per row: the XOR of the row's blocks, or None when a block is unreadable."""
    result = []
    for r in range(len(physical[0])):
        acc = bytearray(bs)
        for server in physical:
            block = server[r]
            if block is None:
                acc = None
                break
            for i, byte in enumerate(bytes(block).ljust(bs, b"\0")[:bs]):
                acc[i] ^= byte
        result.append(acc)
    return result


def parity_errors(physical, bs):
    """(bad rows, a readable description of the first) -- ([], "") when consistent."""
    rows = xor_rows(physical, bs)
    bad = [r for r, acc in enumerate(rows) if acc is not None and any(acc)]
    if not bad:
        return [], ""
    r, acc = bad[0], rows[bad[0]]
    first = next(i for i, b in enumerate(acc) if b)
    hint = (" -- it XORs to 0x01 bytes: lock traffic through the parity path?"
            if bytes(acc) == b"\x01" * bs else "")
    return bad, ("row %d of the servers XORs to non-zero (first at byte %d; %d bad rows of %d: "
                 "%s)%s" % (r, first, len(bad), len(physical[0]), bad[:8], hint))
