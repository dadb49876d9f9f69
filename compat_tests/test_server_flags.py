"""Command line of memoryfs_server: the course's texts for missing flags, our checks for bad
values, long forms, --help, -config INI files and -host."""

import resource
import socket

import pytest

import servers

NB, BS = 16, 256
MISSING_CASES = [
    ([], "Must specify total number of blocks"),
    (["-bs", 128, "-port", 1], "Must specify total number of blocks"),
    (["-port", 1], "Must specify total number of blocks"),
    (["-nb", 4], "Must specify block size"),
    (["-nb", 4, "-port", 1], "Must specify block size"),
    (["-nb", 4, "-bs", 128], "Must specify port number"),
]


def banner(nb, bs, port):
    return "Running block server with nb=%d, bs=%d on port %d" % (nb, bs, port)


@pytest.mark.parametrize("args, message", MISSING_CASES)
def test_missing_flag_same_text_as_reference(cpp_binary, args, message):
    ref = servers.run_server_once("ref", args)
    cpp = servers.run_server_once("cpp", args)
    assert ref.stdout == message + "\n"
    assert cpp.stdout == ref.stdout
    assert cpp.returncode != 0 and ref.returncode != 0


@pytest.mark.parametrize("flag, value", [
    ("nb", "abc"), ("nb", "0"), ("nb", "-3"), ("nb", "1.5"), ("nb", ""),
    ("bs", "-5"), ("bs", "0"), ("bs", "x"),
    ("port", "70000"), ("port", "-1"), ("port", "http"),
])
def test_bad_value_names_the_flag(cpp_binary, flag, value):
    args = {"nb": "16", "bs": "128", "port": str(servers.free_port())}
    args[flag] = value
    argv = [item for name in ("nb", "bs", "port") for item in ("-" + name, args[name])]
    result = servers.run_server_once("cpp", argv)
    assert result.returncode != 0
    assert "Running block server" not in result.stdout
    assert flag in result.stdout + result.stderr


def test_unallocatable_size_fails_cleanly(cpp_binary):
    """-nb 100000000 -bs 4 (400 MB of data) under a 1 GiB address-space limit: an error
    message and a normal non-zero exit, not an abort from an uncaught std::bad_alloc."""
    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = servers.run_server_once(
        "cpp", ["-nb", 100_000_000, "-bs", 4, "-port", servers.free_port()], timeout=20,
        preexec_fn=limit_memory)
    assert result.returncode > 0, (result.returncode, result.stderr[-300:])
    assert "Running block server" not in result.stdout
    assert "terminate called" not in result.stderr


@pytest.mark.parametrize("kind", servers.KINDS)
def test_unknown_flag_refused(require_kind, kind):
    require_kind(kind)
    result = servers.run_server_once(kind, ["-nb", 4, "-bs", 128, "-port", servers.free_port(),
                                            "-bogus", 3])
    assert result.returncode != 0
    assert "Running block server" not in result.stdout


def test_help(cpp_binary):
    result = servers.run_server_once("cpp", ["--help"])
    assert result.returncode == 0
    for flag in ("nb", "bs", "port", "cblk", "config"):
        assert flag in result.stdout


@pytest.mark.parametrize("style", ["equals", "space"])
def test_long_forms(start_server, style):
    port = servers.free_port()
    if style == "equals":
        args = ["--nb=%d" % NB, "--bs=%d" % BS, "--port=%d" % port]
    else:
        args = ["--nb", NB, "--bs", BS, "--port", port]
    server = start_server("cpp", nb=NB, bs=BS, port=port, args=args)
    assert server.banner == banner(NB, BS, port)
    assert server.proxy().Get(NB - 1) == bytes(BS)


@pytest.mark.parametrize("kind", servers.KINDS)
def test_banner_is_the_course_line(start_server, kind):
    server = start_server(kind, nb=NB, bs=BS)
    assert server.banner == banner(NB, BS, server.port)
    assert server.stdout() == server.banner + "\n"


# ----- -config ---------------------------------------------------------------------------------

def write_ini(tmp_path, **keys):
    """An INI file with ``key = value`` lines (and a comment), returning its path."""
    path = tmp_path / "server.ini"
    lines = ["# memoryfs_server test configuration"]
    lines += ["%s = %s" % (key, value) for key, value in keys.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_config_file_supplies_everything(start_server, tmp_path):
    port = servers.free_port()
    ini = write_ini(tmp_path, nb=NB, bs=BS, port=port, cblk=2, host="127.0.0.1")
    server = start_server("cpp", nb=NB, bs=BS, port=port, args=["-config", ini])
    assert server.banner == banner(NB, BS, port)
    proxy = server.proxy()
    assert proxy.Get(NB - 1) == bytes(BS)
    with pytest.raises(Exception, match="CHECKSUM_ERROR 2"):
        proxy.Get(2)


def test_command_line_wins_over_config(start_server, tmp_path):
    port = servers.free_port()
    ini = write_ini(tmp_path, nb=8, bs=64, port=1)
    server = start_server("cpp", nb=NB, bs=BS, port=port,
                          args=["-config", ini, "-nb", NB, "-bs", BS, "-port", port])
    assert server.banner == banner(NB, BS, port)
    assert server.proxy().Get(NB - 1) == bytes(BS)


def test_config_missing_key_gives_course_text(cpp_binary, tmp_path):
    ini = write_ini(tmp_path, nb=NB, port=servers.free_port())
    result = servers.run_server_once("cpp", ["-config", ini])
    assert result.returncode != 0
    assert result.stdout == "Must specify block size\n"


def test_config_file_not_found(cpp_binary, tmp_path):
    result = servers.run_server_once("cpp", ["-config", tmp_path / "nope.ini"])
    assert result.returncode != 0
    assert "Running block server" not in result.stdout


# ----- -host -----------------------------------------------------------------------------------

def test_host_flag_binds_that_address_only(start_server):
    cpp = start_server("cpp", nb=NB, bs=BS, host="127.0.0.2", extra_args=["-host", "127.0.0.2"])
    assert cpp.proxy().Get(1) == bytes(BS)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", cpp.port), timeout=2).close()


@pytest.mark.parametrize("kind", servers.KINDS)
def test_default_bind_is_127_0_0_1_only(start_server, kind):
    server = start_server(kind, nb=NB, bs=BS)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", server.port), timeout=2).close()
