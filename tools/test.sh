#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs the C++ unit tests (CTest/doctest)
# and the end-to-end and compatibility tests (pytest, real server processes on loopback).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export MEMORYFS_BUILD_DIR="${MEMORYFS_BUILD_DIR:-$root/build}"
export MEMORYFS_REQUIRE_CPP=1  # a missing binary fails the run instead of skipping tests
"$root/tools/install_deps.sh"
"$root/tools/build.sh"
echo "== code shape (no function in src/ over 80 lines)"
python3 "$root/tools/code_shape.py" --max-lines 80
echo "== C++ unit tests (ctest)"
ctest --test-dir "$MEMORYFS_BUILD_DIR" --output-on-failure -j 2
echo "== end-to-end and compatibility tests (pytest)"
cd "$root"
/usr/bin/python3 -m pytest -q -p no:cacheprovider compat_tests "$@"
