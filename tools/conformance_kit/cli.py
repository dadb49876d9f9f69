"""``conformance``: checks a block server and/or shell of the course's RAID-5 assignment
against the ground truth (golden runs of the course's Python programs).

    conformance --server 'python3 memoryfs_server.py' --shell 'python3 memoryfs_shell_rpc.py'
                [--edition 2022|2023] [--raid 4 | --raid 4-8 | --raid 4,5,8]
                [--only protocol,shell,raid,faults] [--check 'faults.n4.*']
                [--markdown FILE] [--junit FILE] [--list]

Exit status: 0 no check failed, 1 some check failed, 2 bad usage, 130 interrupted."""

import argparse
import fnmatch
import signal
import sys
import time

from . import check_faults, check_protocol, check_raid, check_shell, procs, report
from .results import GROUPS
from .target import Implementation


def raid_sizes(text):
    sizes = []
    for part in text.split(","):
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            sizes += range(low, high + 1)
        else:
            sizes.append(int(part))
    if not sizes or min(sizes) < 3:
        raise argparse.ArgumentTypeError("RAID-5 needs N >= 3 servers: %r" % text)
    return sorted(set(sizes))


def parse(argv):
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__.split("\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", help="command line of the block server (the kit adds "
                        "-nb NB -bs BS -port P [-cblk B]); default for shell checks: the "
                        "kit's own server")
    parser.add_argument("--shell", help="command line of the shell (the kit adds -ns/"
                        "-startport or -port, -nb, -bs, -is, -ni, -cid)")
    parser.add_argument("--edition", choices=("2022", "2023"), default="2022")
    parser.add_argument("--raid", type=raid_sizes, default=[4], metavar="N|A-B|A,B",
                        help="array sizes for the raid and faults groups (default 4)")
    parser.add_argument("--only", action="append", default=[], metavar="GROUP",
                        help="groups to run: %s (repeatable or comma list)" % ", ".join(GROUPS))
    parser.add_argument("--check", action="append", default=[], metavar="PATTERN",
                        help="run only checks whose id matches (fnmatch, repeatable)")
    parser.add_argument("--markdown", metavar="FILE")
    parser.add_argument("--junit", metavar="FILE")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds per check unless the check states more (default 120)")
    parser.add_argument("--command-timeout", type=float, default=30.0,
                        help="seconds a shell command or start-up may take (default 30)")
    parser.add_argument("--hang-timeout", type=float, default=10.0,
                        help="seconds within which a command must be answered while a server "
                        "is stopped with SIGSTOP (default 10)")
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    parser.add_argument("--quiet", action="store_true", help="only the summary on the terminal")
    args = parser.parse_args(argv)
    groups = [g for item in args.only for g in item.split(",") if g] or list(GROUPS)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        parser.error("unknown group(s) %s; groups: %s" % (", ".join(unknown), ", ".join(GROUPS)))
    args.groups = groups
    if not args.server and not args.shell and not args.list:
        parser.error("give --server and/or --shell")
    return args


def build_checks(impl, args):
    checks = []
    if "protocol" in args.groups:
        checks += check_protocol.checks(impl)
    if "shell" in args.groups:
        checks += check_shell.checks(impl)
    if "raid" in args.groups:
        checks += check_raid.checks(impl, args.raid)
    if "faults" in args.groups:
        checks += check_faults.checks(impl, args.raid)
    if args.check:
        checks = [c for c in checks if any(fnmatch.fnmatchcase(c.id, p) for p in args.check)]
    return checks


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    impl = Implementation(args.server, args.shell, args.edition, args.command_timeout,
                          args.hang_timeout)
    checks = build_checks(impl, args)
    if args.list:
        for check in checks:
            print("%-32s %s" % (check.id, check.description))
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    preamble = ("server: `%s`; shell: `%s`; edition %s; RAID sizes %s; %s UTC" % (
        args.server or "(the kit's own)", args.shell or "(none)", args.edition,
        ",".join(map(str, args.raid)), time.strftime("%Y-%m-%d %H:%M", time.gmtime())))
    show = None if args.quiet else (lambda r: print(report.line(r), flush=True))
    interrupted = False
    try:
        from . import runner
        results = runner.run_all(checks, args.timeout, show)
    except KeyboardInterrupt as exc:
        results = getattr(exc, "results", [])
        interrupted = True
    finally:
        procs.kill_everything()
    print("\n" + report.summary(results) + (" -- INTERRUPTED" if interrupted else ""))
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(report.markdown(results, preamble=preamble))
    if args.junit:
        with open(args.junit, "w") as out:
            out.write(report.junit(results))
    return 130 if interrupted else report.exit_code(results)
