#!/usr/bin/env bash
# Installs what the kms-agent key backend tests need, with apt-get, only when it is missing:
#   softhsm2        -> /usr/lib/softhsm/libsofthsm2.so, /usr/bin/softhsm2-util  (PKCS#11 tests)
#   python3-pykmip  -> /usr/bin/pykmip-server under Debian's /usr/bin/python3    (KMIP tests)
# Idempotent: prints what it found or installed. Needs root (or sudo) only when something is missing.
# With CI=true the tests fail (not skip) when these are absent.
set -euo pipefail

need=()
if [[ -f /usr/lib/softhsm/libsofthsm2.so && -x /usr/bin/softhsm2-util ]]; then
  echo "install-key-backends: softhsm2 present ($(dpkg-query -W -f='${Version}' softhsm2 2>/dev/null || echo unknown version))"
else
  need+=(softhsm2)
fi
if [[ -x /usr/bin/pykmip-server ]] && /usr/bin/python3 -c 'import kmip' 2>/dev/null; then
  echo "install-key-backends: python3-pykmip present ($(dpkg-query -W -f='${Version}' python3-pykmip 2>/dev/null || echo unknown version))"
else
  need+=(python3-pykmip)
fi

if [[ ${#need[@]} -eq 0 ]]; then
  echo "install-key-backends: nothing to install"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "install-key-backends: need root to install: ${need[*]}" >&2
    exit 1
  fi
fi
echo "install-key-backends: installing ${need[*]} with apt-get"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"

test -f /usr/lib/softhsm/libsofthsm2.so && test -x /usr/bin/softhsm2-util
test -x /usr/bin/pykmip-server && /usr/bin/python3 -c 'import kmip'
echo "install-key-backends: installed ${need[*]}"
