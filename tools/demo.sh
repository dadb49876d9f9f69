#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts N local memoryfs servers on free
# loopback ports (tools/cluster up) and opens the RAID-5 shell on them; every server the demo
# started (restarted ones too) stops when the shell exits, however it exits.
#
#   tools/demo.sh            # 4 servers, RAID-5, 128-byte blocks
#   tools/demo.sh 8          # 8 servers
#   tools/demo.sh 1          # one server (the homework's setup, with the lab's inodes)
# While it runs, `tools/cluster status|kill K|stop K|cont K|restart K|corrupt K B|where V`
# in another terminal fails and restores its servers by number (the lab: docs/lab.md).
# Environment: BS (block size, default 128), SERVER_BLOCKS (blocks per server, default
# max(256, BS)), SHELL_FLAGS (shell flags that win over the demo's, e.g. "-is 32 -ni 32"),
# MEMORYFS_BUILD_DIR (default build/), MEMORYFS_CLUSTER_DIR (the cluster's run directory),
# MEMORYFS_NO_INSTALL=1 (skip tools/install_deps.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-4}"
bs="${BS:-128}"
if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -eq 2 ] || [ "$n" -gt 16 ]; then
  echo "usage: tools/demo.sh [N]   (N = 1 for one server, or 3..16 for RAID-5)" >&2
  exit 2
fi
if ! [[ "$bs" =~ ^[0-9]+$ ]] || [ "$bs" -lt 32 ] || [ $((bs % 16)) -ne 0 ]; then
  echo "tools/demo.sh: BS must be a multiple of 16, at least 32 (not '$bs')" >&2
  exit 2
fi
server_blocks="${SERVER_BLOCKS:-$((bs > 256 ? bs : 256))}"

# The geometry. Inodes of 64 bytes hold (64-12)/4 = 13 block numbers (the default 16 bytes
# hold one), so a file of a few hundred bytes spans blocks on several servers; 16 inodes.
# A layout that uses every block (the shell accepts others, as the Python one does, but stops
# where their layout would overlap itself): nb a multiple of bs, the inode size dividing bs,
# the inode table (ni * is) whole blocks.
is=64
while [ $((bs % is)) -ne 0 ]; do is=$((is - 4)); done  # 16 at worst: bs is a multiple of 16
ni=16
while [ $((ni * is % bs)) -ne 0 ]; do ni=$((ni * 2)); done
if [ "$n" -eq 1 ]; then usable="$server_blocks"; else usable=$((server_blocks * (n - 1))); fi
nb=$((usable / bs * bs))  # every server then has the ceil(nb / (N-1)) blocks it needs
if [ "$nb" -lt "$bs" ]; then
  echo "tools/demo.sh: SERVER_BLOCKS=$server_blocks is too few for BS=$bs" >&2
  exit 2
fi

export MEMORYFS_BUILD_DIR="${MEMORYFS_BUILD_DIR:-$root/build}"
[ -n "${MEMORYFS_NO_INSTALL:-}" ] || "$root/tools/install_deps.sh"
mkdir -p "$MEMORYFS_BUILD_DIR"

# Builds (quick when nothing changed), showing cmake's progress condensed: one line rewritten
# in a terminal, a line per 10% otherwise. The whole output goes to build.log.
show_progress() {
  local line pct name last=-10
  while IFS= read -r line; do
    printf '%s\n' "$line" >> "$1"
    [[ "$line" =~ ^\[\ *([0-9]+)%\]\ (Building|Linking)\ .*\ ([^ ]+)$ ]] || continue
    pct="${BASH_REMATCH[1]}"
    name="${BASH_REMATCH[3]##*/}"
    name="${name%.o}"
    if [ -t 2 ]; then
      printf '\r  [%3d%%] %-60.60s' "$pct" "$name" >&2
    elif [ "$pct" -ge $((last + 10)) ]; then
      printf '  [%3d%%] %s\n' "$pct" "$name" >&2
      last="$pct"
    fi
  done
  if [ -t 2 ]; then printf '\r%-70s\r' '' >&2; fi
}
log="$MEMORYFS_BUILD_DIR/build.log"
echo "building memoryfs in $MEMORYFS_BUILD_DIR (the first build takes a few minutes)..." >&2
: > "$log"
started=$SECONDS
if ! "$root/tools/build.sh" 2>&1 | show_progress "$log"; then
  echo "the build failed; the end of $log:" >&2
  tail -40 "$log" >&2
  exit 1
fi
if grep -qE '^\[ *[0-9]+%\] (Building|Linking)' "$log"; then
  echo "built in $((SECONDS - started)) s" >&2
else
  echo "up to date" >&2
fi
bin="$MEMORYFS_BUILD_DIR/bin"

cluster="$root/tools/cluster"
"$cluster" -q up "$n" --bs "$bs" --blocks "$server_blocks" --bin "$bin/memoryfs_server"
# From here on, whatever ends the demo (exit, an error, Ctrl-C, a closed terminal) stops
# every server it started. They run in their own sessions: bash has no jobs to report.
trap '"$cluster" -q down || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
list="$("$cluster" endpoints)"
export MEMORYFS_DEMO_CLUSTER="$cluster"  # the shell's `cluster` command runs it

bpf=$(((is - 12) / 4))
if [ "$n" -eq 1 ]; then
  echo "memoryfs: 1 server at $list; shell: -nb $nb -bs $bs -is $is -ni $ni" >&2
  cat >&2 <<EOF
A file holds up to $bpf blocks of $bs bytes. In the shell: create f, then append f SOMETEXT
(one word) a few times; showinode 1 (its block numbers); showblock B; cat f; ls; help.
One server has no redundancy: tools/cluster kill 0 loses everything (tools/demo.sh 4 for
RAID-5: docs/lab.md). 'exit' quits and stops the server.
EOF
else
  echo "memoryfs: RAID-5 on $n servers at $list; shell: -nb $nb -bs $bs -is $is -ni $ni" >&2
  cat >&2 <<EOF
A file holds up to $bpf blocks of $bs bytes; consecutive blocks land on different servers.
  try, in the shell: create f, then append f SOMETEXT (one word) a few times, until the file
                    is over $((2 * bs)) bytes; showinode 1 (its block numbers); cat f; help
  fail and repair:  cluster where B     (the server and stripe holding block B)
                    cluster kill 1      (fail server 1: cat f still works, degraded)
                    status              (the array's health: DEGRADED, and what to do)
                    cluster restart 1   (blank, same port), then: repair 1
                    cluster corrupt K S (decay stripe S of server K; cat f: CORRUPTED_BLOCK)
                    cluster stop K / cluster cont K   (a hung server, and back)
  (the same from another terminal: tools/cluster kill 1 ...)
  the whole lab: docs/lab.md; 'exit' quits and stops the servers.
EOF
fi
# SHELL_FLAGS come first: a flag given twice keeps its first value.
# shellcheck disable=SC2086
"$bin/memoryfs_shell_rpc" ${SHELL_FLAGS:-} -ns "$n" -servers "$list" -nb "$nb" -bs "$bs" \
  -is "$is" -ni "$ni" -cid 0
