"""Every program answers --version with its name and the project's version, exit status 0,
under both editions' names (issue 11, item 6)."""

import re
import subprocess

import pytest

import servers

VERSION = re.search(r"project\(memoryfs VERSION ([0-9.]+)",
                    (servers.REPO_ROOT / "CMakeLists.txt").read_text()).group(1)


@pytest.mark.parametrize("program", ["memoryfs_server", "blockserver", "memoryfs_shell_rpc",
                                     "fsmain"])
def test_version(program):
    result = subprocess.run([str(servers.build_dir() / "bin" / program), "--version"],
                            capture_output=True, text=True, timeout=10)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "%s %s\n" % (program, VERSION), "")
