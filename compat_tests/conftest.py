"""Shared pytest fixtures: real server processes on free loopback ports, always cleaned up.

Fixtures
  ``pool``           a servers.ServerPool for one test; every process is SIGKILLed afterwards.
  ``module_pool``    the same, shared by one test module (for read-only servers).
  ``start_server``   ``start_server(kind, nb=64, bs=128, extra_args=(), port=None)`` ->
                     running servers.ServerProcess; skips the test when ``kind == "cpp"`` and
                     the C++ binary is not built (set MEMORYFS_REQUIRE_CPP=1 to fail instead).
  ``cpp_binary``     path of the C++ server (same skip rule).
  ``require_kind``   ``require_kind(kind)``: the same skip rule, for tests parametrized by kind.

Environment
  ``MEMORYFS_BUILD_DIR``   build directory holding ``bin/memoryfs_server`` (default <repo>/build).
"""

import os

import pytest

import servers


def require_kind(kind):
    """Skip (or fail, with MEMORYFS_REQUIRE_CPP=1) when server ``kind`` cannot run here."""
    if kind == "cpp" and not servers.cpp_server_available():
        message = "C++ server not built: %s" % servers.cpp_server_path()
        if os.environ.get("MEMORYFS_REQUIRE_CPP") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _starter(pool):
    def start(kind, nb=64, bs=128, extra_args=(), port=None, **kwargs):
        require_kind(kind)
        return pool.start(kind, nb=nb, bs=bs, port=port, extra_args=extra_args, **kwargs)
    return start


@pytest.fixture
def pool():
    """A ServerPool whose servers are all SIGKILLed when the test ends."""
    with servers.ServerPool() as server_pool:
        yield server_pool


@pytest.fixture(scope="module")
def module_pool():
    """A ServerPool shared by one module, SIGKILLed when the module ends."""
    with servers.ServerPool() as server_pool:
        yield server_pool


@pytest.fixture
def start_server(pool):
    """Function that starts a server of a given kind for this test (see module docstring)."""
    return _starter(pool)


@pytest.fixture(scope="module")
def start_module_server(module_pool):
    """Like start_server, but the server lives for the whole module."""
    return _starter(module_pool)


@pytest.fixture(name="require_kind")
def require_kind_fixture():
    """The require_kind(kind) function: skip unless server ``kind`` can run here."""
    return require_kind


@pytest.fixture(scope="session")
def cpp_binary():
    """Path of the C++ server binary; skips when it is not built."""
    require_kind("cpp")
    return servers.cpp_server_path()
