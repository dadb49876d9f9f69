"""tools/bench_faults.py end to end with one repetition: real C++ servers, the real shell, a
SIGKILLed and a SIGSTOPped server. Checks the shape of both tables and the facts that do not
depend on the machine's load: a degraded `cat` costs more RPCs than a healthy one (blocks of
the dead server are rebuilt from the N-1 others), a killed server is detected well within
the timeout, a stopped one only after it."""

import re
import subprocess
import sys

import pytest

import servers
import shells

TOOL = servers.REPO_ROOT / "tools" / "bench_faults.py"
ROW = re.compile(r"^\| (.*) \|$")


def rows(text, header_start):
    """The body rows (lists of cells) of the Markdown table whose header starts so."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    assert set(lines[start + 1]) <= set("|-:")  # the separator row
    body = []
    for line in lines[start + 2:]:
        m = ROW.match(line)
        if not m:
            break
        body.append(m.group(1).split(" | "))
    return body


def spread(cell):
    low, median, high = (float(x) for x in cell.split(" / "))
    assert low <= median <= high
    return median


def test_one_repetition_gives_both_tables():
    if not (shells.shell_available() and servers.cpp_server_available()):
        pytest.fail("not built: %s" % servers.build_dir())
    run = subprocess.run([sys.executable, str(TOOL), "--n", "4", "--repeat", "1",
                          "--timeouts", "200,400"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    cost = rows(run.stdout, "| N | command |")
    assert [(r[0], r[1]) for r in cost] == [("4", "`cat` of 12 blocks"),
                                            ("4", "`append` of 1 block")]
    for r in cost:
        assert len(r) == 8
        spread(r[5]), spread(r[6])
    cat = cost[0]
    assert int(cat[3]) > int(cat[2])  # rebuilt blocks: N-1 Gets instead of 1
    detection = rows(run.stdout, "| fault (server 1 of N=4) |")
    assert [(r[0], r[1], r[3]) for r in detection] == [
        ("SIGKILL", "200", "1"), ("SIGKILL", "400", "1"), ("SIGSTOP", "200", "1"),
        ("SIGSTOP", "400", "1")]
    for fault, timeout_ms, latency, _ in detection:
        median = spread(latency)
        if fault == "SIGKILL":
            assert median < int(timeout_ms)  # a refused connection, not a timeout
        else:
            assert int(timeout_ms) <= median < int(timeout_ms) + 2000
    assert "Retried runs: " in run.stdout
