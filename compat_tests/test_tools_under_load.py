"""The measurement tools on a bad day: a run that fails is retried (bounded, and counted in the
output) and a run that keeps failing is reported with its reason (exit status, stderr tail,
the last lines of stdout; never a bytes repr of the whole output).

Failures are injected deterministically with a fake shell (a small script given to the tools'
--shell flag): it fails its first FAKE_SHELL_FAILS invocations, as a shell does on a loaded
machine (`timed out after 1000 ms`), then runs the real shell. Real servers, real shells."""

import os
import subprocess
import sys

import pytest

import servers
import shells

TOOLS = servers.REPO_ROOT / "tools"
LONG_LINE = "t" * 5000

FAKE_SHELL = r'''#!%(python)s
import os, sys
counter = os.environ["FAKE_SHELL_COUNTER"]
n = int(open(counter).read()) if os.path.exists(counter) else 0
open(counter, "w").write(str(n + 1))
if n < int(os.environ["FAKE_SHELL_FAILS"]):
    if os.environ["FAKE_SHELL_MODE"] == "exit":
        sys.stdout.write("%(long)s\nlast line of stdout\n")
        sys.stderr.write("injected failure %%d\n" %% n)
        sys.exit(3)
    sys.stdout.write("%(long)s\nError: UNAVAILABLE: 127.0.0.1:1: timed out after 1000 ms\n")
    sys.exit(0)
os.execv(%(real)r, [%(real)r] + sys.argv[1:])
'''


@pytest.fixture
def fake_shell(tmp_path):
    """run(tool_args, fails, mode) runs a tool with the fake shell; returns CompletedProcess."""
    if not (shells.shell_available() and servers.cpp_server_available()):
        pytest.fail("not built: %s" % servers.build_dir())
    script = tmp_path / "fake_shell"
    script.write_text(FAKE_SHELL % {"python": sys.executable, "long": LONG_LINE,
                                    "real": str(shells.shell_path())})
    script.chmod(0o755)

    calls = []

    def run(tool, args, fails, mode="exit"):
        calls.append(tool)
        counter = tmp_path / ("counter_%d" % len(calls))  # each run starts from 0
        env = dict(os.environ, FAKE_SHELL_COUNTER=str(counter), FAKE_SHELL_FAILS=str(fails),
                   FAKE_SHELL_MODE=mode)
        return subprocess.run([sys.executable, str(TOOLS / tool), "--shell", str(script), *args],
                              capture_output=True, text=True, timeout=60, env=env)
    return run


def assert_reason_is_readable(stderr):
    assert LONG_LINE not in stderr and "b'ttt" not in stderr  # tails, not a bytes repr
    assert "stdout (last lines):" in stderr and "stderr (last lines):" in stderr
    assert all(len(line) < 250 for line in stderr.splitlines())


BENCH_RAID = ["--sections", "workload", "--files", "2", "--size", "100"]


def test_bench_raid_retries_a_failed_run_and_says_so(fake_shell):
    run = fake_shell("bench_raid.py", BENCH_RAID, fails=1)
    assert run.returncode == 0, run.stderr
    assert "Retried runs: 1 (single server (cpp) x1)." in run.stdout
    assert run.stdout.count("| RAID-5, N=4 ") == 2 and "| single server (cpp) |" in run.stdout
    assert "single server (cpp): attempt 1 of 3 failed, retrying" in run.stderr
    assert "exit status 3" in run.stderr and "injected failure 0" in run.stderr
    assert_reason_is_readable(run.stderr)


def test_bench_raid_prints_why_a_run_failed(fake_shell):
    run = fake_shell("bench_raid.py", BENCH_RAID + ["--retries", "1"], fails=100, mode="error")
    assert run.returncode == 1
    assert "single server (cpp): gave up after 2 attempt(s)" in run.stderr
    assert "it printed 1 Error line(s), the first: Error: UNAVAILABLE: 127.0.0.1:1: timed out " \
           "after 1000 ms" in run.stderr
    assert "Retried runs: 1 (single server (cpp) x1)." in run.stderr
    assert_reason_is_readable(run.stderr)


def test_load_analysis_retries_then_reports_the_reason(fake_shell, tmp_path):
    args = ["--quick", "--out", str(tmp_path / "load")]
    run = fake_shell("load_analysis.py", args, fails=1)
    assert run.returncode == 0, run.stderr
    assert "Retried runs: 1 (bs=128, small files (2 blocks), N=1 x1)." in run.stderr
    assert (tmp_path / "load" / "summary.md").exists()

    run = fake_shell("load_analysis.py", args + ["--retries", "0"], fails=1)
    assert run.returncode == 1
    assert "N=1: gave up after 1 attempt(s)" in run.stderr
    assert "failed: exit status 3; shell exited" in run.stderr
    assert "    injected failure 0" in run.stderr and "    last line of stdout" in run.stderr
    assert "Retried runs: 0." in run.stderr
    assert_reason_is_readable(run.stderr)


def test_bench_raid_retries_a_golden_run_that_timed_out(fake_shell):
    # The cache comparison accepts the goldens' file-system errors (Error: ERROR_...) but not a
    # device error: before, a timeout there ended in "-cache 1 printed something else".
    run = fake_shell("bench_raid.py", ["--sections", "cache", "--cache-cases", "g01_basic",
                                       "--cache-repeat", "1"], fails=1, mode="error")
    assert run.returncode == 0, run.stderr
    assert "Retried runs: 1 (g01_basic, -cache 0 x1)." in run.stdout
    assert "Error: UNAVAILABLE: 127.0.0.1:1: timed out after 1000 ms" in run.stderr
    assert_reason_is_readable(run.stderr)


FAKE_CLIENT = r'''#!%(python)s
import os, sys
try:  # the first of all the client processes started fails, the others run
    os.close(os.open(%(marker)r, os.O_CREAT | os.O_EXCL))
except FileExistsError:
    os.execv(%(real)r, [%(real)r] + sys.argv[1:])
print("12")
sys.stderr.write("memoryfs_bench_client: UNAVAILABLE: 127.0.0.1:%%s: timed out after %%s ms\n"
                 %% (sys.argv[1], sys.argv[6]))
sys.exit(1)
'''


def test_bench_server_retries_a_failed_client_and_says_why(tmp_path):
    real = servers.build_dir() / "bin" / "memoryfs_bench_client"
    if not (real.exists() and servers.cpp_server_available()):
        pytest.fail("not built: %s" % servers.build_dir())
    bin_dir = tmp_path / "build" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "memoryfs_server").symlink_to(servers.cpp_server_path())
    client = bin_dir / "memoryfs_bench_client"
    client.write_text(FAKE_CLIENT % {"python": sys.executable, "real": str(real),
                                     "marker": str(tmp_path / "failed_once")})
    client.chmod(0o755)
    run = subprocess.run([sys.executable, str(TOOLS / "bench_server.py"), "--duration", "0.1",
                          "--build-dir", str(tmp_path / "build"), "--timeout-ms", "7000"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Retried runs: 1 (Get 128 B, 8 C++ client processes, cpp x1)." in run.stdout
    assert "bench client against cpp failed: exit status 1" in run.stderr
    assert "timed out after 7000 ms" in run.stderr  # --timeout-ms reaches the clients
    assert_reason_is_readable(run.stderr)
