"""raid.nN.*: the golden inputs over N servers (shell ``-ns N -startport P``, each server
``-nb ceil(nb/(N-1))``: nothing beyond what -nb needs exists), checked without assuming a
layout:

- stdout as the single-server golden run (2023: after the required ``RSM server X`` line,
  with the CACHE_* lines set aside on both sides: the project turns them off by default);
- stderr ends with the golden stderr (start-up notes of the array before it are allowed);
- every non-zero block of the golden image is stored on the servers, as many times (the
  data blocks; the rest are parities);
- every physical row XORs to zero (parity.py: the rule and its one exception, a held lock)."""

import re
from collections import Counter

from .golden import Golden, case_names
from .parity import parity_errors
from .results import Check, Failed, require, require_equal
from .target import run_shell, start_servers

CACHE_LINE = re.compile(rb"CACHE_[A-Z_]+( -?\d+)?\n")
ANNOUNCE = re.compile(rb"RSM server (\d+)\n")


def per_server_blocks(nb, n):
    return -(-nb // (n - 1))


def split_announcement(impl, out, n):
    """2023: (X, the rest) of ``RSM server X`` + rest; 2022: (None, out)."""
    if impl.edition == "2022":
        return None, out
    m = ANNOUNCE.match(out)
    if not m or int(m.group(1)) >= n:
        raise Failed("stdout should start with 'RSM server X' (X in 0..%d), got %r"
                     % (n - 1, out[:40]))
    return int(m.group(1)), out[m.end():]


def strip_cache(data):
    return CACHE_LINE.sub(b"", data)


def stored_image_problem(golden_image, physical):
    """None when every non-zero golden block is on the servers as often as in the image."""
    wanted = Counter()
    for line in golden_image.splitlines():
        number, hexdata = line.split(" ", 1)
        wanted[bytes.fromhex(hexdata)] += 1
    have = Counter()
    for server in physical:
        for block in server:
            if block is not None and any(block):
                have[bytes(block).rstrip(b"\0")] += 1
    for data, count in wanted.items():
        if have[data] < count:
            virtual = [line.split(" ")[0] for line in golden_image.splitlines()
                       if line.split(" ", 1)[1] == data.hex()]
            return ("golden block %s (%s...) is stored %d times on the servers, expected %d"
                    % ("/".join(virtual[:3]), data[:12].hex(), have[data], count))
    return None


def run_case(impl, golden, n):
    impl.need_shell()
    array = start_servers(impl, n, per_server_blocks(golden.nb, n), golden.bs)
    code, out, err = run_shell(impl, impl.raid_shell_args(array, golden.args), golden.stdin)
    _, rest = split_announcement(impl, out, n)
    require_equal("stdout", strip_cache(golden.stdout), strip_cache(rest))
    want_err = strip_cache(golden.stderr)
    got_err = strip_cache(err)
    if not got_err.endswith(want_err):
        require_equal("stderr (its end)", want_err, got_err[-len(want_err):] if want_err
                      else b"")
    require(code == 0, "exit status %s after 'exit'" % code)
    physical = array.physical()
    problem = stored_image_problem(golden.image, physical)
    require(problem is None, problem)
    bad, text = parity_errors(physical, golden.bs)
    require(not bad, text)


def checks(impl, sizes):
    result = []
    for n in sizes:
        for name in case_names(impl.edition, two_clients=False):
            golden = Golden(impl.edition, name)
            result.append(Check(
                "raid.n%d.%s" % (n, name), "raid",
                "golden %s over %d servers: outputs as on one server, its blocks stored, every "
                "row's parity consistent" % (name, n),
                (lambda g=golden, n=n: run_case(impl, g, n))))
    return result
