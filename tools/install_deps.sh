#!/usr/bin/env bash
# Installs the Debian packages the project needs (only those missing). Runs apt-get as root,
# or through sudo when not root.
set -euo pipefail
packages=(build-essential cmake pkg-config libxmlrpc-c++8-dev libssl-dev libedit-dev
          doctest-dev python3 python3-pytest procps gnuplot-nox
          help2man dpkg-dev file)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q "${missing[@]}"
