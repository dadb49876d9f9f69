"""The record checker of the multi-shell soak (soak_multi.py): what a file of self-delimiting
records must hold, given the history of the appends the shells sent.

A record is ``<writer>.<seq>.<payload>;`` (payload: lowercase letters), appended by writer
``writer`` (a logical shell: a killed shell's replacement continues its numbering) to one of its
own files. Each append is acknowledged (the shell printed ``Successfully appended N bytes.``),
unacknowledged (an error, a killed or fenced shell: it may be absent, or present once whole), or
still pending (a read during the run may race with it: treated as unacknowledged).

``parse(content, records)`` splits a file's bytes into whole records, torn records (a proper
prefix of an unacknowledged record) and wrong bytes; ``check_file`` turns that into counts for
one file; ``Counts`` adds them up. Standard library only, no processes: tested by
compat_tests/test_raid_soak_multi.py.
"""

import re
from dataclasses import dataclass, field

HEAD = re.compile(rb"(\d+)\.(\d+)\.")
KINDS = ("wrong_bytes", "zero_bytes", "foreign", "lost", "duplicated", "reordered", "torn")


@dataclass
class Record:
    writer: int
    seq: int
    file: str
    text: bytes
    acked: object = None  # True, False, or None while pending
    acked_at: float = None  # monotonic time the acknowledgement was read

    @property
    def key(self):
        return (self.writer, self.seq)


def record_text(writer, seq, payload):
    return b"%d.%d.%s;" % (writer, seq, payload.encode())


@dataclass
class Parsed:
    whole: list = field(default_factory=list)  # Record, in file order
    torn: list = field(default_factory=list)   # Record of which a proper prefix is there
    wrong_bytes: int = 0                       # bytes that belong to no record
    zero_bytes: int = 0                        # of which zero bytes
    first_wrong: int = None                    # offset of the first wrong byte


def common_prefix(content, at, text):
    n = 0
    while n < len(text) and at + n < len(content) and content[at + n] == text[n]:
        n += 1
    return n


def parse(content, records):
    """Splits ``content`` (bytes) using ``records`` ({(writer, seq): Record})."""
    out = Parsed()
    i = 0
    while i < len(content):
        m = HEAD.match(content, i)
        rec = records.get((int(m.group(1)), int(m.group(2)))) if m else None
        if rec is not None and content.startswith(rec.text, i):
            out.whole.append(rec)
            i += len(rec.text)
            continue
        if rec is not None and rec.acked is not True:
            out.torn.append(rec)
            i += common_prefix(content, i, rec.text)
            continue
        end = content.find(b";", i)
        end = len(content) if end < 0 else end + 1
        if out.first_wrong is None:
            out.first_wrong = i
        out.wrong_bytes += end - i
        out.zero_bytes += content.count(b"\0", i, end)
        i = end
    return out


@dataclass
class Counts:
    wrong_bytes: int = 0
    zero_bytes: int = 0
    foreign: int = 0      # whole records of another writer or another file
    lost: int = 0         # acknowledged appends missing
    duplicated: int = 0   # records present more than once
    reordered: int = 0    # a writer's records out of its order
    torn: int = 0         # proper prefixes of unacknowledged records
    notes: list = field(default_factory=list)  # one line per finding, for the report

    def add(self, other):
        for kind in KINDS:
            setattr(self, kind, getattr(self, kind) + getattr(other, kind))
        self.notes += other.notes

    def total(self):
        return sum(getattr(self, kind) for kind in KINDS)

    def nonzero(self):
        return {kind: getattr(self, kind) for kind in KINDS if getattr(self, kind)}


def check_file(name, owner, content, records, must_hold=None):
    """Counts for file ``name`` of writer ``owner`` holding ``content``.

    ``must_hold(record)`` says whether an acknowledged record of this file must be there (the
    final read-back: all of them; a read during the run: those acknowledged before it was
    sent); None: all acknowledged ones."""
    must_hold = must_hold or (lambda rec: rec.acked is True)
    parsed = parse(content, records)
    counts = Counts(wrong_bytes=parsed.wrong_bytes, zero_bytes=parsed.zero_bytes,
                    torn=len(parsed.torn))
    if parsed.wrong_bytes:
        at = parsed.first_wrong
        counts.notes.append("%s: %d wrong bytes (%d zero), the first at %d: %r"
                            % (name, parsed.wrong_bytes, parsed.zero_bytes, at,
                               content[max(0, at - 20):at + 60]))
    for rec in parsed.torn:
        counts.notes.append("%s: torn unacknowledged record %r" % (name, rec.text))
    own = [rec for rec in parsed.whole if rec.writer == owner and rec.file == name]
    for rec in parsed.whole:
        if rec not in own:
            counts.foreign += 1
            counts.wrong_bytes += len(rec.text)
            counts.notes.append("%s: record %r of writer %d's file %s"
                                % (name, rec.text, rec.writer, rec.file))
    seen = {}
    for rec in own:
        seen[rec.key] = seen.get(rec.key, 0) + 1
    for key, times in seen.items():
        if times > 1:
            counts.duplicated += times - 1
            counts.notes.append("%s: record %r present %d times"
                                % (name, records[key].text, times))
    for rec in records.values():
        if rec.writer == owner and rec.file == name and must_hold(rec) and rec.key not in seen:
            counts.lost += 1
            counts.notes.append("%s: acknowledged record %r missing" % (name, rec.text))
    order = [rec.seq for rec in own]
    counts.reordered = sum(1 for a, b in zip(order, order[1:]) if b < a)
    if counts.reordered:
        counts.notes.append("%s: records out of order: seqs %s" % (name, order))
    return counts
