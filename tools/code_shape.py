#!/usr/bin/env python3
"""Checks the shape rules of src/: no function (or lambda, or test case) longer than
--max-lines lines, counted from the line of its opening brace to the line of its closing brace.

A heuristic C++ scanner, enough for this tree: comments, string and character literals are
blanked first; a brace block is a function body when the text before it ends with a parameter
list (optionally followed by const, override, noexcept, mutable, a trailing return type or a
constructor's initializer list) that does not belong to if/for/while/switch/catch.

Also: no doctest TEST_CASE name may contain ';' (CMake's list separator: doctest_discover_tests
would split the name and CTest would then run a filter that matches no test, and pass).

Usage: tools/code_shape.py [--max-lines 80] [--root src]; exit 1 and one line per offender.
"""
import argparse
import pathlib
import re
import sys

CONTROL = {"if", "for", "while", "switch", "catch", "sizeof", "return", "alignof", "decltype"}
QUALIFIERS = ("const", "override", "noexcept", "mutable", "final", "&&", "&")
RETURN_TYPE = re.compile(r"->\s*[\w:<>,\s*&]+")
WINDOW = 4000  # characters before a brace that can hold its signature
TEST_CASE_NAME = re.compile(r'TEST_CASE\("((?:[^"\\]|\\.)*)"')


def blank(text):
    """The text with comments and literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching_open_paren(text, close):
    depth = 0
    for k in range(close, -1, -1):
        if text[k] == ")":
            depth += 1
        elif text[k] == "(":
            depth -= 1
            if depth == 0:
                return k
    return -1


def strip_trailers(head):
    """The signature without a trailing return type and qualifiers (const, override...)."""
    head = head.rstrip()
    arrow = head.rfind("->")
    if arrow >= 0 and RETURN_TYPE.fullmatch(head[arrow:]):
        head = head[:arrow].rstrip()
    changed = True
    while changed:
        changed = False
        for word in QUALIFIERS:
            before = head[: len(head) - len(word)]
            if head.endswith(word) and not (word[0].isalpha() and before[-1:].isalnum()):
                head, changed = before.rstrip(), True
    return head


def is_function_body(text, brace):
    head = strip_trailers(text[max(0, brace - WINDOW):brace])
    if not head.endswith(")"):
        return False
    open_paren = matching_open_paren(head, len(head) - 1)
    if open_paren < 0:
        return False
    word = re.search(r"(\w+)\s*$", head[:open_paren])
    if word and word.group(1) in CONTROL:
        return False
    return True


def long_functions(path, max_lines):
    text = blank(path.read_text(encoding="utf-8", errors="replace"))
    stack = []  # (offset of "{", is function)
    found = []
    for i, c in enumerate(text):
        if c == "{":
            stack.append((i, is_function_body(text, i)))
        elif c == "}" and stack:
            start, function = stack.pop()
            if function:
                first = text.count("\n", 0, start) + 1
                last = text.count("\n", 0, i) + 1
                if last - first + 1 > max_lines:
                    found.append((first, last - first + 1))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-lines", type=int, default=80)
    parser.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parent.parent / "src"))
    args = parser.parse_args()
    offenders = []
    files = sorted(p for p in pathlib.Path(args.root).rglob("*") if p.suffix in (".cc", ".h"))
    for path in files:
        for line, length in long_functions(path, args.max_lines):
            offenders.append("%s:%d: function of %d lines (limit %d)" % (path, line, length, args.max_lines))
        for number, line in enumerate(path.read_text().splitlines(), 1):
            name = TEST_CASE_NAME.search(line)
            if name and ";" in name.group(1):
                offenders.append("%s:%d: ';' in a TEST_CASE name (CTest would skip it)" % (path, number))
    for offender in offenders:
        print(offender)
    print("code shape: %d files, %d functions over %d lines" % (len(files), len(offenders), args.max_lines))
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
