"""faults.nN.*: the shell over N servers while servers fail, compared with the same
implementation's healthy run of the same command sequence (outputs) and its final blocks.

The sequence (``SEQUENCE``) writes four files of whole blocks (every server holds data that
the later commands read), with ``-nb 384 -bs 128 -is 64 -ni 16 -cid 0``. Messages
(events.py) are set aside before outputs are compared and are checked on their own.

The lock's server is never failed where the assignment says it may be assumed up: in 2023
the shell names it (``RSM server X``); in 2022 every server is killed in turn, server 0
(the lock's) included, and only the hang and double-fault checks spare it."""

import re

from . import events
from .parity import parity_errors
from .rpc import read_blocks
from .results import Check, Failed, Skipped, require, require_equal
from .target import Session, start_servers

NB, BS = 384, 128
FS = ["-nb", NB, "-bs", BS, "-is", 64, "-ni", 16, "-cid", 0]


def text(seed, size):
    return "".join(chr(97 + (seed * 7 + i * 5 + i // 26) % 26) for i in range(size))


def appends(name, body, step=256):
    return ["append %s %s" % (name, body[i:i + step]) for i in range(0, len(body), step)]


F1, F2, G, F3 = text(1, 1280), text(2, 600), text(3, 384), text(4, 768)
MORE1, MORE2 = text(5, 100), text(6, 50)
BEFORE = (["mkdir d", "create f1", *appends("f1", F1), "create f2", *appends("f2", F2),
           "cd d", "create g", *appends("g", G), "cd /", "ls", "cat f1", "cat f2", "cat d/g"])
AFTER = (["create f3", *appends("f3", F3), "cat f1", "cat f2", "cat d/g", "cat f3", "ls",
          "append f1 " + MORE1, "cat f1", "rm f3", "ls", "append f2 " + MORE2, "cat f2"])
CHECK = ["cat f1", "cat f2", "cat d/g", "ls"]
SEQUENCE = BEFORE + AFTER + CHECK
# The decay target: f2's fifth block, rewritten by the last append to f2.
DECAY_CONTENT = (F2 + MORE2)[4 * BS:5 * BS].encode()


class Memo(dict):
    """Results shared by checks (the baseline, the kill runs); a failure is kept too."""

    def get_or(self, key, compute):
        if key not in self:
            try:
                self[key] = (compute(), None)
            except (Failed, Skipped) as exc:
                self[key] = (None, exc)
        value, exc = self[key]
        if exc is not None:
            raise (Skipped if isinstance(exc, Skipped) else Failed)(str(exc))
        return value


class Baseline:
    """The healthy run over N servers (outputs per command, final blocks, lock server) and
    on one server (the virtual image, to classify blocks as data or parity)."""

    def __init__(self, impl, n):
        self.n = n
        array = start_servers(impl, n, -(-NB // (n - 1)), BS)
        session = Session(impl, impl.raid_shell_args(array, FS))
        self.lock_server = lock_server(impl, session.startup, n)
        self.outputs = []
        for line in SEQUENCE:
            seen, out = events.split(session.send(line))
            if seen:
                raise Failed("healthy run over %d servers printed %s at %r" % (n, seen[0],
                                                                             line[:30]))
            self.outputs.append(out)
        session.close()
        self.physical = array.physical()  # parity is raid.* and lock_parity's business
        for server in array.servers:
            server.kill()
        single = start_servers(impl, 1, NB, BS).servers[0]
        session = Session(impl, impl.single_shell_args(single.port, FS))
        for line in SEQUENCE:
            session.send(line)
        session.close()
        self.virtual = read_blocks(single.port, NB)
        single.kill()

    def expected(self, index):
        return self.outputs[index]


def lock_server(impl, startup, n):
    if impl.edition == "2022":
        return 0
    m = re.search(rb"RSM server (\d+)\n", startup)
    if not m or int(m.group(1)) >= n:
        raise Failed("the 2023 shell should print 'RSM server X' at start, printed %r"
                     % startup[-80:])
    return int(m.group(1))


class Run:
    """A shell over a fresh array, commands compared with the baseline by position."""

    def __init__(self, impl, base, extra=None):
        self.impl, self.base = impl, base
        self.array = start_servers(impl, base.n, -(-NB // (base.n - 1)), BS, extra)
        self.session = Session(impl, self.impl.raid_shell_args(self.array, FS))
        self.events = []

    def run(self, start, stop, timeout=None):
        for i in range(start, stop):
            line = SEQUENCE[i]
            seen, out = events.split(self.session.send(line, timeout))
            self.events += seen
            require_equal("output of %r (command %d)" % (line[:30], i + 1), self.base.expected(i),
                          out)

    def close(self):
        self.session.close()
        for server in self.array.servers:
            server.kill()


def others(base, *excluded):
    return [s for s in range(base.n) if s not in excluded]


def kill_scenario(impl, base):
    """Per killed server k: (kill problem or None, repair problem or None)."""
    victims = range(base.n) if impl.edition == "2022" else others(base, base.lock_server)
    return {k: kill_and_repair(impl, base, k) for k in victims}


def kill_and_repair(impl, base, k):
    run = Run(impl, base)
    try:
        try:
            run.run(0, len(BEFORE))
            run.array.servers[k].kill()
            run.run(len(BEFORE), len(BEFORE) + len(AFTER))
            if len(run.events) != 1:
                raise Failed("server %d killed: expected its failure reported once, got %d "
                             "messages %s" % (k, len(run.events), run.events[:4]))
            problem = events.disconnect_problem(impl.edition, run.events[0], k)
            require(problem is None, "server %d killed: %s" % (k, problem))
        except Failed as exc:
            return str(exc), "not reached (%s)" % exc
        try:
            repair(impl, base, run, k)
        except Failed as exc:
            return None, str(exc)
        return None, None
    finally:
        run.close()


def repair(impl, base, run, k):
    run.array.servers[k].restart()
    run.session.send("repair %d" % k, impl.command_timeout * 4)
    physical = run.array.physical()
    for r, (got, want) in enumerate(zip(physical[k], base.physical[k])):
        require(got == want, "server %d after 'repair %d': row %d is %r..., expected %r... "
                "(as in the healthy run)" % (k, k, r, (got or b"")[:12], want[:12]))
    bad, why = parity_errors(physical, BS)
    require(not bad, "after 'repair %d': %s" % (k, why))
    j = next(s % base.n for s in range(k + 1, k + base.n)
             if s % base.n != base.lock_server or impl.edition == "2022")
    run.events = []
    run.array.servers[j].kill()
    try:
        run.run(len(BEFORE) + len(AFTER), len(SEQUENCE))
    except Failed as exc:
        raise Failed("'repair %d', then server %d killed: %s" % (k, j, exc))
    # 2023: the client cache may answer every read, so the loss of j may go unseen.
    allowed = (1,) if impl.edition == "2022" else (0, 1)
    require(len(run.events) in allowed, "server %d killed after repairing %d: expected %s "
            "message, got %s" % (j, k, "one" if allowed == (1,) else "at most one",
                                 run.events[:4]))
    if run.events:
        problem = events.disconnect_problem(impl.edition, run.events[0], j)
        require(problem is None, "server %d killed after the repair: %s" % (j, problem))


def first_problem(outcome, which):
    """Fails with the first failed server's problem, naming every server that failed."""
    failed = [k for k, problems in sorted(outcome.items()) if problems[which]]
    if failed:
        raise Failed("%s [failed for server%s %s of %s]" % (
            outcome[failed[0]][which], "s"[:len(failed) > 1], ", ".join(map(str, failed)),
            ", ".join(map(str, sorted(outcome)))))


def hang(impl, base):
    h = others(base, base.lock_server)[0]
    run = Run(impl, base)
    run.run(0, len(BEFORE))
    run.array.servers[h].pause()
    limit = impl.hang_timeout
    for i in range(len(BEFORE), len(BEFORE) + len(AFTER)):
        try:
            run.run(i, i + 1, timeout=limit)
        except Failed as exc:
            if "no prompt within" in str(exc):
                raise Failed("server %d stopped (SIGSTOP): %r got no answer within %.0f s"
                             % (h, SEQUENCE[i], limit))
            raise
        if run.events:
            break
    require(run.events, "server %d stopped (SIGSTOP): never reported" % h)
    run.run(i + 1, len(BEFORE) + len(AFTER), timeout=limit)
    require(len(run.events) == 1, "server %d stopped: expected one message, got %s"
            % (h, run.events[:4]))
    problem = events.disconnect_problem(impl.edition, run.events[0], h)
    require(problem is None, "server %d stopped: %s" % (h, problem))
    run.array.servers[h].resume()


def decay_target(base):
    """(server, row, virtual block) of DECAY_CONTENT, and the server of that row's parity."""
    places = [(s, r) for s in range(base.n) for r, block in enumerate(base.physical[s])
              if block == DECAY_CONTENT]
    virtual = [v for v, block in enumerate(base.virtual) if block == DECAY_CONTENT]
    if len(places) != 1 or len(virtual) != 1:
        raise Skipped("cannot locate the target block (found on %d servers/rows, %d virtual "
                      "blocks)" % (len(places), len(virtual)))
    s, r = places[0]
    data = {bytes(b) for b in base.virtual if b is not None}
    parity = [p for p in range(base.n) if p != s and base.physical[p][r] not in data]
    if len(parity) != 1:
        raise Skipped("cannot tell the parity block of row %d (candidates %s)" % (r, parity))
    return s, r, virtual[0], parity[0]


def decay(impl, base, which):
    s, r, v, p = decay_target(base)
    server = s if which == "data" else p
    run = Run(impl, base, {server: ["-cblk", r]})
    run.run(0, len(SEQUENCE))
    disconnects = [e for e in run.events if e.startswith("SERVER_DISCONNECTED")]
    require(not disconnects, "-cblk %d on server %d: %s (a checksum error is not a failed "
            "server)" % (r, server, disconnects[0] if disconnects else ""))
    if which == "data":
        require(run.events, "-cblk %d on server %d (virtual block %d): no CORRUPTED_BLOCK "
                "message" % (r, server, v))
        wrong = [e for e in run.events if e != "CORRUPTED_BLOCK %d" % v]
        require(not wrong, "-cblk %d on server %d holds virtual block %d: expected "
                "'CORRUPTED_BLOCK %d', got %r" % (r, server, v, v, wrong[0] if wrong else ""))
    physical = run.array.physical()
    for t in range(base.n):
        for row, (got, want) in enumerate(zip(physical[t], base.physical[t])):
            if (t, row) == (server, r):
                continue
            require(got == want, "-cblk %d on server %d: server %d row %d differs from the "
                    "healthy run (%r... expected %r...)" % (r, server, t, row, (got or b"")[:12],
                                                            want[:12]))


def lock_parity(impl, base):
    """30 locked commands (ls, cat), the parity rule checked after each of the first four
    (a release that flips the lock row's parity is right again after every second cycle)
    and after the last."""
    run = Run(impl, base)
    run.run(0, len(BEFORE))
    index = {line: i for i, line in enumerate(BEFORE)}
    for cycle in range(1, 31):
        line = ("ls", "cat f1")[cycle % 2]
        _, out = events.split(run.session.send(line))
        require_equal("output of %r" % line, base.expected(index[line]), out)
        if cycle <= 4 or cycle == 30:
            bad, why = parity_errors(run.array.physical(), BS)
            require(not bad, "after %d locked command%s: %s" % (cycle, "s"[:cycle > 1], why))


def double_fault(impl, base):
    run = Run(impl, base)
    run.run(0, len(BEFORE))
    a, b = others(base, base.lock_server)[:2]
    run.array.servers[a].kill()
    run.array.servers[b].kill()
    index = {line: i for i, line in enumerate(BEFORE)}
    for line in ("cat f1", "cat f2", "cat d/g", "ls", "cat f1"):
        _, out = events.split(run.session.send(line))
        require(out == base.expected(index[line]) or b"error" in out.lower(),
                "servers %d and %d killed: %r printed neither its healthy output nor an error: "
                "%r" % (a, b, line, out[:120]))
    survivors = [s for i, s in enumerate(run.array.servers) if i not in (a, b)]
    old = base.expected(index["cat f1"])
    grown = old.replace(F1.encode(), (F1 + "zzz").encode())
    for line in ("append f1 zzz", "create z"):
        before = [read_blocks(s.port, s.nb) for s in survivors]
        _, out = events.split(run.session.send(line))
        if b"error" in out.lower():
            after = [read_blocks(s.port, s.nb) for s in survivors]
            require(before == after, "servers %d and %d killed: %r was refused, but it changed "
                    "the surviving servers' blocks" % (a, b, line))
        elif line.startswith("append"):
            old = grown  # it said it worked: it must have
    _, out = events.split(run.session.send("cat f1"))
    require(out == old or b"error" in out.lower(), "servers %d and %d killed: 'cat f1' after "
            "'append f1 zzz' printed neither the file nor an error: %r" % (a, b, out[:120]))


def checks(impl, sizes):
    memo = Memo()
    result = []
    for n in sizes:
        base = lambda n=n: memo.get_or(("base", n), lambda: Baseline(impl, n))
        kills = lambda n=n: memo.get_or(("kill", n), lambda: kill_scenario(impl, base()))
        c = lambda name, text, fn, timeout=None, n=n: result.append(
            Check("faults.n%d.%s" % (n, name), "faults", text, fn, timeout))
        c("kill_each", "each server SIGKILLed in turn mid-sequence: outputs unchanged, the "
          "failure reported once in the edition's format", lambda k=kills: first_problem(k(), 0),
          600)
        c("repair", "blank restart + 'repair k': member rebuilt as in the healthy run, parity "
          "consistent, another server killed: outputs still exact",
          lambda k=kills: first_problem(k(), 1), 600)
        c("hang", "a SIGSTOPped server: every command answered within the hang timeout, "
          "reported once, outputs unchanged", lambda b=base: hang(impl, b()), 300)
        c("decay_data", "-cblk on a data block rewritten by appends: outputs unchanged, "
          "CORRUPTED_BLOCK <its block>, nothing else harmed", lambda b=base: decay(impl, b(),
                                                                                   "data"))
        c("decay_parity", "-cblk on that row's parity block: outputs unchanged, no server "
          "failed, nothing else harmed", lambda b=base: decay(impl, b(), "parity"))
        c("lock_parity", "lock/unlock cycles keep every row's parity consistent, after each of "
          "the first four and after 30", lambda b=base: lock_parity(impl, b()))
        c("double_fault", "two servers killed: reads exact or an error; a write either works or is "
          "refused with an error before any server changes", lambda b=base: double_fault(impl, b()))
    return result
