#!/usr/bin/env python3
"""Seeded fault-injection soak of the RAID-5 shell (ztest/zloop style).

Many short randomized runs; each is fully determined by its run seed (run 0 of a master seed
S has the seed S itself, run i > 0 a seed derived from (S, i)), so any failure is replayed with

    tools/soak.py --seed <run seed> --runs 1 [--build-dir DIR]

One run: a random geometry (N = 4..8 servers, bs in {64, 128, 256}, nb = bs * k, k in 2..4,
-is 64 -ni 32), a random sequence of 30..80 shell commands over a few files and directories,
its reference outputs on one healthy C++ server, then the same sequence on the RAID-5 shell
with exactly one fault injected (kill, stop, blank, flip, cblk, client_kill, new_shell), and
checks: every output equal to the reference (the array's event lines removed), no Error line
the reference does not print, the fault reported as it must be, repair, scrub, parity of every
stripe, the virtual image equal to the reference's blocks, every file read back identically
with one more server lost, a clean exit, and a bounded time. See docs/soak.md.

`--multi` runs the multi-shell soak instead (several shells on one array at once, soak_multi.py);
what both share is in soak_common.py.

Standard library only; uses the helpers of compat_tests/ (servers, shells, raid).
"""

import argparse
import os
import random
import re
import sys
import time
import traceback

from soak_common import (COMMAND_TIMEOUT, EVENT, FAILURE_EVENT, REPO_ROOT,  # noqa: F401
                         STATUS_ERROR, WORDS, RunFailure, Shell, Timeouts, build_dir_of,
                         master_seed, missing_binaries, proxy, random_text, read_server,
                         run_seed, xor)

import raid  # noqa: E402 (compat_tests/, on the path since soak_common)
import servers  # noqa: E402
import shells  # noqa: E402
import soak_multi  # noqa: E402

FAULTS = ("kill", "stop", "blank", "flip", "cblk", "client_kill", "new_shell")
WRITES = ("append", "create", "mkdir", "rm")
FS_FLAGS = ["-is", 64, "-ni", 32, "-cid", 0]
RAID_FLAGS = ["-timeout", 200, "-lease_ms", 300]
SLOW_COMMAND = 5.0      # seconds: a command slower than this is a failure (they take ms; a
                        # stopped server costs one 200 ms timeout, a dead lock holder 300 ms)


# ---------------------------------------------------------------------------------------------
# The plan of one run: geometry, commands, fault, all drawn from the run seed.

def generate_commands(rng):
    count = rng.randint(30, 80)
    files = ["f1", "f2", "f3", "f4"][:rng.randint(2, 4)]
    dir_names = ["d1", "d2"][:rng.randint(1, 2)]
    cwd = ""
    dirs = {""}                  # directory paths the model believes exist
    exist = {"": set()}          # files per directory path
    commands = []

    def join(a, b):
        return b if not a else a + "/" + b

    def parent(d):
        return d.rsplit("/", 1)[0] if "/" in d else ""

    ops = ["append"] * 30 + ["cat"] * 18 + ["create"] * 12 + ["ls"] * 8 + ["cd"] * 8 + \
          ["mkdir"] * 5 + ["rm"] * 5 + ["catpath"] * 5
    for _ in range(count):
        op = rng.choice(ops)
        here = exist.setdefault(cwd, set())
        if op in ("append", "cat", "rm") and not here and rng.random() < 0.8:
            op = "create"  # mostly work on files that exist
        if op == "create":
            fresh = [f for f in files if f not in here]
            name = rng.choice(fresh) if fresh and rng.random() < 0.85 else rng.choice(files)
            commands.append("create " + name)
            here.add(name)
        elif op == "mkdir":
            name = rng.choice(dir_names)
            commands.append("mkdir " + name)
            dirs.add(join(cwd, name))
            exist.setdefault(join(cwd, name), set())
        elif op == "append":
            pool = sorted(here) if here and rng.random() < 0.9 else files
            commands.append("append %s %s" % (rng.choice(pool),
                                               random_text(rng, rng.randint(1, 300))))
        elif op == "cat":
            pool = sorted(here) if here and rng.random() < 0.85 else files
            commands.append("cat " + rng.choice(pool))
        elif op == "catpath":
            d = rng.choice(sorted(dirs))
            commands.append("cat " + ("/" + join(d, rng.choice(files))
                                      if rng.random() < 0.3 else join(d, rng.choice(files))))
        elif op == "ls":
            commands.append("ls")
        elif op == "cd":
            children = sorted(d for d in dirs if d and parent(d) == cwd)
            if children and rng.random() < 0.6:
                target = rng.choice(children)
                commands.append("cd " + target.rsplit("/", 1)[-1])
                cwd = target
            elif rng.random() < 0.15:
                commands.append("cd " + rng.choice(dir_names))  # may not exist: an error
                if join(cwd, commands[-1][3:]) in dirs:
                    cwd = join(cwd, commands[-1][3:])
            elif rng.random() < 0.7:
                commands.append("cd /")
                cwd = ""
            else:
                commands.append("cd ..")
                cwd = parent(cwd)
        elif op == "rm":
            pool = sorted(here) if here and rng.random() < 0.9 else files
            name = rng.choice(pool)
            commands.append("rm " + name)
            here.discard(name)
    sweep_dirs = sorted(dirs)
    return commands, files, sweep_dirs


class Plan:
    def __init__(self, seed, faults):
        rng = random.Random(seed)
        self.seed = seed
        self.n = rng.randint(4, 8)
        self.bs = rng.choice((64, 128, 256))
        self.k = rng.randint(2, 4)
        self.nb = self.bs * self.k
        self.server_blocks = raid.server_blocks(self.nb, self.n)
        self.commands, self.files, self.dirs = generate_commands(rng)
        self.fault = rng.choice(faults)
        count = len(self.commands)
        self.at = rng.randrange(1, count)  # the fault happens before command `at`
        self.server = rng.randrange(self.n)
        self.rng = random.Random(rng.getrandbits(64))  # for what happens during the run
        self.restart_at = None   # kill: restart blank before this command (None: at the end)
        self.repair_at = None    # repair before this command (None: at the end)
        self.cont_at = None      # stop: SIGCONT before this command
        self.block = None        # flip / cblk: the physical block
        self.kill_delay = None   # client_kill: seconds
        if self.fault == "kill":
            if rng.random() < 0.5:
                self.restart_at = rng.randint(self.at + 1, count)
                self.repair_at = rng.randint(self.restart_at, count)
        elif self.fault == "stop":
            self.cont_at = self.at + rng.randint(1, 5)
            self.repair_at = rng.randint(min(self.cont_at, count), count)
        elif self.fault == "blank":
            self.repair_at = rng.randint(self.at + 1, count)
        elif self.fault in ("flip", "cblk"):
            self.server, self.block = self.corrupt_target(rng)
            if self.fault == "cblk":
                self.at = 0
        elif self.fault == "client_kill":
            # Most kills within the first 3 ms: most commands take a few ms.
            self.kill_delay = rng.uniform(0, 0.003 if rng.random() < 0.6 else 0.030)
        self.final_victim = rng.randrange(self.n)
        if self.fault == "cblk":
            self.final_victim = self.server  # else its stripe would have two bad blocks

    def corrupt_target(self, rng):
        """(server, physical block) for flip/cblk: mostly a block the commands read."""
        r = rng.random()
        if r < 0.04:
            return 0, 0  # the lock block
        if r < 0.2:
            return rng.randrange(self.n), rng.randrange(self.server_blocks)
        inode_table = 2 + self.k
        data = inode_table + 32 * 64 // self.bs
        hot = [1, 2] + [inode_table + i for i in range(3)] + [data + i for i in range(30)]
        v = min(rng.choice(hot), self.nb - 1)
        if rng.random() < 0.25:  # the parity of its stripe
            stripe = v // (self.n - 1)
            return raid.parity_server(stripe, self.n), stripe
        return raid.data_location(v, self.n)

    def geometry(self):
        return ["-nb", self.nb, "-bs", self.bs, *FS_FLAGS]

    def describe(self):
        text = "fault=%s server=%d at=%d" % (self.fault, self.server, self.at)
        for name in ("restart_at", "cont_at", "repair_at", "block"):
            if getattr(self, name) is not None:
                text += " %s=%s" % (name, getattr(self, name))
        if self.kill_delay is not None:
            text += " kill_delay=%.1fms" % (self.kill_delay * 1000)
        return "N=%d bs=%d nb=%d commands=%d %s" % (self.n, self.bs, self.nb,
                                                    len(self.commands), text)

    def sweep(self):
        """Commands that read everything back: ls of every directory, cat of every name."""
        lines = []
        for d in self.dirs:
            lines.append("cd /")
            lines += ["cd " + part for part in d.split("/") if part]
            lines.append("ls")
        lines.append("cd /")
        for d in self.dirs:
            for f in self.files:
                lines.append("cat " + (d + "/" + f if d else f))
        return lines


# ---------------------------------------------------------------------------------------------
# One run.

class Run:
    def __init__(self, plan, build_dir, run_timeout, verbose):
        self.plan = plan
        self.build_dir = build_dir
        self.verbose = verbose
        self.timeouts = Timeouts(time.monotonic() + run_timeout)
        self.violations = []    # (command index or phase, message)
        self.wrong_outputs = 0
        self.wrong_bytes = 0
        self.log = []
        self.diverged_at = None  # a write whose effect is unknown (client_kill)
        self.failed_since = {}   # server -> failure events seen since its last repair
        self.shell_index = 0
        self.notes = set()       # what the run exercised, counted in the coverage line

    def say(self, text):
        self.log.append(text)
        if self.verbose > 1:
            print("    " + text, flush=True)

    def violation(self, where, text):
        self.violations.append((where, text))
        self.say("VIOLATION at %s: %s" % (where, text))

    # ----- outputs ------------------------------------------------------------------------
    def compare(self, where, line, got, expected):
        if got == expected:
            return True
        self.wrong_outputs += 1
        size = max(len(got), len(expected))
        wrong = sum(1 for i in range(size)
                    if i >= len(got) or i >= len(expected) or got[i] != expected[i])
        self.wrong_bytes += wrong
        first = next(i for i in range(size)
                     if i >= len(got) or i >= len(expected) or got[i] != expected[i])
        lo = max(0, first - 40)
        self.violation(where, "%r: output differs from the reference at byte %d: expected %r, "
                              "got %r" % (line[:60], first, expected[lo:first + 80],
                                          got[lo:first + 80]))
        return False

    def events_of(self, where, out):
        events = [m.group(1).decode() for m in EVENT.finditer(out)]
        for event in events:
            self.say("event at %s: %s" % (where, event))
            kind = ("blank" if " is blank: " in event else "failed" if event.startswith("server")
                    else event.split()[0])
            final = "final:" if self.final_phase_kill is not None else ""
            self.notes.add("%s:%sevent:%s" % (self.plan.fault, final, kind))
            self.check_event(where, event)
        return events, EVENT.sub(b"", out)

    def check_event(self, where, event):
        p = self.plan
        failure = FAILURE_EVENT.match(event)
        if failure:
            server = int(failure.group(1) or failure.group(2))
            allowed = {p.server} if p.fault in ("kill", "stop", "blank") else set()
            if self.final_phase_kill is not None:
                allowed.add(self.final_phase_kill)
            if server not in allowed:
                self.violation(where, "unexpected failure event %r (fault %s on server %d)"
                               % (event, p.fault, p.server))
            seen = self.failed_since.setdefault(server, [])
            if seen and seen[-1][0] == self.shell_index:
                self.violation(where, "server %d reported failed twice by one shell before "
                                      "its repair: %r after %r" % (server, event, seen[-1][1]))
            seen.append((self.shell_index, event))
            return
        if event.startswith("CORRUPTED_BLOCK"):
            if p.fault not in ("flip", "cblk"):
                self.violation(where, "unexpected %r (fault %s)" % (event, p.fault))
                return
            m = re.fullmatch(r"CORRUPTED_BLOCK (\d+)", event)
            mp = re.fullmatch(r"CORRUPTED_BLOCK parity (\d+) server (\d+)", event)
            if m:
                location = raid.data_location(int(m.group(1)), p.n)
            elif mp:
                location = (int(mp.group(2)), int(mp.group(1)))
                if raid.parity_server(location[1], p.n) != location[0]:
                    self.violation(where, "%r names a server that is not the parity's" % event)
            else:
                self.violation(where, "unparsed event %r" % event)
                return
            if location != (p.server, p.block):
                self.violation(where, "%r is at (server, block) %s, the fault at %s"
                               % (event, location, (p.server, p.block)))
            return
        self.violation(where, "unexpected event %r" % event)

    def check_errors(self, where, line, plain):
        if b"Error: DATA_LOSS" in plain:
            self.violation(where, "%r printed a DATA_LOSS error: %r" % (line[:60], plain[:300]))
        elif STATUS_ERROR.search(plain):
            self.violation(where, "%r printed an array error: %r" % (line[:60], plain[:300]))

    # ----- processes ----------------------------------------------------------------------
    def start_shell(self, rootinit):
        args = self.array.shell_args(*self.plan.geometry(), *RAID_FLAGS,
                                     *([] if rootinit else ["-rootinit", 0]))
        self.shell_index += 1
        shell = Shell(args, "RAID shell %d" % self.shell_index)
        self.say("shell %d started (pid %d)" % (self.shell_index, shell.proc.pid))
        return shell

    def reference(self):
        """Every output of the sequence, the restarts and the final sweep on one server."""
        p = self.plan
        server = self.pool.start("cpp", nb=p.nb, bs=p.bs)
        args = ["-port", server.port, *p.geometry()]
        shell = Shell(args, "reference shell")
        startup = [shell.startup]
        outputs = []
        for i, line in enumerate(p.commands):
            if p.fault == "new_shell" and i == p.at:
                self.close_reference(shell)
                shell = Shell(args + ["-rootinit", 0], "reference shell")
                startup.append(shell.startup)
            outputs.append(shell.send(line))
            if p.fault == "client_kill" and i == p.at:
                self.close_reference(shell)
                shell = Shell(args + ["-rootinit", 0], "reference shell")
                startup.append(shell.startup)
        sweep = [shell.send(line) for line in p.sweep()]
        self.close_reference(shell)
        image = shells.read_blocks(server.port, p.nb)
        server.kill()
        return startup, outputs, sweep, image

    def close_reference(self, shell):
        status = shell.exit_status()
        if status != 0:
            raise RunFailure("the reference shell exited with status %s" % status)

    # ----- faults -------------------------------------------------------------------------
    def send(self, where, line, expected=None, errors=True):
        started = time.monotonic()
        out = self.shell.send(line)
        took = time.monotonic() - started
        if took > SLOW_COMMAND and not line.startswith(("repair", "scrub")):
            self.violation(where, "%r took %.1f s" % (line[:60], took))
        events, plain = self.events_of(where, out)
        if expected is not None and self.diverged_at is None:
            self.compare(where, line, plain, expected)
        if errors:
            self.check_errors(where, line, plain)
        return events, plain

    def repair(self, where):
        p = self.plan
        k = p.server
        line = "repair %d" % k
        events, plain = self.send(where, line, errors=False)  # the checks are below
        failed = bool(self.failed_since.get(k))
        text = plain.decode(errors="replace")
        self.notes.add("%s:repair:%s" % (p.fault, "failed" if failed else "not_failed"))
        if failed:
            if not text.startswith("Server %d repaired: %d blocks rebuilt\n"
                                   % (k, p.server_blocks)):
                self.violation(where, "%r of a failed server printed %r" % (line, text[:300]))
            self.failed_since[k] = []
        elif not text.startswith("Error: INVALID_ARGUMENT: server %d is not failed" % k):
            self.violation(where, "%r of a server never reported failed printed %r"
                           % (line, text[:300]))
        elif p.fault != "stop":
            self.violation(where, "%r: server %d never reported failed after a %s"
                           % (line, k, p.fault))
        self.say("%s: %s" % (line, text.splitlines()[0] if text else ""))
        self.repaired = True

    def before_command(self, i):
        p = self.plan
        victim = self.array.servers[p.server]
        where = "command %d" % i
        if i == p.at:
            self.say("fault %s before command %d" % (p.fault, i))
            if p.fault == "kill":
                victim.kill()
                self.dead = True
            elif p.fault == "stop":
                victim.pause()
                self.stopped = True
            elif p.fault == "blank":
                victim.kill()
                victim.start()
                self.expect_blank = i
            elif p.fault == "flip":
                proxy(victim.port).Corrupt(p.block)
            elif p.fault == "new_shell":
                self.close_shell(where)
                self.shell = self.start_shell(rootinit=False)
                self.events_of(where + " (startup)", self.shell.startup)
                self.compare(where + " (startup)", "startup", EVENT.sub(b"", self.shell.startup),
                             self.ref_startup[1])
        if p.fault == "kill" and i == p.restart_at:
            victim.start()
            self.dead = False
            self.say("server %d restarted blank before command %d" % (p.server, i))
        if p.fault == "stop" and i == p.cont_at:
            victim.resume()
            self.stopped = False
            self.say("server %d resumed before command %d" % (p.server, i))
        if i == p.repair_at and not self.dead and not self.stopped:
            self.repair(where + " (repair)")

    def client_kill(self, i, line):
        p = self.plan
        where = "command %d" % i
        old = self.shell
        old.write(line)
        time.sleep(p.kill_delay)
        old.kill()
        self.say("shell %d (pid %d) SIGKILLed %.1f ms after %r"
                 % (self.shell_index, old.proc.pid, p.kill_delay * 1000, line[:40]))
        time.sleep(0.02)  # let requests already sent land
        # The lock is held on every member once a majority granted it: the dead shell held it
        # (or part of it) where any member's record names it.
        held = dirty = False
        for k, server in enumerate(self.array.servers):
            try:
                record = bytes(proxy(server.port).GetMeta("lock"))
            except Exception as error:  # noqa: BLE001
                self.violation(where, "GetMeta('lock') on server %d failed: %r" % (k, error))
                continue
            self.say("lock record of server %d after the kill: %r" % (k, record))
            mine = b"\nheld pid %d " % old.proc.pid in record
            held |= mine
            dirty |= mine and b"\ndirty 1\n" in record
        self.kill_expect = (old.proc.pid, held, dirty)
        self.notes.add("client_kill:lock_held" if held else "client_kill:lock_free")
        if dirty:
            self.notes.add("client_kill:dirty")
        if line.split()[0] in WRITES:
            self.notes.add("client_kill:write")
            self.diverged_at = i
            self.say("the effect of %r is unknown: no more comparisons with the reference"
                     % line[:40])
        self.shell = self.start_shell(rootinit=False)
        self.events_of(where + " (startup)", self.shell.startup)
        if self.diverged_at is None:
            self.compare(where + " (startup)", "startup", EVENT.sub(b"", self.shell.startup),
                         self.ref_startup[1])

    def check_kill_log(self):
        if self.kill_expect is None:
            return
        pid, held, dirty = self.kill_expect
        log = self.shell.stderr().decode(errors="replace")
        if held and "waiting for the lock, held by pid %d " % pid not in log:
            self.violation("after client_kill", "the dead shell (pid %d) held the lock, but the "
                           "next shell never said it waited for it; its stderr: %r"
                           % (pid, log[-600:]))
        if held and "broke the lock held by pid %d " % pid not in log:
            self.violation("after client_kill", "the dead shell (pid %d) held the lock, but the "
                           "next shell never broke it; its stderr: %r" % (pid, log[-600:]))
        if dirty and "resync: " not in log:
            self.violation("after client_kill", "the dead shell (pid %d) left a dirty lock "
                           "record, but the next shell did not resync; its stderr: %r"
                           % (pid, log[-600:]))
        if not held and "broke the lock" in log:
            self.violation("after client_kill", "the lock was not held by the dead shell, yet "
                           "the next shell broke a lock: %r" % log[-600:])

    def close_shell(self, where):
        status = self.shell.exit_status()
        if status != 0:
            self.violation(where, "%s exited with status %s on 'exit'; stderr %r"
                           % (self.shell.label, status, self.shell.stderr()[-600:]))

    # ----- the end ------------------------------------------------------------------------
    def scrub(self, where, repair=False):
        line = "scrub repair" if repair else "scrub"
        _, plain = self.send(where, line)
        text = plain.decode(errors="replace")
        lines = text.split("\n")
        summary = [l for l in lines if l.startswith("scrub: ")]
        findings = [l for l in lines if l.startswith("stripe ")]
        self.say("%s: %r" % (line, text.strip()[:300]))
        expected_head = "scrub: %d stripes checked, " % self.plan.server_blocks
        if len(summary) != 1 or not summary[0].startswith(expected_head):
            self.violation(where, "%r printed %r" % (line, text[:400]))
        return findings

    def final_checks(self, ref_image, ref_sweep):
        p = self.plan
        victim = self.array.servers[p.server]
        if self.stopped:
            victim.resume()
            self.stopped = False
            time.sleep(0.05)
        if self.dead:
            victim.start()
            self.dead = False
            self.say("server %d restarted blank at the end" % p.server)
        if p.fault in ("kill", "stop", "blank") and (self.failed_since.get(p.server)
                                                     or not self.repaired):
            self.repair("end (repair)")
        # Scrub: nothing to find, except the corrupt block of a flip or a cblk.
        findings = self.scrub("end (scrub)")
        corrupt_prefix = "stripe %d, server %d, " % (p.block or 0, p.server)
        if findings:
            self.notes.add("%s:scrub_found" % p.fault)
        if p.fault == "flip":
            wrong = [f for f in findings if not f.startswith(corrupt_prefix)]
            if wrong or len(findings) > 1:
                self.violation("end (scrub)", "scrub findings %r (flip at %s)"
                               % (findings, corrupt_prefix))
            if findings:
                self.scrub("end (scrub repair)", repair=True)
                again = self.scrub("end (scrub after repair)")
                if again:
                    self.violation("end (scrub after repair)", "scrub repair left %r" % again)
        elif p.fault == "cblk":
            wrong = [f for f in findings if not f.startswith(corrupt_prefix)]
            if wrong:
                self.violation("end (scrub)", "scrub findings %r (cblk at %s)"
                               % (findings, corrupt_prefix))
        elif findings:
            self.violation("end (scrub)", "scrub found %r" % findings)
        # Parity of every stripe and the virtual image.
        physical = [read_server(s.port, p.server_blocks) for s in self.array.servers]
        bad_stripes = []
        for stripe in range(p.server_blocks):
            column = [physical[s][stripe] for s in range(p.n) if not (s == 0 and stripe == 0)]
            unreadable = [s for s in range(p.n) if physical[s][stripe] is None
                          and not (s == 0 and stripe == 0)]
            if unreadable:
                if p.fault != "cblk" or unreadable != [p.server] or stripe != p.block:
                    self.violation("end (physical)", "stripe %d unreadable on servers %s"
                                   % (stripe, unreadable))
                continue
            if any(xor(column, p.bs)):
                bad_stripes.append(stripe)
        # The lock block: between two commands it is released (zeros) and readable, unless a
        # -cblk there makes it fail on purpose. A lock block that answers a checksum error
        # leaves every client running without the lock.
        if not (p.fault == "cblk" and (p.server, p.block) == (0, 0)):
            lock = physical[0][0]
            if lock is None:
                self.violation("end (lock block)", "the lock block (server 0, block 0) answers "
                               "a checksum error after the run: every client now runs without "
                               "the lock; shell stderr: %r" % self.shell.stderr()[-400:])
            elif any(lock):
                self.violation("end (lock block)", "the lock block is not free between two "
                               "commands: %r" % lock[:16])
        if bad_stripes:
            self.violation("end (parity)", "stripes whose parity does not match: %s"
                           % bad_stripes)
        if self.diverged_at is None:
            for v in range(1, p.nb):
                s, b = raid.data_location(v, p.n)
                block = physical[s][b]
                if block is None:  # rebuild it from the rest of its stripe
                    others = [physical[o][b] for o in range(p.n)
                              if o != s and not (o == 0 and b == 0)]
                    if any(x is None for x in others):
                        continue
                    block = xor(others, p.bs)
                if block != ref_image[v]:
                    self.wrong_outputs += 1
                    self.wrong_bytes += sum(1 for x, y in zip(block, ref_image[v]) if x != y)
                    self.violation("end (image)", "virtual block %d (server %d block %d) "
                                   "differs from the reference: %r != %r"
                                   % (v, s, b, block.rstrip(b"\0")[:80],
                                      ref_image[v].rstrip(b"\0")[:80]))
                    break
        # Every file, healthy then with one more server lost.
        healthy = []
        for line, expected in zip(p.sweep(), ref_sweep):
            _, plain = self.send("end (sweep)", line, expected)
            healthy.append(plain)
        self.final_phase_kill = p.final_victim
        self.array.servers[p.final_victim].kill()
        self.say("server %d killed for the degraded sweep" % p.final_victim)
        for line, expected in zip(p.sweep(), healthy):
            _, plain = self.send("end (degraded sweep, server %d lost)" % p.final_victim, line)
            if plain != expected:
                self.wrong_outputs += 1
                self.wrong_bytes += sum(1 for x, y in zip(plain, expected) if x != y) + \
                    abs(len(plain) - len(expected))
                self.violation("end (degraded sweep)", "%r with server %d lost printed %r, "
                               "healthy %r" % (line, p.final_victim, plain[:200], expected[:200]))
        self.check_kill_log()
        self.close_shell("end (exit)")

    def run(self):
        p = self.plan
        Shell.timeouts = self.timeouts
        os.environ["MEMORYFS_BUILD_DIR"] = str(self.build_dir)
        self.pool = servers.ServerPool()
        self.shell = None
        self.dead = self.stopped = self.repaired = False
        self.expect_blank = None
        self.kill_expect = None
        self.final_phase_kill = None
        try:
            self.ref_startup, ref_outputs, ref_sweep, ref_image = self.reference()
            extra = {s: ["-test_corruption"] for s in range(p.n)}
            if p.fault == "cblk":
                extra[p.server] = ["-test_corruption", "-cblk", p.block]
            self.array = raid.RaidServers(self.pool, p.n, p.nb, p.bs, extra_args=extra)
            self.shell = self.start_shell(rootinit=True)
            self.events_of("startup", self.shell.startup)
            self.compare("startup", "startup", EVENT.sub(b"", self.shell.startup),
                         self.ref_startup[0])
            for i, line in enumerate(p.commands):
                self.before_command(i)
                where = "command %d" % i
                if p.fault == "client_kill" and i == p.at:
                    self.client_kill(i, line)
                    continue
                events, _ = self.send(where, line, ref_outputs[i])
                if self.expect_blank == i:
                    blank = "server %d is blank: " % p.server
                    if not any(e.startswith(blank) for e in events):
                        self.violation(where, "server %d was restarted blank before %r, which "
                                       "printed no %r... event (events: %r)"
                                       % (p.server, line[:40], blank, events))
            self.final_checks(ref_image, ref_sweep)
        except RunFailure as error:
            self.violation("run", str(error))
        except Exception:  # noqa: BLE001 (a soak must report, not crash)
            self.violation("run", "exception in the soak: " + traceback.format_exc())
        finally:
            if self.shell is not None:
                self.shell.kill()
            self.pool.cleanup()
        return not self.violations


# ---------------------------------------------------------------------------------------------

def replay_command(seed, build_dir, faults):
    cmd = "tools/soak.py --seed %d --runs 1" % seed
    if build_dir != REPO_ROOT / "build":
        cmd += " --build-dir %s" % build_dir
    if tuple(faults) != FAULTS:
        cmd += " --faults %s" % ",".join(faults)
    return cmd


def report_failure(index, run, build_dir, faults, full):
    plan = run.plan
    where, text = run.violations[0]
    print("FAILURE run %d seed %d: %s" % (index, plan.seed, plan.describe()))
    print("  first violation at %s: %s" % (where, text))
    for where, text in run.violations[1:6]:
        print("  then at %s: %s" % (where, text))
    if len(run.violations) > 6:
        print("  (%d more violations)" % (len(run.violations) - 6))
    if full:
        print("  log:\n    " + "\n    ".join(run.log))
        print("  commands:\n    " + "\n    ".join("%d: %s" % (i, c[:70])
                                                  for i, c in enumerate(plan.commands)))
    print("  replay: %s" % replay_command(plan.seed, build_dir, faults), flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="stop starting runs after this many seconds (default 60)")
    parser.add_argument("--runs", type=int, default=None,
                        help="at most this many runs (default: as many as --seconds allows)")
    parser.add_argument("--seed", type=int, default=None,
                        help="master seed (default: random, printed)")
    parser.add_argument("--build-dir", default=None,
                        help="build directory holding bin/ (default $MEMORYFS_BUILD_DIR or "
                             "<repo>/build)")
    parser.add_argument("--faults", default=None,
                        help="comma-separated fault kinds to draw from (default: all: %s; "
                             "with --multi: %s, or none)"
                             % (",".join(FAULTS), ",".join(soak_multi.FAULTS)))
    parser.add_argument("--run-timeout", type=float, default=None,
                        help="seconds one run may take; longer is a hang (default 60; with "
                             "--multi %d)" % soak_multi.RUN_TIMEOUT)
    parser.add_argument("--multi", action="store_true",
                        help="the multi-shell soak: several shells at once (docs/soak.md)")
    parser.add_argument("--shells", default="2..4",
                        help="with --multi: how many shells at once, K or LO..HI (default 2..4)")
    parser.add_argument("--verbose", "-v", action="count", default=0,
                        help="one line per run; twice: every step")
    args = parser.parse_args(argv)
    args.build_dir = build_dir_of(args.build_dir)
    missing = missing_binaries(args.build_dir)
    if missing:
        parser.error("%s not built (looked in %s)" % (missing[0], args.build_dir / "bin"))
    return parser, args


def main(argv=None):
    parser, args = parse_args(argv)
    if args.multi:
        return soak_multi.main(parser, args)
    if args.run_timeout is None:
        args.run_timeout = 60.0
    faults = [f.strip() for f in (args.faults or ",".join(FAULTS)).split(",") if f.strip()]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown or not faults:
        parser.error("unknown fault kind(s) %s (expected some of %s)"
                     % (",".join(unknown) or "(none)", ",".join(FAULTS)))
    build_dir = args.build_dir
    master = master_seed(args.seed)
    print("soak: master seed %d, build %s, faults %s" % (master, build_dir, ",".join(faults)),
          flush=True)

    started = time.monotonic()
    runs = failures = wrong_outputs = wrong_bytes = 0
    by_fault = {f: 0 for f in faults}
    failed_by_fault = {f: 0 for f in faults}
    coverage = {}
    index = 0
    interrupted = False
    try:
        while ((args.runs is None or runs < args.runs)
               and time.monotonic() - started < args.seconds):
            seed = run_seed(master, index)
            index += 1
            plan = Plan(seed, faults)
            run = Run(plan, build_dir, args.run_timeout, args.verbose)
            t0 = time.monotonic()
            ok = run.run()
            elapsed = time.monotonic() - t0
            runs += 1
            by_fault[plan.fault] += 1
            wrong_outputs += run.wrong_outputs
            wrong_bytes += run.wrong_bytes
            for note in run.notes:
                coverage[note] = coverage.get(note, 0) + 1
            if args.verbose:
                print("run %d seed %d: %s %s (%.2f s)" % (index - 1, seed,
                                                         "ok" if ok else "FAILED",
                                                         plan.describe(), elapsed), flush=True)
            if not ok:
                failures += 1
                failed_by_fault[plan.fault] += 1
                report_failure(index - 1, run, build_dir, faults,
                               full=args.verbose > 1 or args.runs == 1)
    except KeyboardInterrupt:  # the run in progress is dropped; the summary still counts
        interrupted = True
    seconds = time.monotonic() - started
    if args.verbose:
        print("coverage (runs that saw it): " +
              " ".join("%s=%d" % kv for kv in sorted(coverage.items())))
    print("soak: runs=%d failures=%d wrong_outputs=%d wrong_bytes=%d faults: %s failed: %s "
          "seconds=%.1f master_seed=%d"
          % (runs, failures, wrong_outputs, wrong_bytes,
             ",".join("%s=%d" % kv for kv in by_fault.items()),
             ",".join("%s=%d" % kv for kv in failed_by_fault.items() if kv[1]) or "none",
             seconds, master), flush=True)
    if interrupted:
        print("soak: interrupted")
    return 1 if failures or interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
