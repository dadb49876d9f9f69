"""Runs checks one after another, each with a time limit: a check runs in a worker thread
inside a process Scope; past its limit every process it started is killed (which unblocks
it) and it fails. Ctrl-C kills everything the kit started and stops the run."""

import threading
import time
import traceback

from . import procs
from .results import FAIL, PASS, SKIP, Failed, Result, Skipped


def run_check(check, default_timeout):
    limit = check.timeout or default_timeout
    box = {}

    def work():
        try:
            check.run()
            box["status"] = (PASS, "")
        except Failed as exc:
            box["status"] = (FAIL, str(exc))
        except Skipped as exc:
            box["status"] = (SKIP, str(exc))
        except Exception as exc:  # noqa: BLE001 -- an implementation the kit did not foresee
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            box["status"] = (FAIL, "unexpected %s: %s (at %s:%d)" % (
                type(exc).__name__, exc, tb.filename.rsplit("/", 1)[-1], tb.lineno))

    started = time.monotonic()
    with procs.Scope() as scope:
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        deadline = started + limit
        while worker.is_alive() and time.monotonic() < deadline:
            worker.join(0.2)  # short joins: Ctrl-C stays deliverable
        if worker.is_alive():
            scope.kill_all()
            worker.join(5)
            box["status"] = (FAIL, "timed out after %.0f s (every process it started was "
                                   "killed)" % limit)
    status, detail = box.get("status", (FAIL, "the check did not finish"))
    return Result(check.id, check.group, check.description, status, detail,
                  time.monotonic() - started)


def run_all(checks, default_timeout=120.0, on_result=None):
    """The results, in order; KeyboardInterrupt propagates after every process is killed
    (the results so far are in the exception's ``results`` attribute)."""
    results = []
    try:
        for check in checks:
            result = run_check(check, default_timeout)
            results.append(result)
            if on_result:
                on_result(result)
    except KeyboardInterrupt as exc:
        procs.kill_everything()
        exc.results = results
        raise
    return results
