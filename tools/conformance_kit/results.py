"""Checks and their results: a check is a stable id, a group, a one-line statement of what
the assignment requires, and a function that raises Failed or Skipped (or returns: PASS)."""

from dataclasses import dataclass, field
from typing import Callable, Optional

PASS, FAIL, SKIP = "PASS", "FAIL", "SKIP"
GROUPS = ("protocol", "shell", "raid", "faults")


class Failed(Exception):
    """The implementation does not do what the check requires; the message is the first
    difference."""


class Skipped(Exception):
    """The check cannot run against this implementation (the message says why)."""


def require(condition, message):
    if not condition:
        raise Failed(message)


def require_equal(what, expected, got):
    from .textdiff import first_difference
    difference = first_difference(what, expected, got)
    if difference:
        raise Failed(difference)


@dataclass
class Check:
    id: str
    group: str
    description: str
    run: Callable = field(repr=False)
    timeout: Optional[float] = None  # seconds; None: the runner's default


@dataclass
class Result:
    id: str
    group: str
    description: str
    status: str
    detail: str = ""
    seconds: float = 0.0
