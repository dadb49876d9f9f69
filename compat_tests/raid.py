"""RAID-5 test helpers: the layout re-implemented independently in Python (from the spec),
N real servers started for one shell, and checks on the physical blocks they hold."""

import time

import shells


def data_location(v, n):
    """(server, physical block) of virtual block v with n servers (left-asymmetric)."""
    d_per_stripe = n - 1
    stripe = v // d_per_stripe
    parity = (n - 1) - (stripe % n)
    d = v % d_per_stripe
    if d >= parity:
        d += 1
    return d, stripe


def first_block_on(server, n, end, start=1):
    """The first virtual block in [start, end) whose data is on `server` (block 0, the 2022
    lock, is skipped by default): one to read to make a shell meet that server's failure."""
    return next(v for v in range(start, end) if data_location(v, n)[0] == server)


def meet_failure(shell, server, n, nb, start=1):
    """Reads, through ``shell`` (an InteractiveShell on N = n servers of nb virtual blocks),
    the first block from ``start`` on whose data is on ``server``: the shell meets that
    server's failure. Returns what the shell printed."""
    return shell.send("showblockslice %d 0 1" % first_block_on(server, n, nb, start))


def parity_server(stripe, n):
    return (n - 1) - (stripe % n)


def server_blocks(nb, n):
    return -(-nb // (n - 1))


class RaidServers:
    """N servers of one kind (or a list of kinds) for a shell with -nb nb -bs bs."""

    def __init__(self, pool, n, nb, bs, kinds="cpp", extra_args=None, lock_block=0):
        """lock_block: the virtual block of the lock, outside parity (0 in 2022, nb-1 in
        2023)."""
        self.n, self.nb, self.bs = n, nb, bs
        self.lock_slot = data_location(lock_block, n)
        kinds = [kinds] * n if isinstance(kinds, str) else list(kinds)
        extra_args = extra_args or {}
        self.servers = [pool.start(kinds[i], nb=server_blocks(nb, n), bs=bs,
                                   extra_args=extra_args.get(i, ()))
                        for i in range(n)]

    def shell_args(self, *extra):
        """Shell flags for this array; -nb/-bs are added unless extra has them."""
        servers = ",".join("127.0.0.1:%d" % s.port for s in self.servers)
        geometry = [] if "-nb" in extra else ["-nb", self.nb, "-bs", self.bs]
        return ["-ns", self.n, "-servers", servers, *geometry, *extra]

    def timed_repair(self, shell, server):
        """Kills ``server``, lets ``shell`` meet its failure, starts it again blank and runs
        ``repair server``: (seconds the repair took, what the shell printed for it)."""
        self.servers[server].kill()
        meet_failure(shell, server, self.n, self.nb)
        self.servers[server].start()  # blank
        started = time.monotonic()
        out = shell.send("repair %d" % server)
        return time.monotonic() - started, out

    def physical(self):
        """Every server's blocks (all servers must be up)."""
        return [shells.read_blocks(s.port, server_blocks(self.nb, self.n)) for s in self.servers]

    def virtual_image(self, physical=None):
        """The virtual blocks, read from the data servers (all up) via the layout."""
        physical = physical or self.physical()
        blocks = []
        for v in range(self.nb):
            server, block = data_location(v, self.n)
            blocks.append(physical[server][block])
        return blocks

    def parity_errors(self, physical=None):
        """Stripes whose XOR is not zero (the lock block excluded)."""
        physical = physical or self.physical()
        bad = []
        for stripe in range(server_blocks(self.nb, self.n)):
            acc = bytearray(self.bs)
            for server in range(self.n):
                if (server, stripe) == self.lock_slot:
                    continue
                for i, byte in enumerate(physical[server][stripe]):
                    acc[i] ^= byte
            if any(acc):
                bad.append(stripe)
        return bad

    def loads(self):
        """Per server, its Stats (our servers only)."""
        return [s.proxy().Stats() for s in self.servers]
