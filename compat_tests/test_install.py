"""The project installed as a Debian tool would be (issue 11, item 6): ``cmake --install`` into a
temporary prefix, and the .deb that cpack makes, checked with dpkg-deb and unpacked. From each:
the four programs, their man pages, the example configs and the docs are where the GNU layout
puts them, every program answers --version, and the installed server and shells work together.

Skips when ``$MEMORYFS_BUILD_DIR`` holds no build (fails instead with MEMORYFS_REQUIRE_CPP=1).
The man pages are checked when help2man was found at configure time (CI installs it). With
MEMORYFS_TEST_DPKG_INSTALL=1, as root, the .deb is also installed with ``dpkg -i`` (when no
memoryfs package is installed yet), run from /usr/bin and removed again with ``dpkg -r``.
"""

import gzip
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import servers

PROGRAMS = ("memoryfs_server", "blockserver", "memoryfs_shell_rpc", "fsmain")
VERSION = re.search(r"project\(memoryfs VERSION ([0-9.]+)",
                    (servers.REPO_ROOT / "CMakeLists.txt").read_text()).group(1)
CONFIGS = sorted(p.name for p in (servers.REPO_ROOT / "configs").glob("*.ini"))
# README.md, docs/*.md and the plots docs/report.md shows, relative to the doc directory.
DOCS = ["README.md"] + sorted("docs/" + p.name for p in (servers.REPO_ROOT / "docs").glob("*.md"))
DOCS += sorted("docs/" + m for m in re.findall(r"\]\((load/[^)]+\.png)\)",
                                               (servers.REPO_ROOT / "docs/report.md").read_text()))
# Flags each man page must document (from --help, by help2man).
MAN_FLAGS = {
    "memoryfs_server": ["-nb", "-bs", "-port", "-cblk", "-config"],
    "blockserver": ["-nb", "-bs", "-port", "-delayat", "-delay_ms"],
    "memoryfs_shell_rpc": ["-nb", "-ns", "-startport", "-servers", "-cid", "-config"],
    "fsmain": ["-nb", "-port", "-logcache", "-retry_wait_ms"],
}
SHELL_INPUT = "create f\nappend f hello\ncat f\nexit\n"
SHELL_OUTPUT = "[cwd=0]%[cwd=0]%Successfully appended 5 bytes.\n[cwd=0]%hello\n[cwd=0]%"


# ----- the build, its cache and the tools ------------------------------------------------------

def _missing(message):
    if os.environ.get("MEMORYFS_REQUIRE_CPP") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _cache():
    """The build's CMakeCache.txt as {name: value}; skips (or fails) when there is no build."""
    build = servers.build_dir()
    absent = [p for p in PROGRAMS if not (build / "bin" / p).is_file()]
    if absent or not (build / "CPackConfig.cmake").is_file():
        _missing("no configured build with the programs and CPackConfig.cmake in %s (missing: %s)"
                 % (build, ", ".join(absent) or "CPackConfig.cmake"))
    cache = {}
    for line in (build / "CMakeCache.txt").read_text().splitlines():
        match = re.match(r"([A-Za-z_0-9]+):[A-Z]+=(.*)$", line)
        if match:
            cache[match.group(1)] = match.group(2)
    return cache


def _has_man_pages(cache):
    """Whether configure found help2man (docs/man/CMakeLists.txt): the man pages were built."""
    found = cache.get("HELP2MAN_EXECUTABLE", "")
    return bool(found) and not found.endswith("NOTFOUND")


def _run(argv, timeout=60, **kwargs):
    """Runs argv to completion; asserts exit status 0 and returns the CompletedProcess."""
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    assert result.returncode == 0, "%s: status %d\n%s%s" % (argv, result.returncode,
                                                           result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def cache():
    return _cache()


@pytest.fixture(scope="module")
def installed(cache, tmp_path_factory):
    """A prefix that ``cmake --install <build> --prefix`` filled."""
    prefix = tmp_path_factory.mktemp("prefix")
    _run([cache["CMAKE_COMMAND"], "--install", servers.build_dir(), "--prefix", prefix])
    return prefix


@pytest.fixture(scope="module")
def deb(cache, tmp_path_factory):
    """The .deb that cpack makes from the build, in a temporary directory."""
    for tool in ("dpkg-deb", "dpkg"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)
    out = tmp_path_factory.mktemp("deb")
    _run([cache["CMAKE_CPACK_COMMAND"], "--config", servers.build_dir() / "CPackConfig.cmake",
          "-B", out], timeout=120)
    arch = _run(["dpkg", "--print-architecture"]).stdout.strip()
    package = out / ("memoryfs_%s_%s.deb" % (VERSION, arch))
    assert package.is_file(), sorted(p.name for p in out.iterdir())
    return package


@pytest.fixture(scope="module")
def unpacked(deb, tmp_path_factory):
    """The .deb's files, extracted with ``dpkg-deb -x``: the root of its /usr."""
    root = tmp_path_factory.mktemp("unpacked")
    _run(["dpkg-deb", "-x", deb, root])
    return root / "usr"


# ----- what an installed tree must hold and do ---------------------------------------------

def _check_tree(prefix, man_pages):
    """The GNU layout under ``prefix``: programs, configs, docs and (when built) man pages."""
    for program in PROGRAMS:
        path = prefix / "bin" / program
        assert path.is_file() and os.access(path, os.X_OK), path
    configs = prefix / "share" / "memoryfs" / "configs"
    for name in CONFIGS:
        assert (configs / name).read_bytes() == (servers.REPO_ROOT / "configs" / name).read_bytes()
    for doc in DOCS:
        assert (prefix / "share" / "doc" / "memoryfs" / doc).is_file(), doc
    if man_pages:
        for program in PROGRAMS:
            _check_man_page(prefix / "share" / "man" / "man1" / (program + ".1.gz"), program)


def _check_man_page(page, program):
    """A section-1 page for ``program`` at this version, with SYNOPSIS, OPTIONS, EXAMPLES and
    SEE ALSO, documenting its flags; rendered by man(1) when it is here."""
    roff = gzip.decompress(page.read_bytes()).decode()
    assert re.search(r'^\.TH %s "?1"? .*"memoryfs %s"' % (program.upper(), re.escape(VERSION)),
                     roff, re.M), roff[:300]
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "SEE ALSO"):
        assert re.search(r'^\.SH "?%s"?$' % section, roff, re.M), (page, section)
    for flag in MAN_FLAGS[program]:
        assert "\\" + flag in roff, (page, flag)  # help2man writes "-nb" as "\-nb"
    if shutil.which("man"):
        text = _run(["man", "-l", "-E", "ascii", page], env=dict(os.environ, MANWIDTH="100")).stdout
        assert text.lstrip().startswith("%s(1)" % program.upper()), text[:200]
        assert re.search(r"^NAME\n +%s +- " % program, text, re.M), text[:400]
        for flag in MAN_FLAGS[program]:
            assert re.search(r"^ +%s\b" % re.escape(flag), text, re.M), (page, flag)


def _check_versions(bin_dir):
    for program in PROGRAMS:
        result = _run([bin_dir / program, "--version"], timeout=10)
        assert (result.stdout, result.stderr) == ("%s %s\n" % (program, VERSION), "")


def _start_server(path):
    """Starts the server at ``path`` on a free loopback port; returns (Popen, port)."""
    process = subprocess.Popen([str(path), "-nb", "256", "-bs", "128", "-port", "0",
                                "-host", servers.LOOPBACK], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + servers.DEFAULT_START_TIMEOUT
    while True:
        ready, _, _ = select.select([process.stdout], [], [], max(0, deadline - time.monotonic()))
        line = process.stdout.readline() if ready else ""
        match = re.match(r"Running block server with nb=256, bs=128 on port (\d+)$", line)
        if match:
            return process, int(match.group(1))
        if not ready or not line:
            process.kill()
            process.wait()
            pytest.fail("%s printed no banner: %r %s" % (path, line, process.stderr.read()))


# (server, shell, its flags, flags with which memoryfs_shell_rpc reads what the shell wrote)
ROUND_TRIPS = [
    ("memoryfs_server", "memoryfs_shell_rpc", [], ["-rootinit", "0"]),
    ("blockserver", "fsmain", ["-logcache", "0"],
     ["-edition", "2023", "-logcache", "0", "-rootinit", "0"]),
]


def _check_round_trip(bin_dir):
    """Each installed server with an installed shell: a file written and read back, then read
    again by a second shell from the server's blocks."""
    for server, shell, shell_args, reader_args in ROUND_TRIPS:
        process, port = _start_server(bin_dir / server)
        try:
            at = ["-port", port, "-cid", "0"]
            result = _run([bin_dir / shell, *at, *shell_args], input=SHELL_INPUT, timeout=30)
            assert result.stdout == SHELL_OUTPUT, (shell, result.stdout, result.stderr)
            again = _run([bin_dir / "memoryfs_shell_rpc", *at, *reader_args],
                         input="cat f\nexit\n", timeout=30)
            assert again.stdout == "[cwd=0]%hello\n[cwd=0]%", (shell, again.stdout, again.stderr)
        finally:
            process.kill()
            process.wait()


# ----- cmake --install -------------------------------------------------------------------------

def test_cmake_install_layout(installed):
    _check_tree(installed, man_pages=False)


def test_cmake_install_man_pages(installed, cache):
    if not _has_man_pages(cache):  # optional: the build goes on without help2man
        pytest.skip("help2man was not found when %s was configured" % servers.build_dir())
    _check_tree(installed, man_pages=True)


def test_cmake_install_programs_run(installed):
    _check_versions(installed / "bin")
    _check_round_trip(installed / "bin")


# ----- the .deb --------------------------------------------------------------------------------

def _installed_packages():
    listing = _run(["dpkg-query", "-W", "-f", "${Package} ${Status}\n"]).stdout
    return {line.split()[0].split(":")[0] for line in listing.splitlines()
            if line.endswith(" installed")}


def test_deb_metadata(deb):
    fields = _run(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Maintainer",
                   "Depends", "Description"]).stdout
    meta = dict(re.findall(r"^(\w+): (.*)$", fields, re.M))
    assert meta["Package"] == "memoryfs"
    assert meta["Version"] == VERSION
    assert meta["Architecture"] == _run(["dpkg", "--print-architecture"]).stdout.strip()
    assert re.match(r".+ <[^@ ]+@[^> ]+>$", meta["Maintainer"]), meta["Maintainer"]
    assert "RAID-5" in meta["Description"]
    depends = [d.strip().split()[0] for d in meta["Depends"].split(",") if d.strip()]
    for library in ("libc6", "libstdc++6", "libssl", "libxmlrpc-c++", "libxmlrpc-core-c"):
        assert any(d.startswith(library) for d in depends), (library, meta["Depends"])
    # Every dependency is a package installed here (the build links against it).
    assert set(depends) <= _installed_packages(), meta["Depends"]
    assert "Depends:" in _run(["dpkg-deb", "-I", deb]).stdout


def test_deb_contents(deb, cache):
    listing = _run(["dpkg-deb", "-c", deb]).stdout
    paths = {line.split()[-1] for line in listing.splitlines()}
    expected = {"./usr/bin/" + p for p in PROGRAMS}
    expected |= {"./usr/share/memoryfs/configs/" + c for c in CONFIGS}
    expected |= {"./usr/share/doc/memoryfs/" + d for d in DOCS}
    if _has_man_pages(cache):
        expected |= {"./usr/share/man/man1/%s.1.gz" % p for p in PROGRAMS}
    assert expected <= paths, sorted(expected - paths)
    assert all(p.startswith("./usr/") or p == "./" for p in paths), sorted(paths)
    assert not any("/usr/local/" in p or "/build/" in p for p in paths)


def test_deb_unpacked_programs_run(unpacked, cache):
    _check_tree(unpacked, _has_man_pages(cache))
    _check_versions(unpacked / "bin")
    _check_round_trip(unpacked / "bin")


def test_deb_dpkg_install(deb):
    if os.environ.get("MEMORYFS_TEST_DPKG_INSTALL") != "1" or os.geteuid() != 0:
        pytest.skip("dpkg -i only with MEMORYFS_TEST_DPKG_INSTALL=1, as root")
    if "memoryfs" in _installed_packages():
        pytest.skip("a memoryfs package is installed already: not replacing it")
    _run(["dpkg", "-i", deb], timeout=120)
    try:
        _check_versions(Path("/usr/bin"))
        _check_round_trip(Path("/usr/bin"))
        if shutil.which("man"):
            assert _run(["man", "-w", "memoryfs_shell_rpc"]).stdout.strip() == \
                "/usr/share/man/man1/memoryfs_shell_rpc.1.gz"
    finally:
        _run(["dpkg", "-r", "memoryfs"], timeout=120)
    assert "memoryfs" not in _installed_packages()
    assert not Path("/usr/bin/memoryfs_server").exists()


def test_cmake_install_conformance_kit_runs(installed, tmp_path):
    """memoryfs-conformance, installed with its package and the golden runs, works from any
    directory: it lists its checks and passes the protocol checks of the installed server."""
    kit = installed / "bin" / "memoryfs-conformance"
    assert kit.is_file() and os.access(kit, os.X_OK)
    golden = installed / "share" / "memoryfs" / "tools" / "conformance_kit" / "golden"
    assert (golden / "g22" / "g01_basic.in").is_file() and (golden / "g23").is_dir()
    env = {k: v for k, v in os.environ.items() if k != "MEMORYFS_CONFORMANCE_DATA"}
    listing = subprocess.run([str(kit), "--list"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert "shell.g01_basic" in listing.stdout
    run = subprocess.run([str(kit), "--server", str(installed / "bin" / "memoryfs_server"),
                          "--only", "protocol"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
