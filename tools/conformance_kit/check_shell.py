"""shell.*: every golden case of the edition on one fresh server, byte-exact: stdout, stderr,
the RPC trace (recorded by the kit's proxy between shell and server) and the final image."""

from . import rpc
from .golden import Golden, case_names, image_of
from .proxy import RecordingProxy
from .results import Check, require, require_equal
from .target import Session, run_shell, start_servers

DESCRIPTIONS = {
    "g01_basic": "every command once",
    "g02_errors": "argument and lookup errors",
    "g03_growth": "12 files, multi-block directory, max file size, rm and inode reuse",
    "g04_paths": "absolute/relative paths, .., symlinks, hard links",
    "g05_default": "-is 16: one block per file",
    "g06_paths_bs512": "g04 with -nb 1024 -bs 512",
    "g07_slice_mirror": "slice and mirror",
    "g08_two_clients": "two clients on one server, cache invalidation",
}


def single(impl, golden):
    impl.need_shell()
    server = start_servers(impl, 1, golden.nb, golden.bs).servers[0]
    with RecordingProxy(server.port) as proxy:
        code, out, err = run_shell(impl, impl.single_shell_args(proxy.port, golden.args),
                                   golden.stdin)
        trace = list(proxy.lines)
    require_equal("stdout", golden.stdout, out)
    require_equal("stderr", golden.stderr, err)
    require_equal("RPC trace", golden.trace, trace)
    require_equal("final image", golden.image, image_of(rpc.read_blocks(server.port,
                                                                        golden.nb)))
    require(code == 0, "exit status %s after 'exit'" % code)


def two_clients(impl, golden):
    impl.need_shell()
    server = start_servers(impl, 1, golden.nb, golden.bs).servers[0]
    clients = [Session(impl, impl.single_shell_args(server.port, [*golden.args, "-cid", cid]))
               for cid in (0, 1)]
    outputs = [c.startup for c in clients]
    for cid, command in golden.lines():
        if command == "exit":
            clients[cid].close()
        else:
            outputs[cid] += clients[cid].send(command)
    for cid in (0, 1):
        require_equal("client %d stdout" % cid, golden.client_stdout[cid], outputs[cid])
    require_equal("final image", golden.image, image_of(rpc.read_blocks(server.port,
                                                                        golden.nb)))


def checks(impl):
    result = []
    for name in case_names(impl.edition):
        golden = Golden(impl.edition, name)
        run = two_clients if golden.two_clients else single
        what = DESCRIPTIONS.get(name, name)
        result.append(Check("shell." + name, "shell",
                            "%s golden %s (%s): stdout, stderr, RPC trace, image byte-exact"
                            % (impl.edition, name, what) if not golden.two_clients else
                            "%s golden %s (%s): both stdouts and the image byte-exact"
                            % (impl.edition, name, what),
                            (lambda g=golden, r=run: r(impl, g))))
    return result
