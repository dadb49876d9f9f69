"""The first difference between what was expected and what came, in one readable line."""


def _show(data, limit=60):
    text = repr(data[:limit])
    return text + ("..." if len(data) > limit else "")


def first_difference(what, expected, got):
    """None when equal; else e.g. ``stdout line 12: expected b'..' got b'..'``. Works on
    bytes/str (compared line by line) and on lists of lines."""
    if expected == got:
        return None
    if isinstance(expected, (bytes, str)):
        exp_lines = expected.splitlines(keepends=True)
        got_lines = got.splitlines(keepends=True)
    else:
        exp_lines, got_lines = list(expected), list(got)
    for i, (a, b) in enumerate(zip(exp_lines, got_lines)):
        if a != b:
            col = next((c for c, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            if col < 40:
                return "%s line %d: expected %s, got %s" % (what, i + 1, _show(a), _show(b))
            return "%s line %d, from column %d: expected ...%s, got ...%s" % (
                what, i + 1, col + 1, _show(a[col - 10:], 50), _show(b[col - 10:], 50))
    if len(exp_lines) > len(got_lines):
        return "%s ends early after %d lines; next expected: %s" % (
            what, len(got_lines), _show(exp_lines[len(got_lines)]))
    return "%s has %d extra lines after line %d, first: %s" % (
        what, len(got_lines) - len(exp_lines), len(exp_lines), _show(got_lines[len(exp_lines)]))
