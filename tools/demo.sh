#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts N local memoryfs servers on free
# loopback ports and opens the RAID-5 shell on them; the servers stop when the shell exits.
#
#   tools/demo.sh            # 4 servers, RAID-5, 128-byte blocks
#   tools/demo.sh 8          # 8 servers
#   tools/demo.sh 1          # the single-server homework setup
# Environment: BS (block size, default 128), SERVER_BLOCKS (blocks per server, default 256),
# SHELL_FLAGS (extra shell flags, e.g. "-is 32 -ni 32").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-4}"
bs="${BS:-128}"
server_blocks="${SERVER_BLOCKS:-256}"
if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -eq 2 ] || [ "$n" -gt 16 ]; then
  echo "usage: tools/demo.sh [N]   (N = 1 for one server, or 3..16 for RAID-5)" >&2
  exit 2
fi
export MEMORYFS_BUILD_DIR="${MEMORYFS_BUILD_DIR:-$root/build}"
"$root/tools/install_deps.sh"
mkdir -p "$MEMORYFS_BUILD_DIR"
"$root/tools/build.sh" > "$MEMORYFS_BUILD_DIR/build.log" 2>&1 ||
  { tail -50 "$MEMORYFS_BUILD_DIR/build.log"; exit 1; }
bin="$MEMORYFS_BUILD_DIR/bin"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

servers=()
for ((i = 0; i < n; i++)); do
  "$bin/memoryfs_server" -nb "$server_blocks" -bs "$bs" -port 0 > "$work/server$i.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "Running block server" "$work/server$i.out" && break
    sleep 0.05
  done
  port="$(sed -n 's/.* on port \([0-9]*\)$/\1/p' "$work/server$i.out")"
  [ -n "$port" ] || { echo "server $i did not start:"; cat "$work/server$i.out"; exit 1; }
  servers+=("127.0.0.1:$port")
done

if [ "$n" -eq 1 ]; then
  nb="$server_blocks"
else
  nb=$((server_blocks * (n - 1)))
fi
list="$(IFS=,; echo "${servers[*]}")"
echo "memoryfs: $n server(s) at $list; shell with -nb $nb -bs $bs (type 'exit' to quit)" >&2
"$bin/memoryfs_shell_rpc" -ns "$n" -servers "$list" -nb "$nb" -bs "$bs" -cid 0 ${SHELL_FLAGS:-}
