#!/usr/bin/env bash
# Installs what the chaos suite's network partitions need (ADR 0011), with apt-get, only when missing:
#   iptables -> /usr/sbin/iptables (nf_tables backend; the chaos ITs add rules with its cgroup match)
# Idempotent: prints what it found or installed. Needs root (or sudo) only when something is missing.
set -euo pipefail

if command -v iptables >/dev/null 2>&1 || [[ -x /usr/sbin/iptables ]]; then
  echo "install-network-faults: iptables present ($(dpkg-query -W -f='${Version}' iptables 2>/dev/null || echo unknown version))"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "install-network-faults: need root to install: iptables" >&2
    exit 1
  fi
fi
echo "install-network-faults: installing iptables with apt-get"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends iptables

test -x /usr/sbin/iptables
echo "install-network-faults: installed iptables"
