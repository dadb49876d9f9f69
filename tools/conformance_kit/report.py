"""The report: a table on the terminal, Markdown, JUnit XML, and the exit code."""

import textwrap
import xml.etree.ElementTree as ET

from .results import FAIL, PASS, SKIP


def summary(results):
    counts = {s: sum(r.status == s for r in results) for s in (PASS, FAIL, SKIP)}
    total = sum(r.seconds for r in results)
    return "%d checks: %d passed, %d failed, %d skipped (%.1f s)" % (
        len(results), counts[PASS], counts[FAIL], counts[SKIP], total)


def line(result, width=100):
    head = "%-4s  %-32s %6.1fs  %s" % (result.status, result.id, result.seconds,
                                        result.description)
    lines = [head]
    if result.detail:
        lines += textwrap.wrap(result.detail, width - 6, initial_indent="      -> ",
                               subsequent_indent="         ")
    return "\n".join(lines)


def text(results, width=100):
    return "\n".join([line(r, width) for r in results] + ["", summary(results)]) + "\n"


def _md(cell):
    return str(cell).replace("|", "\\|").replace("\n", " ")


def markdown(results, title="Conformance report", preamble=""):
    rows = ["# %s" % title, ""]
    if preamble:
        rows += [preamble, ""]
    rows += [summary(results), "", "| check | result | what the assignment requires | "
             "first difference |", "|---|---|---|---|"]
    for r in results:
        rows.append("| `%s` | %s | %s | %s |" % (r.id, r.status, _md(r.description),
                                                _md(r.detail)))
    return "\n".join(rows) + "\n"


def _xml_safe(text):
    """XML 1.0 has no place for most control characters; they become \\xNN."""
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else "\\x%02x" % ord(c)
                   for c in str(text))


def junit(results, name="conformance"):
    suites = ET.Element("testsuites", name=name)
    groups = []
    for r in results:
        if r.group not in groups:
            groups.append(r.group)
    for group in groups:
        members = [r for r in results if r.group == group]
        suite = ET.SubElement(suites, "testsuite", name=group, tests=str(len(members)),
                              failures=str(sum(r.status == FAIL for r in members)),
                              skipped=str(sum(r.status == SKIP for r in members)),
                              time="%.3f" % sum(r.seconds for r in members))
        for r in members:
            case = ET.SubElement(suite, "testcase", name=r.id, classname=r.group,
                                 time="%.3f" % r.seconds)
            ET.SubElement(case, "system-out").text = _xml_safe(r.description)
            detail = _xml_safe(r.detail)
            if r.status == FAIL:
                ET.SubElement(case, "failure", message=detail[:500]).text = detail
            elif r.status == SKIP:
                ET.SubElement(case, "skipped", message=detail)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def exit_code(results):
    return 1 if any(r.status == FAIL for r in results) else 0
