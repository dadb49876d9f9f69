"""Where the kit's data (the golden runs of the course's Python programs) lives.

In order: ``$MEMORYFS_CONFORMANCE_DATA`` (a directory holding ``g22/`` and ``g23/``); the
package's own ``golden/`` (an installed kit: the install rule copies ``compat_tests/golden``
there); ``<repo>/compat_tests/golden`` (the kit run from a clone: the package is
``<repo>/tools/conformance_kit``)."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def candidates():
    env = os.environ.get("MEMORYFS_CONFORMANCE_DATA")
    if env:
        yield Path(env)
    yield PACKAGE_DIR / "golden"
    yield PACKAGE_DIR.parent.parent / "compat_tests" / "golden"


def golden_root():
    """The directory holding ``g22`` and ``g23``; FileNotFoundError naming where it looked."""
    tried = []
    for path in candidates():
        if (path / "g22").is_dir() and (path / "g23").is_dir():
            return path
        tried.append(str(path))
    raise FileNotFoundError("golden runs not found; looked in: %s" % ", ".join(tried))


def golden_dir(edition):
    return golden_root() / ("g22" if str(edition) == "2022" else "g23")
