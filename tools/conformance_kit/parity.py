"""The parity rule, without assuming any layout: the XOR of every physical row (block r of
every server) must be zero.

The lock block sits in one row. Between commands the lock is free, and a free lock is BS zero
bytes in both editions (release = Put of zeros), so it adds nothing to its row's XOR: a
correct implementation passes with no exception at all, whether it keeps the lock outside
parity or inside it. The one allowed exception is a lock still *held* (BS bytes of 0x01):
a row whose XOR is exactly BS bytes of 0x01 while one of its blocks is exactly BS bytes of
0x01 passes (the lock's block, outside parity), at most one such row. Unreadable blocks
(None: -cblk) make their row unverifiable; such rows are reported apart, never as errors."""


def xor_rows(physical, bs):
    """Per row: the XOR of the row's blocks, or None when a block is unreadable."""
    rows = len(physical[0])
    result = []
    for r in range(rows):
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
    """(bad rows, a readable description of the first) -- empty list when consistent."""
    held = b"\x01" * bs
    bad, lock_rows = [], []
    for r, acc in enumerate(xor_rows(physical, bs)):
        if acc is None or not any(acc):
            continue
        if bytes(acc) == held and any(server[r] == held for server in physical):
            lock_rows.append(r)
            continue
        bad.append(r)
    if len(lock_rows) > 1:
        bad += lock_rows[1:]
    if not bad:
        return [], ""
    r = bad[0]
    acc = xor_rows([[s[r]] for s in physical], bs)[0]
    first = next(i for i, b in enumerate(acc) if b)
    return bad, ("row %d of the servers XORs to non-zero (first at byte %d; %d bad rows of %d: "
                 "%s)" % (r, first, len(bad), len(physical[0]), bad[:8]))
