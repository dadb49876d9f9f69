"""Golden cases: a recorded run of the course's Python shell (flags, stdin, stdout, stderr,
RPC trace, final server image), and the image text format (``n HEX`` per non-zero block,
trailing zero bytes stripped)."""

from .paths import golden_dir


class Golden:
    def __init__(self, edition, name):
        directory = golden_dir(edition)
        read = lambda ext: (directory / (name + ext)).read_bytes()
        self.edition = str(edition)
        self.name = name
        words = read(".cmdline").decode().split()
        self.args = words[:words.index("(client")] if "(client" in words else words
        self.stdin = read(".in")
        self.image = read(".image").decode()
        self.two_clients = not (directory / (name + ".stdout")).exists()
        if self.two_clients:
            self.client_stdout = [read(".c%d.stdout" % c) for c in (0, 1)]
            self.stdout = self.stderr = None
            self.trace = None
        else:
            self.stdout = read(".stdout")
            self.stderr = read(".stderr")
            self.trace = read(".trace").decode().splitlines()

    def flag(self, name):
        return int(self.args[self.args.index(name) + 1])

    @property
    def nb(self):
        return self.flag("-nb")

    @property
    def bs(self):
        return self.flag("-bs")

    def lines(self):
        """The stdin lines (two-client case: (cid, command) pairs)."""
        text = self.stdin.decode().splitlines()
        if self.two_clients:
            return [(int(line.split(":", 1)[0]), line.split(":", 1)[1]) for line in text]
        return text


def case_names(edition, two_clients=True):
    names = sorted(p.stem for p in golden_dir(edition).glob("*.in"))
    if not two_clients:
        names = [n for n in names if (golden_dir(edition) / (n + ".stdout")).exists()]
    return names


def image_of(blocks):
    lines = []
    for n, block in enumerate(blocks):
        if block is None:
            lines.append("%d UNREADABLE" % n)
            continue
        stripped = bytes(block).rstrip(b"\0")
        if stripped:
            lines.append("%d %s" % (n, stripped.hex()))
    return "".join(line + "\n" for line in lines)
