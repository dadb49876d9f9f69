"""The INI files of configs/ work as documented: servers and shells started with -config, the
command line winning over the file; the shell's -servers also works from a config file."""

import pytest

import servers
import shells
from raid import RaidServers

CONFIGS = servers.REPO_ROOT / "configs"


@pytest.fixture(autouse=True)
def _need_shell():
    if not shells.shell_available():
        pytest.fail("shell not built: %s" % shells.shell_path())


def start_configured_server(pool, config):
    """A C++ server from an INI file, on a free port given on the command line."""
    port = servers.free_port()
    return pool.start("cpp", nb=256, bs=128, port=port,
                      args=["-config", CONFIGS / config, "-port", port])


def test_server_config_files(pool):
    for config in ("server.ini", "server_raid.ini"):
        server = start_configured_server(pool, config)
        try:
            stats = server.proxy().Stats()
            assert (stats["nb"], stats["bs"]) == (256, 128)
        finally:
            server.kill()


def test_homework_config_with_port_override(pool):
    server = pool.start("cpp", nb=256, bs=128)
    result = shells.run_shell(["-config", CONFIGS / "homework.ini", "-port", server.port],
                              "create a\nappend a hello\ncat a\nexit\n")
    assert result.returncode == 0
    assert b"hello\n" in result.stdout


@pytest.mark.parametrize("config, n", [("raid4.ini", 4), ("raid8.ini", 8)])
def test_raid_configs_with_servers_override(pool, config, n):
    array = RaidServers(pool, n, 256 * (n - 1), 128)
    addresses = ",".join("127.0.0.1:%d" % s.port for s in array.servers)
    result = shells.run_shell(["-config", CONFIGS / config, "-servers", addresses],
                              "create a\nappend a hello\ncat a\nexit\n")
    assert result.returncode == 0, result.stderr
    assert b"hello\n" in result.stdout
    assert array.parity_errors() == []


def test_servers_list_in_a_config_file(pool, tmp_path):
    array = RaidServers(pool, 4, 768, 128)
    addresses = ",".join("127.0.0.1:%d" % s.port for s in array.servers)
    config = tmp_path / "mine.ini"
    config.write_text("ns = 4\nservers = %s\nnb = 768\nbs = 128\ncid = 0\n" % addresses)
    result = shells.run_shell(["-config", config], "create a\nappend a hi\ncat a\nexit\n")
    assert result.returncode == 0, result.stderr
    assert b"hi\n" in result.stdout
