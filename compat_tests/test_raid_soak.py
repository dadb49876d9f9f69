"""The seeded fault-injection soak (tools/soak.py) for 45 seconds: every run must pass.

The master seed is MEMORYFS_SOAK_SEED when set, else derived from the time; it is printed, and
any failing run prints its own seed and the command that replays it alone
(``tools/soak.py --seed <run seed> --runs 1``). See docs/soak.md."""

import os
import subprocess
import sys
import time

import servers
import shells

SOAK = servers.REPO_ROOT / "tools" / "soak.py"
SECONDS = 45


def test_raid_soak():
    assert servers.cpp_server_available(), "server not built: %s" % servers.cpp_server_path()
    assert shells.shell_available(), "shell not built: %s" % shells.shell_path()
    seed = int(os.environ.get("MEMORYFS_SOAK_SEED", int(time.time()) % 1000000))
    print("soak master seed %d" % seed)
    result = subprocess.run(
        [sys.executable, str(SOAK), "--seconds", str(SECONDS), "--seed", str(seed),
         "--build-dir", str(servers.build_dir()), "--verbose"],
        capture_output=True, text=True, timeout=SECONDS + 240)
    output = result.stdout + result.stderr
    summary = [line for line in result.stdout.splitlines() if line.startswith("soak: runs=")]
    assert result.returncode == 0 and summary, (
        "tools/soak.py --seconds %d --seed %d exited with status %d:\n%s"
        % (SECONDS, seed, result.returncode, output))
    print(summary[0])
