"""The multi-shell soak (`tools/soak.py --multi`): 2 to 4 RAID-5 shells at once on one array,
each appending records of its own to its own files and reading the others', under faults drawn
from the run seed; then the array is healed and a checker verifies the history. Every run is
determined by its seed and replayed alone with

    tools/soak.py --multi --seed <run seed> --runs 1

One run: N = 4..8 C++ servers (-test_corruption), K shells (-cid k, -rootinit 0 but the first,
-timeout 200, -lease_ms 300..1000) driven by one thread each, 1..3 faults (server kill, kill and
blank restart then `repair` from a shell, SIGSTOP/SIGCONT of a server, a blank restart behind a
connection-pooling proxy, a shell stopped past its lease, a shell killed mid-command and
replaced, a short lease, `-command status` processes). Checks (soak_check.py for the records):
every acknowledged append present exactly once and in order, no foreign, zero or torn bytes,
reads during the run never miss an append acknowledged before they began, failures reported
only for the faulty server and at most once per shell until repaired, no array errors, no
refused repair, `status` never FAILED, parity consistent, no hang. See docs/soak.md.
"""

import os
import queue
import random
import re
import signal
import subprocess
import threading
import time
import traceback

from soak_check import Counts, Record, check_file, record_text
from soak_common import (EVENT, FAILURE_EVENT, REPO_ROOT, STATUS_ERROR, Hang, RunFailure,
                         Shell, Timeouts, master_seed, read_server, run_seed, xor)

import raid  # noqa: E402 (compat_tests/, on the path since soak_common)
import servers  # noqa: E402
import shells  # noqa: E402
from pooling_proxy import PoolingProxy  # noqa: E402

# A command whose lock another shell took over (its lease ran out while it ran): fenced.
TAKEN_OVER = re.compile(rb"^Error: (FENCED: |ABORTED: the lock was broken by another client)",
                        re.M)
# Rebuilding refused for a dirty and degraded array (md's rule, docs/report.md 2.7).
DIRTY_DEGRADED = re.compile(rb"died inside a command[^\n]*, and with a server failed its "
                            rb"stripe cannot be resynced")
DIRTY_DEGRADED_REPAIR = re.compile(rb"died inside a command[^\n]*, and with a server failed the "
                                   rb"stripes cannot be resynced first")
FAULTS = ("kill", "kill_repair", "stop", "proxy_blank", "stale", "client_kill", "short_lease",
          "status")
SERVER_FAULTS = ("kill", "kill_repair", "stop", "proxy_blank")  # at most one per run
RUN_TIMEOUT = 120
FS_FLAGS = ["-is", 64, "-ni", 32, "-timeout", 200]
FILE_BLOCKS = 12                 # the blocks of a file with -is 64
HEALER_CID = 7                   # -cid is 0..7: workers 0..3, status 6, healer 7
PROMPT = re.compile(rb"\[cwd=\d+\]%$")
TRAILING_ERRORS = re.compile(rb"\n(?:Error: [^\n]*\n)+$")  # e.g. a failed release after a cat
FAILED_ROW = re.compile(rb"^ +(\d+) +\S+ +FAILED\b", re.M)
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# What a run can find wrong; a run fails when it finds any of them. The summary counts runs
# per kind, and the record counts of soak_check.Counts.
KINDS = ("wrong_bytes", "lost", "duplicated", "reordered", "torn", "foreign", "stale_read",
         "hang", "bricked", "wrong_member", "double_report", "blank_unnoticed", "array_error",
         "unexpected_event", "parity", "bad_exit", "crash")


# ---------------------------------------------------------------------------------------------
# The plan of one run, drawn from its seed.

class Op:
    """One command of a worker: create/append (of its own files), cat (any file), ls."""

    def __init__(self, kind, file=None, seq=None, payload=None):
        self.kind, self.file, self.seq, self.payload = kind, file, seq, payload

    def line(self, writer):
        if self.kind == "append":
            return "append %s %s" % (self.file, record_text(writer, self.seq,
                                                              self.payload).decode())
        return self.kind if self.file is None else "%s %s" % (self.kind, self.file)


class Plan:
    def __init__(self, seed, faults, shells_range):
        rng = random.Random(seed)
        self.seed = seed
        self.n = rng.randint(4, 8)
        self.bs = rng.choice((128, 256))
        self.nb = self.bs * rng.randint(2, 3)
        self.server_blocks = raid.server_blocks(self.nb, self.n)
        self.shells = rng.randint(*shells_range)
        self.faults = draw_faults(rng, faults)
        self.lease_ms = (rng.randint(40, 120) if "short_lease" in self.faults
                         else rng.randint(300, 1000))
        self.files = {k: ["s%d%s" % (k, x) for x in "ab"[:rng.randint(1, 2)]]
                      for k in range(self.shells)}
        self.ops = {k: self.workload(rng, k) for k in range(self.shells)}
        self.victim = rng.randrange(self.n)
        self.repairer = rng.randrange(self.shells)
        self.events = self.server_events(rng)
        self.shell_faults = self.draw_shell_faults(rng)

    def workload(self, rng, k):
        ops = [Op("create", name) for name in self.files[k]]
        room = {name: int(FILE_BLOCKS * self.bs * 0.9) for name in self.files[k]}
        others = [f for j, names in self.files.items() if j != k for f in names]
        seq = 0
        for _ in range(rng.randint(30, 60)):
            r = rng.random()
            name = rng.choice(self.files[k])
            payload = "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 40)))
            size = len(record_text(k, seq, payload))
            if r < 0.55 and size <= room[name]:
                room[name] -= size
                ops.append(Op("append", name, seq, payload))
                seq += 1
            elif r < 0.92:
                pool = others if others and rng.random() < 0.8 else self.files[k]
                ops.append(Op("cat", rng.choice(pool)))
            else:
                ops.append(Op("ls"))
        return ops

    def server_events(self, rng):
        """[(progress fraction, action, argument)]: the injector's timeline."""
        events = []
        at = rng.uniform(0.1, 0.5)
        if "kill" in self.faults:
            events.append((at, "kill", None))
        if "kill_repair" in self.faults:
            back = rng.uniform(at + 0.05, 0.8)
            events += [(at, "kill", None), (back, "start", None), (back, "repair", None)]
        if "stop" in self.faults:
            events.append((at, "stop", rng.uniform(0.3, 1.5)))
        if "proxy_blank" in self.faults:
            events.append((at, "blank", None))
        if "status" in self.faults:
            events += [(rng.uniform(0.05, 0.95), "status", None)
                       for _ in range(rng.randint(1, 2))]
        return sorted(events, key=lambda e: e[0])

    def draw_shell_faults(self, rng):
        """{(worker, op index): (kind, delay before it, seconds stopped)}."""
        chosen = {}
        for kind in ("stale", "client_kill"):
            if kind not in self.faults:
                continue
            k = rng.randrange(self.shells)
            ops = self.ops[k]
            # While the others still work: within the first 70% of the shortest workload.
            end = max(len(self.files[k]) + 1,
                      int(0.7 * min(len(o) for o in self.ops.values())))
            appends = [i for i in range(len(self.files[k]), end) if ops[i].kind == "append"]
            i = (rng.choice(appends) if appends and rng.random() < 0.8
                 else rng.randrange(len(self.files[k]), end))
            delay = rng.uniform(0, 0.004 if kind == "stale" or rng.random() < 0.6 else 0.030)
            stopped = self.lease_ms / 1000 + rng.uniform(0.2, 0.8)
            chosen.setdefault((k, i), (kind, delay, stopped))
        return chosen

    def describe(self):
        shell_faults = "".join(" %s=shell%d@%d" % (fault[0], k, i)
                               for (k, i), fault in sorted(self.shell_faults.items()))
        return ("N=%d bs=%d nb=%d shells=%d lease_ms=%d victim=%d faults=%s%s ops=%s"
                % (self.n, self.bs, self.nb, self.shells, self.lease_ms, self.victim,
                   "+".join(self.faults) or "none", shell_faults,
                   ",".join(str(len(ops)) for ops in self.ops.values())))


def draw_faults(rng, allowed):
    """1..3 distinct fault kinds of `allowed`, at most one of SERVER_FAULTS (one victim)."""
    if not allowed:
        return []
    chosen = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        pool = [f for f in allowed if f not in chosen
                and not (f in SERVER_FAULTS and any(c in SERVER_FAULTS for c in chosen))]
        if pool:
            chosen.append(rng.choice(pool))
    return sorted(chosen, key=FAULTS.index)


# ---------------------------------------------------------------------------------------------
# The workers: one thread per logical shell.

class Worker(threading.Thread):
    def __init__(self, run, k):
        super().__init__(daemon=True, name="worker %d" % k)
        self.run_ = run
        self.k = k
        self.ops = run.plan.ops[k]
        self.requests = queue.SimpleQueue()
        self.shell = None
        self.generation = 0     # how many shells this worker started
        self.fenced_until = -1  # op index up to which an array error is allowed (stale)
        self.finished = False

    def start_shell(self):
        self.generation += 1
        args = self.run_.shell_args(self.k, rootinit=(self.k == 0 and self.generation == 1))
        started = time.monotonic()
        self.shell = Shell(args, "shell %d.%d" % (self.k, self.generation))
        self.run_.say("%s started (pid %d)" % (self.shell.label, self.shell.proc.pid))
        self.run_.on_output(self, "startup", self.shell.startup, started, time.monotonic())

    def run(self):
        try:
            for i, op in enumerate(self.ops):
                self.serve_requests()
                self.do(i, op)
                self.run_.advance()
            self.serve_requests()
            status = self.shell.exit_status()
            if status != 0:
                self.run_.violation("bad_exit", "%s exited with status %s on 'exit'; stderr %r"
                                    % (self.shell.label, status, self.shell.stderr()[-400:]))
        except Hang as error:
            self.run_.violation("hang", str(error))
        except RunFailure as error:
            self.run_.violation("crash", str(error))
        except Exception:  # noqa: BLE001 (a soak must report, not crash)
            self.run_.violation("crash", "worker %d: %s" % (self.k, traceback.format_exc()))
        finally:
            if self.shell is not None:
                self.shell.kill()
                self.run_.on_stderr(self.shell)
            self.finished = True
            self.run_.advance(0)

    def serve_requests(self):
        while not self.requests.empty():
            line = self.requests.get()
            started = time.monotonic()
            out = self.shell.send(line)
            self.run_.on_output(self, line, out, started, time.monotonic())
            self.run_.on_repair(self, line, out)

    def do(self, i, op):
        line = op.line(self.k)
        record = self.run_.register(self.k, op) if op.kind == "append" else None
        fault = self.run_.plan.shell_faults.get((self.k, i))
        started = time.monotonic()
        if fault and fault[0] == "client_kill":
            return self.client_kill(line, fault[1], record)
        if fault and fault[0] == "stale":
            out = self.stale(line, fault[1], fault[2])
            self.fenced_until = i + 1
        else:
            out = self.shell.send(line)
        self.run_.on_output(self, line, out, started, time.monotonic(),
                            fenced=i <= self.fenced_until)
        self.run_.on_result(op, EVENT.sub(b"", out), record, started)

    def client_kill(self, line, delay, record):
        old = self.shell
        old.write(line)
        time.sleep(delay)
        old.kill()
        self.run_.on_stderr(old)
        self.run_.say("%s (pid %d) SIGKILLed %.1f ms after %r"
                      % (old.label, old.proc.pid, delay * 1000, line[:50]))
        if record is not None:
            self.run_.ack(record, False, "shell killed")
        self.start_shell()

    def stale(self, line, delay, stopped):
        """Sends `line`, SIGSTOPs the shell `delay` s later for `stopped` s (past its lease),
        resumes it; returns what the command printed."""
        pid = self.shell.proc.pid
        self.shell.write(line)
        time.sleep(delay)
        os.kill(pid, signal.SIGSTOP)
        self.run_.say("%s (pid %d) SIGSTOPped %.1f ms after %r, for %.2f s"
                      % (self.shell.label, pid, delay * 1000, line[:50], stopped))
        time.sleep(stopped)
        os.kill(pid, signal.SIGCONT)
        self.run_.say("%s (pid %d) resumed" % (self.shell.label, pid))
        return self.shell.wait_prompt()


# ---------------------------------------------------------------------------------------------
# One run.

class MultiRun:
    def __init__(self, plan, build_dir, run_timeout, verbose):
        self.plan = plan
        self.build_dir = build_dir
        self.verbose = verbose
        self.started = time.monotonic()
        self.timeouts = Timeouts(self.started + run_timeout)
        self.lock = threading.Lock()
        self.progress = threading.Condition(self.lock)
        self.done_ops = 0
        self.records = {}          # (writer, seq) -> Record
        self.created = {}          # file -> time its create was answered without error
        self.counts = Counts()     # the final read-back
        self.read_counts = Counts()  # the reads during the run
        self.violations = []       # (kind, text)
        self.log = []
        self.reports = {}          # shell label -> {server: start of the command that said it}
        self.resets = []           # (time, server): a fault injected on it, or its repair
        self.victim_dead = self.victim_stopped = self.blank_pending = False
        self.proxy = None
        self.workers = []
        self.notes = set()

    # ----- bookkeeping --------------------------------------------------------------------
    def say(self, text):
        line = "%7.3f %s" % (time.monotonic() - self.started, text)
        with self.lock:
            self.log.append(line)
        if self.verbose > 1:
            print("    " + line, flush=True)

    def violation(self, kind, text):
        with self.lock:
            self.violations.append((kind, text))
        self.say("VIOLATION %s: %s" % (kind, text))

    def kinds(self):
        return sorted({kind for kind, _ in self.violations}, key=KINDS.index)

    def advance(self, count=1):
        with self.progress:
            self.done_ops += count
            self.progress.notify_all()

    def register(self, writer, op):
        record = Record(writer, op.seq, op.file, record_text(writer, op.seq, op.payload))
        with self.lock:
            self.records[record.key] = record
        return record

    def ack(self, record, acked, why):
        with self.lock:
            record.acked = acked
            record.acked_at = time.monotonic()
        self.say("append %d.%d %s (%s)" % (record.writer, record.seq,
                                          "acknowledged" if acked else "NOT acknowledged", why))

    # ----- outputs ------------------------------------------------------------------------
    def on_output(self, worker, line, out, started, ended, fenced=False):
        """Logs one command's output and checks its events and errors."""
        label = worker.shell.label if worker else "healer"
        self.say("%s: %r -> %r (%.0f ms)" % (label, line[:70], out[:300],
                                             (ended - started) * 1000))
        for event in [m.group(1).decode() for m in EVENT.finditer(out)]:
            self.on_event(label, event, started, ended)
        plain = EVENT.sub(b"", out)
        if STATUS_ERROR.search(plain) and not line.startswith("repair "):
            if fenced or "short_lease" in self.plan.faults or TAKEN_OVER.search(plain):
                # The fence at work: a paused holder, or a command slower than its lease
                # (a loaded machine) whose lock was taken over; nothing of it was written.
                self.notes.add("fenced_error")
            elif DIRTY_DEGRADED.search(plain) and self.double_fault():
                # md's rule: a client died inside a write while a member is lost, so the
                # stripes it wrote cannot be rebuilt from their parity (the write hole).
                self.notes.add("dirty_degraded_refusal")
            else:
                self.violation("array_error", "%s: %r printed %r" % (label, line[:60],
                                                                   plain[:300]))

    def double_fault(self):
        """Whether the plan stops a client inside a write for good (killed, or stopped past
        its lease: its lock is broken while it is dirty) and also loses a member: the write
        hole, two faults by md's rules."""
        writer = {"client_kill", "stale"}
        member = {"kill", "kill_repair", "stop", "proxy_blank"}
        faults = set(self.plan.faults)
        return bool(writer & faults) and bool(member & faults)

    def on_event(self, label, event, started, ended):
        failure = FAILURE_EVENT.match(event)
        if not failure:
            return self.violation("unexpected_event", "%s printed %r" % (label, event))
        server = int(failure.group(1) or failure.group(2))
        self.notes.add("event:" + event.split()[0])
        if server != self.plan.victim or not any(f in SERVER_FAULTS for f in self.plan.faults):
            self.violation("wrong_member", "%s reported healthy server %d failed: %r (faults %s,"
                           " victim %d)" % (label, server, event, "+".join(self.plan.faults),
                                            self.plan.victim))
        with self.lock:
            before = self.reports.setdefault(label, {}).get(server)
            reset = before is not None and any(s == server and before <= t <= ended
                                               for t, s in self.resets)
            self.reports[label][server] = started
        if before is not None and not reset:
            self.violation("double_report", "%s reported server %d failed again before its "
                           "repair: %r" % (label, server, event))

    def on_result(self, op, plain, record, started):
        if op.kind == "append":
            ok = b"Successfully appended %d bytes." % len(record.text) in plain
            self.ack(record, ok, "printed %r" % plain[:80] if not ok else "")
        elif op.kind == "create" and not plain.startswith(b"Error"):
            with self.lock:
                self.created[op.file] = time.monotonic()
        elif op.kind == "cat":
            self.check_read(op.file, plain, started)

    def check_read(self, name, plain, started):
        """A read during the run: no wrong bytes, nothing acknowledged before it missing."""
        with self.lock:
            records = dict(self.records)
            created = self.created.get(name)
        if plain.startswith(b"Error: not found"):
            if created is not None and created < started:
                self.violation("stale_read", "cat %s: not found, created %.0f ms before"
                               % (name, (started - created) * 1000))
            return
        if plain.startswith(b"Error"):
            return  # an array error: on_output judged it
        content = content_of(plain)
        counts = check_file(name, owner_of(name), content, records,
                            lambda rec: rec.acked is True and rec.acked_at < started)
        self.read_counts.add(counts)
        self.judge("read of %s" % name, counts, lost_kind="stale_read")

    def judge(self, where, counts, lost_kind="lost"):
        kinds = {"wrong_bytes": counts.wrong_bytes, "lost": counts.lost,
                 "duplicated": counts.duplicated, "reordered": counts.reordered,
                 "torn": counts.torn, "foreign": counts.foreign}
        if lost_kind != "lost":
            kinds[lost_kind] = kinds.pop("lost")
        for kind, count in kinds.items():
            if count:
                self.violation(kind, "%s: %s" % (where, "; ".join(counts.notes[:4])))

    def on_stderr(self, shell):
        """Logs what a shell said on stderr (the lock's waits and breaks, resyncs, warnings)."""
        text = shell.stderr().decode(errors="replace")
        lines = text.splitlines()
        waits = [line for line in lines if line.startswith("waiting for the lock")]
        for line in lines:
            if line not in waits:
                self.say("%s stderr: %s" % (shell.label, line[:300]))
        if waits:
            self.say("%s stderr: %d lines 'waiting for the lock, held by ...'"
                     % (shell.label, len(waits)))
        for what, note in (("broke the lock", "lock_broken"), ("resync: ", "resync"),
                           ("continuing without it", "ran_unlocked")):
            if what in text:
                self.notes.add(note)

    # ----- processes ----------------------------------------------------------------------
    def shell_args(self, cid, rootinit=False, extra=()):
        p = self.plan
        return ["-ns", p.n, "-servers", ",".join(self.addresses), "-nb", p.nb, "-bs", p.bs,
                *FS_FLAGS, "-lease_ms", p.lease_ms, "-cid", cid,
                *([] if rootinit else ["-rootinit", 0]), *extra]

    def start_array(self):
        p = self.plan
        extra = {s: ["-test_corruption"] for s in range(p.n)}
        self.array = raid.RaidServers(self.pool, p.n, p.nb, p.bs, extra_args=extra)
        self.addresses = ["127.0.0.1:%d" % s.port for s in self.array.servers]
        if "proxy_blank" in p.faults:
            self.proxy = PoolingProxy(self.array.servers[p.victim].port).start()
            self.addresses[p.victim] = "127.0.0.1:%d" % self.proxy.port

    def status_process(self, where, cid=HEALER_CID - 1):
        """Runs `-command status` as its own process; returns its exit status (None: hung)."""
        args = self.shell_args(cid, extra=["-command", "status"])
        try:
            done = shells.run_shell(args, timeout=20)
        except subprocess.TimeoutExpired:
            self.violation("hang", "%s: -command status took more than 20 s" % where)
            return None
        self.say("%s: -command status exited %d: %r" % (where, done.returncode,
                                                          done.stdout[:600]))
        wrong = [int(s) for s in FAILED_ROW.findall(done.stdout) if int(s) != self.plan.victim]
        if wrong:
            self.violation("wrong_member", "%s: -command status calls healthy servers %s "
                           "FAILED: %r" % (where, wrong, done.stdout[:600]))
        if done.returncode == 2:
            self.violation("bricked", "%s: -command status says FAILED (at most one member "
                           "lost): %r %r" % (where, done.stdout[:600], done.stderr[-300:]))
        return done.returncode

    # ----- faults -------------------------------------------------------------------------
    def inject(self):
        """The injector thread: the server faults and status processes, at progress points."""
        try:
            total = sum(len(ops) for ops in self.plan.ops.values())
            for fraction, action, argument in self.plan.events:
                if not self.wait_progress(fraction * total):
                    self.say("%s skipped: the workers are done" % action)
                    continue
                self.act(action, argument)
        except Exception:  # noqa: BLE001
            self.violation("crash", "injector: " + traceback.format_exc())

    def wait_progress(self, target):
        with self.progress:
            while self.done_ops < target:
                if all(w.finished for w in self.workers):
                    return False
                self.progress.wait(0.1)
        return True

    def act(self, action, argument):
        p = self.plan
        victim = self.array.servers[p.victim]
        self.say("fault: %s server %d" % (action, p.victim))
        with self.lock:
            self.resets.append((time.monotonic(), p.victim))
        if action == "kill":
            victim.kill()
            self.victim_dead = True
        elif action == "start":
            victim.start()
            self.victim_dead, self.blank_pending = False, True
        elif action == "blank":
            victim.kill()
            victim.start()
            self.blank_pending = True
        elif action == "stop":
            self.stop_for(victim, argument)
        elif action == "repair":
            self.workers[p.repairer].requests.put("repair %d" % p.victim)
        elif action == "status":
            threading.Thread(target=self.status_process, args=("during the run",),
                             daemon=True).start()

    def stop_for(self, victim, seconds):
        victim.pause()
        self.victim_stopped = True
        time.sleep(seconds)
        victim.resume()
        self.victim_stopped = False
        self.say("server %d resumed after %.2f s" % (self.plan.victim, seconds))

    def on_repair(self, worker, line, out):
        """Judges a `repair k` (asked of a worker, or by the healer)."""
        server = int(line.split()[1])
        text = EVENT.sub(b"", out)
        label = worker.shell.label if worker else "healer"
        if text.startswith(b"Server %d repaired: " % server):
            with self.lock:
                self.resets.append((time.monotonic(), server))
            if server == self.plan.victim:
                self.blank_pending = False
            self.notes.add("repaired")
            return True
        if b"is not failed" in text and server == self.plan.victim and self.blank_pending:
            self.violation("blank_unnoticed", "%s: %r after a blank restart printed %r"
                           % (label, line, text[:300]))
        elif DIRTY_DEGRADED_REPAIR.search(text) and self.double_fault():
            self.notes.add("dirty_degraded_refusal")  # md's rule; the healer uses -force 1
        elif b"is not failed" not in text:
            self.violation("bricked", "%s: %r refused: %r" % (label, line, text[:300]))
        return False

    # ----- the end ------------------------------------------------------------------------
    def heal(self):
        """Everything quiet, dead servers started blank, failed ones repaired by one shell."""
        victim = self.array.servers[self.plan.victim]
        if self.victim_dead:
            victim.start()
            self.victim_dead, self.blank_pending = False, True
            self.say("server %d restarted blank for the end" % self.plan.victim)
        self.healer = Healer(self)
        failed = self.healer.failed_servers("end (status)")
        if self.blank_pending and self.plan.victim not in failed:
            self.violation("blank_unnoticed", "server %d was restarted blank, yet a new shell's "
                           "status does not call it FAILED" % self.plan.victim)
            failed.append(self.plan.victim)
        for server in sorted(set(failed)):
            self.healer.repair(server)
        if self.healer.failed_servers("end (status after repairs)"):
            self.violation("bricked", "servers still FAILED after their repair")
        code = self.status_process("end (-command status)")
        if code not in (0, None):
            self.violation("bricked", "-command status exits %d after healing" % code)

    def read_back(self):
        for k, names in self.plan.files.items():
            for name in names:
                plain = self.healer.send("cat " + name)  # an array error: on_output judges
                content = b"" if plain.startswith(b"Error") else content_of(plain)
                with self.lock:
                    records = dict(self.records)
                counts = check_file(name, k, content, records)
                self.counts.add(counts)
                self.judge("final read of %s" % name, counts)
        self.healer.close()

    def check_parity(self):
        p = self.plan
        physical = [read_server(s.port, p.server_blocks) for s in self.array.servers]
        lock_slot = raid.data_location(0, p.n)
        bad, unreadable = [], []
        for stripe in range(p.server_blocks):
            column = [physical[s][stripe] for s in range(p.n) if (s, stripe) != lock_slot]
            if any(block is None for block in column):
                unreadable.append(stripe)
            elif any(xor(column, p.bs)):
                bad.append(stripe)
        if bad or unreadable:
            self.violation("parity", "stripes whose parity does not match: %s; unreadable: %s"
                           % (bad, unreadable))

    def run(self):
        Shell.timeouts = self.timeouts
        os.environ["MEMORYFS_BUILD_DIR"] = str(self.build_dir)
        self.pool = servers.ServerPool()
        self.healer = None
        try:
            self.start_array()
            self.workers = [Worker(self, k) for k in range(self.plan.shells)]
            for worker in self.workers:  # one at a time: the first makes the file system
                worker.start_shell()
            injector = threading.Thread(target=self.inject, daemon=True)
            injector.start()
            for worker in self.workers:
                worker.start()
            self.join([*self.workers, injector])
            self.heal()
            self.read_back()
            self.check_parity()
        except Hang as error:
            self.violation("hang", str(error))
        except RunFailure as error:
            self.violation("crash", str(error))
        except Exception:  # noqa: BLE001 (a soak must report, not crash)
            self.violation("crash", "exception in the soak: " + traceback.format_exc())
        finally:
            self.cleanup()
        return not self.violations

    def join(self, threads):
        for thread in threads:
            thread.join(max(0.0, self.timeouts.run_deadline - time.monotonic()))
            if thread.is_alive():
                raise Hang("%s still running at the run's time limit" % thread.name)

    def cleanup(self):
        for worker in self.workers:
            if worker.shell is not None:
                worker.shell.kill()
        if self.healer is not None:
            self.healer.shell.kill()
        for server in self.array.servers if hasattr(self, "array") else ():
            server.resume()
        self.pool.cleanup()
        if self.proxy is not None:
            self.proxy.stop()
            self.say("pooling proxy: %d pooled connections found dead" % self.proxy.reconnects)
            if self.proxy.reconnects:
                self.notes.add("proxy_reconnected")


class Healer:
    """The shell of the end: a fresh one (-force 1: a dirty degraded array may be rebuilt)."""

    def __init__(self, run):
        self.run = run
        started = time.monotonic()
        self.shell = Shell(run.shell_args(HEALER_CID, extra=["-force", 1]), "healer")
        run.say("healer started (pid %d)" % self.shell.proc.pid)
        run.on_output(None, "startup", self.shell.startup, started, time.monotonic())

    def send(self, line):
        started = time.monotonic()
        out = self.shell.send(line)
        self.run.on_output(None, line, out, started, time.monotonic())
        return EVENT.sub(b"", out)

    def failed_servers(self, where):
        text = self.send("status")
        failed = [int(s) for s in FAILED_ROW.findall(text)]
        self.run.say("%s: FAILED servers %s" % (where, failed))
        return failed

    def repair(self, server):
        line = "repair %d" % server
        started = time.monotonic()
        out = self.shell.send(line)
        self.run.on_output(None, line, out, started, time.monotonic())
        self.run.on_repair(None, line, out)

    def close(self):
        status = self.shell.exit_status()
        self.run.on_stderr(self.shell)
        if status != 0:
            self.run.violation("bad_exit", "the healer exited with status %s" % status)


def content_of(plain):
    """The file bytes of a `cat`'s output: the prompt, error lines after the data (on_output
    judges them) and the newline after the data off."""
    body = TRAILING_ERRORS.sub(b"\n", PROMPT.sub(b"", plain))
    return body[:-1] if body.endswith(b"\n") else body


def owner_of(name):
    return int(name[1:-1])


# ---------------------------------------------------------------------------------------------
# The loop of runs.

def replay_command(seed, args, faults):
    cmd = "tools/soak.py --multi --seed %d --runs 1" % seed
    if args.build_dir != REPO_ROOT / "build":
        cmd += " --build-dir %s" % args.build_dir
    if tuple(faults) != FAULTS:
        cmd += " --faults %s" % (",".join(faults) or "none")
    if args.shells != "2..4":
        cmd += " --shells %s" % args.shells
    return cmd


def report_failure(index, run, args, faults, full):
    plan = run.plan
    print("FAILURE run %d seed %d: %s" % (index, plan.seed, plan.describe()))
    print("  kinds: %s" % ",".join(run.kinds()))
    for kind, text in run.violations[:8]:
        print("  %s: %s" % (kind, text[:600]))
    if len(run.violations) > 8:
        print("  (%d more violations)" % (len(run.violations) - 8))
    if full:
        print("  log:\n    " + "\n    ".join(run.log))
    print("  replay: %s" % replay_command(plan.seed, args, faults), flush=True)


def parse_faults(parser, text):
    if text is None:
        return list(FAULTS)
    faults = [f.strip() for f in text.split(",") if f.strip() and f.strip() != "none"]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        parser.error("unknown fault kind(s) %s (expected some of %s, or none)"
                     % (",".join(unknown), ",".join(FAULTS)))
    return faults


def parse_shells(parser, text):
    lo, _, hi = text.partition("..")
    try:
        lo, hi = int(lo), int(hi or lo)
    except ValueError:
        parser.error("--shells: K or LO..HI, got %r" % text)
    if not 1 <= lo <= hi <= HEALER_CID - 1:
        parser.error("--shells: between 1 and %d shells, got %r" % (HEALER_CID - 1, text))
    return lo, hi


class Totals:
    def __init__(self, faults):
        self.runs = self.failures = 0
        self.by_fault = {f: 0 for f in faults}
        self.failed_by_kind = {}
        self.counts = Counts()
        self.read_wrong_bytes = 0
        self.coverage = {}

    def add(self, run):
        self.runs += 1
        for fault in run.plan.faults:
            self.by_fault[fault] += 1
        self.counts.add(run.counts)
        self.read_wrong_bytes += run.read_counts.wrong_bytes
        for note in run.notes:
            self.coverage[note] = self.coverage.get(note, 0) + 1
        if run.violations:
            self.failures += 1
            for kind in run.kinds():
                self.failed_by_kind[kind] = self.failed_by_kind.get(kind, 0) + 1

    def summary(self, seconds, master):
        c = self.counts
        return ("soak --multi: runs=%d failures=%d wrong_bytes=%d zero_bytes=%d lost=%d "
                "duplicated=%d torn=%d foreign=%d read_wrong_bytes=%d faults: %s failed: %s "
                "seconds=%.1f master_seed=%d"
                % (self.runs, self.failures, c.wrong_bytes, c.zero_bytes, c.lost, c.duplicated,
                   c.torn, c.foreign, self.read_wrong_bytes,
                   ",".join("%s=%d" % kv for kv in self.by_fault.items()) or "none",
                   ",".join("%s=%d" % kv for kv in sorted(self.failed_by_kind.items(),
                                                          key=lambda kv: KINDS.index(kv[0])))
                   or "none", seconds, master))


def main(parser, args):
    faults = parse_faults(parser, args.faults)
    shells_range = parse_shells(parser, args.shells)
    run_timeout = args.run_timeout or RUN_TIMEOUT
    master = master_seed(args.seed)
    print("soak --multi: master seed %d, build %s, shells %d..%d, faults %s"
          % (master, args.build_dir, *shells_range, ",".join(faults) or "none"), flush=True)
    totals = Totals(faults)
    started = time.monotonic()
    interrupted = False
    try:
        index = 0
        while ((args.runs is None or totals.runs < args.runs)
               and time.monotonic() - started < args.seconds):
            plan = Plan(run_seed(master, index), faults, shells_range)
            run = MultiRun(plan, args.build_dir, run_timeout, args.verbose)
            t0 = time.monotonic()
            ok = run.run()
            totals.add(run)
            if args.verbose:
                print("run %d seed %d: %s %s (%.2f s)"
                      % (index, plan.seed, "ok" if ok else "FAILED " + ",".join(run.kinds()),
                         plan.describe(), time.monotonic() - t0), flush=True)
            if not ok:
                report_failure(index, run, args, faults, args.verbose > 1 or args.runs == 1)
            index += 1
    except KeyboardInterrupt:
        interrupted = True
    if args.verbose:
        print("coverage (runs that saw it): " +
              " ".join("%s=%d" % kv for kv in sorted(totals.coverage.items())))
    print(totals.summary(time.monotonic() - started, master), flush=True)
    if interrupted:
        print("soak: interrupted")
    return 1 if totals.failures or interrupted else 0
