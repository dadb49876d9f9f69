"""The multi-shell soak (tools/soak.py --multi): its record checker on made-up files (always),
and a bounded slice of real runs against the built binaries.

The slice runs for 40 s with MEMORYFS_SOAK_MULTI=1 only: a shell stopped past its lease still,
now and then (2 of 40 runs in one CI run), calls healthy servers failed when it resumes
(docs/soak.md), which fails the run; the variable goes with that fix. Its master seed is
MEMORYFS_SOAK_SEED when set, else derived from the time; it is printed, and a failing run prints the command that
replays it alone (``tools/soak.py --multi --seed <run seed> --runs 1``). See docs/soak.md."""

import os
import subprocess
import sys
import time

import pytest

import servers
import shells

sys.path.insert(0, str(servers.REPO_ROOT / "tools"))
from soak_check import Record, check_file, parse, record_text  # noqa: E402

SOAK = servers.REPO_ROOT / "tools" / "soak.py"
SECONDS = 40


def history(*specs):
    """{key: Record} from (writer, seq, file, payload, acked) tuples."""
    records = {}
    for writer, seq, name, payload, acked in specs:
        rec = Record(writer, seq, name, record_text(writer, seq, payload), acked)
        records[rec.key] = rec
    return records


RECORDS = history((1, 0, "s1a", "abc", True), (1, 1, "s1a", "de", False),
                  (1, 2, "s1a", "fgh", True), (2, 0, "s2a", "xyz", True),
                  (1, 3, "s1b", "q", True))


def test_a_file_holding_what_was_acknowledged_passes():
    counts = check_file("s1a", 1, b"1.0.abc;1.2.fgh;", RECORDS)
    assert counts.total() == 0, counts.notes
    counts = check_file("s1a", 1, b"1.0.abc;1.1.de;1.2.fgh;", RECORDS)  # unacknowledged, whole
    assert counts.total() == 0, counts.notes


def test_lost_duplicated_and_reordered_appends_are_counted():
    assert check_file("s1a", 1, b"1.0.abc;", RECORDS).lost == 1
    assert check_file("s1a", 1, b"1.0.abc;1.2.fgh;1.2.fgh;", RECORDS).duplicated == 1
    assert check_file("s1a", 1, b"1.0.abc;1.1.de;1.1.de;1.2.fgh;", RECORDS).duplicated == 1
    assert check_file("s1a", 1, b"1.2.fgh;1.0.abc;", RECORDS).reordered == 1


def test_foreign_zero_and_torn_bytes_are_counted():
    foreign = check_file("s1a", 1, b"1.0.abc;2.0.xyz;1.2.fgh;", RECORDS)
    assert (foreign.foreign, foreign.wrong_bytes) == (1, len(b"2.0.xyz;"))
    other_file = check_file("s1a", 1, b"1.0.abc;1.3.q;1.2.fgh;", RECORDS)
    assert other_file.foreign == 1
    zeros = check_file("s1a", 1, b"1.0.abc;\0\0\0\0;1.2.fgh;", RECORDS)
    assert (zeros.zero_bytes, zeros.wrong_bytes) == (4, 5)
    torn = check_file("s1a", 1, b"1.0.abc;1.1.d1.2.fgh;", RECORDS)
    assert (torn.torn, torn.wrong_bytes, torn.lost) == (1, 0, 0)


def test_bytes_of_another_record_inside_a_record_are_wrong():
    counts = check_file("s1a", 1, b"1.0.ab2.0.xyz;c;1.2.fgh;", RECORDS)
    assert counts.lost == 1 and counts.wrong_bytes > 0
    assert parse(b"1.0.abc;garbage;", RECORDS).wrong_bytes == len(b"garbage;")


def test_a_read_during_the_run_needs_only_what_was_acknowledged_before_it():
    records = history((1, 0, "s1a", "abc", True), (1, 2, "s1a", "fgh", True))
    records[(1, 0)].acked_at, records[(1, 2)].acked_at = 1.0, 3.0
    before = lambda rec: rec.acked is True and rec.acked_at < 2.0  # noqa: E731
    assert check_file("s1a", 1, b"1.0.abc;", records, before).total() == 0
    assert check_file("s1a", 1, b"", records, before).lost == 1


@pytest.mark.skipif(os.environ.get("MEMORYFS_SOAK_MULTI") != "1",
                    reason="a resumed stale shell can still fail healthy servers (docs/soak.md); "
                           "MEMORYFS_SOAK_MULTI=1 runs it")
def test_raid_soak_multi():
    assert servers.cpp_server_available(), "server not built: %s" % servers.cpp_server_path()
    assert shells.shell_available(), "shell not built: %s" % shells.shell_path()
    seed = int(os.environ.get("MEMORYFS_SOAK_SEED", int(time.time()) % 1000000))
    print("multi-shell soak master seed %d" % seed)
    result = subprocess.run(
        [sys.executable, str(SOAK), "--multi", "--seconds", str(SECONDS), "--seed", str(seed),
         "--build-dir", str(servers.build_dir()), "--verbose"],
        capture_output=True, text=True, timeout=SECONDS + 300)
    output = result.stdout + result.stderr
    summary = [line for line in result.stdout.splitlines()
               if line.startswith("soak --multi: runs=")]
    assert result.returncode == 0 and summary, (
        "tools/soak.py --multi --seconds %d --seed %d exited with status %d:\n%s"
        % (SECONDS, seed, result.returncode, output))
    print(summary[0])
