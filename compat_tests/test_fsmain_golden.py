"""The 2023 edition's shell, ``fsmain``, against real servers (ours under both names, and the
project's Python reference server, which speaks the same protocol):

- every single-client golden case of ``golden/g23`` run as ``fsmain -port P <cmdline>``:
  stdout, stderr, the RPC trace (recorded by a proxy) and the final image byte-exact; and the
  same through ``memoryfs_shell_rpc -edition 2023`` (and its ``-config`` key);
- the two-client case g08: two fsmain processes (``-cid 0``, ``-cid 1``) on one server, each
  line sent to its client after that client's previous prompt, both stdouts and the image exact;
- ``-delayat``: a request of one client is held by the server for longer than the client's
  timeout; that client prints SERVER_TIMED_OUT and sends it again, the other client, whose
  request arrives during the stall, times out too, and both end with the right contents.
"""

import pytest

import shells
from trace_proxy import TraceProxy

G23 = shells.GOLDEN23_DIR
SINGLE_CASES = sorted(p.stem for p in G23.glob("*.in") if p.with_suffix(".stdout").exists())
KINDS = ["cpp", "blockserver", "ref"]


@pytest.fixture(autouse=True)
def _need_fsmain():
    if not shells.shell_available(shells.fsmain_path()):
        pytest.fail("fsmain not built: %s" % shells.fsmain_path())


def case_flags(name):
    """The case's shell flags: the words of its .cmdline up to a '(' note."""
    words = (G23 / (name + ".cmdline")).read_text().split()
    return words[:words.index("(client")] if "(client" in words else words


def flag(words, name):
    return int(words[words.index(name) + 1])


def test_the_single_client_cases_are_g01_to_g07():
    assert SINGLE_CASES == ["g01_basic", "g02_errors", "g03_growth", "g04_paths",
                            "g05_default", "g06_paths_bs512", "g07_slice_mirror"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", SINGLE_CASES)
def test_golden_case(case, kind, start_server):
    run_golden(case, kind, start_server, [], program=shells.fsmain_path())


def run_golden(case, kind, start_server, args, program=None):
    """Runs a g23 case on a fresh server through the proxy and checks all four results."""
    golden = shells.Golden(case, G23)
    server = start_server(kind, nb=golden.nb, bs=golden.bs)
    with TraceProxy(server.port) as proxy:
        result = shells.run_shell(["-port", proxy.port, *args, *golden.args], golden.stdin,
                                  program=program)
        trace = list(proxy.lines)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == golden.stdout
    assert result.stderr == golden.stderr
    assert trace == golden.trace
    assert shells.image_of(shells.read_blocks(server.port, golden.nb)) == golden.image


@pytest.mark.parametrize("case", SINGLE_CASES)
def test_golden_case_through_memoryfs_shell_rpc(case, start_server):
    run_golden(case, "cpp", start_server, ["-edition", "2023"])


def test_edition_from_the_config_file(start_server, tmp_path):
    config = tmp_path / "edition.ini"
    config.write_text("# the 2023 course code\nedition = 2023\n")
    run_golden("g01_basic", "cpp", start_server, ["-config", config])


def start_clients(port, flags, count=2, extra=()):
    """fsmain clients -cid 0..count-1, each started after the previous one prompted."""
    clients = []
    for cid in range(count):
        clients.append(shells.InteractiveShell(
            ["-port", port, *flags, "-cid", cid, *extra], program=shells.fsmain_path()))
    return clients


@pytest.mark.parametrize("kind", KINDS)
def test_two_clients(kind, start_server):
    name = "g08_two_clients"
    flags = case_flags(name)
    nb = flag(flags, "-nb")
    server = start_server(kind, nb=nb, bs=flag(flags, "-bs"))
    clients = start_clients(server.port, flags)
    outputs = [client.startup for client in clients]
    for line in (G23 / (name + ".in")).read_text().splitlines():
        cid, command = int(line[0]), line[2:]
        if command == "exit":
            clients[cid].close()
        else:
            outputs[cid] += clients[cid].send(command)
    for cid in range(2):
        assert outputs[cid] == (G23 / ("%s.c%d.stdout" % (name, cid))).read_bytes()
        assert clients[cid].stderr() == b""
    assert (shells.image_of(shells.read_blocks(server.port, nb))
            == (G23 / (name + ".image")).read_text())


# The -delayat scenario: both clients start, then these lines run one at a time; then client 0's
# DELAYED command, one of whose Puts the server holds, and client 1's CONCURRENT command, sent
# once client 0 has reported the timeout (so its first request arrives during the stall).
FLAGS = ["-nb", 256, "-bs", 128, "-is", 64, "-ni", 32]
PREFIX = [(0, "create f"), (0, "append f hello"), (1, "cat f"), (1, "append f +world"),
          (0, "cat f"), (1, "ls"), (0, "ls"), (1, "cat f")]
DELAYED = (0, "append f +again")
CONCURRENT = (1, "append f +other")
STALL_MS, TIMEOUT_MS, RETRY_WAIT_MS = 1500, 500, 1200


def delayed_request_number(start_server, kind):
    """The number K of DELAYED's data-block Put among all requests of the scenario, found by a
    dry run through the trace proxy (the requests before it are the same in every run)."""
    server = start_server(kind, nb=256, bs=128)
    with TraceProxy(server.port) as proxy:
        clients = start_clients(proxy.port, FLAGS)
        for cid, command in PREFIX + [DELAYED]:
            clients[cid].send(command)
        trace = list(proxy.lines)
        for client in clients:
            client.close()
    wanted = b"+again".hex()
    number = next(i for i, line in enumerate(trace, 1)
                  if line.startswith("Put ") and wanted in line)
    # -delayat counts every request: the next pause (at 2K) must not come before the end.
    assert number > len(trace) * 0.6, (number, len(trace))
    return number


@pytest.mark.parametrize("kind", ["cpp", "blockserver"])
def test_delayat_server_timed_out_then_retried(kind, start_server):
    k = delayed_request_number(start_server, kind)
    server = start_server(kind, nb=256, bs=128,
                          extra_args=("-delayat", k, "-delay_ms", STALL_MS))
    clients = start_clients(server.port, FLAGS, extra=("-timeout", TIMEOUT_MS,
                                                      "-retry_wait_ms", RETRY_WAIT_MS))
    for cid, command in PREFIX:
        assert b"SERVER_TIMED_OUT" not in clients[cid].send(command)
    delayed, concurrent = clients[DELAYED[0]], clients[CONCURRENT[0]]
    delayed.write(DELAYED[1])
    delayed.wait_for(b"SERVER_TIMED_OUT\n")
    concurrent.write(CONCURRENT[1])
    delayed_out, concurrent_out = delayed.wait_prompt(), concurrent.wait_prompt()
    # The held Put timed out once, and its repetition (after the wait) was answered.
    assert delayed_out.count(b"SERVER_TIMED_OUT\n") == 1
    assert delayed_out.endswith(b"Successfully appended 6 bytes.\nCACHE_WRITE_THROUGH 255\n"
                                b"[cwd=0]%")
    # The other client's first request waited for the stall, beyond its own timeout.
    assert concurrent_out.count(b"SERVER_TIMED_OUT\n") == 1
    assert b"Successfully appended 6 bytes.\n" in concurrent_out
    for client in clients:
        out = client.send("cat f")
        assert b"hello+world+again+other\n" in out
        assert b"SERVER_TIMED_OUT" not in out
        client.close()
