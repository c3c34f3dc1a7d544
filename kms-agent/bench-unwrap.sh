#!/usr/bin/env bash
# The cost of a DEK cache miss per key backend: Unwrap latency p50/p90/p99 through a real kms-agent
# (no gateway cache) for the local keystore, PKCS#11 (SoftHSM2) and KMIP (PyKMIP).
#   kms-agent/bench-unwrap.sh                      # all three, 2000 measured unwraps each
#   kms-agent/bench-unwrap.sh --backend kmip --deks 500
# Needs softhsm2 and python3-pykmip (.ci/install-key-backends.sh). Prints nproc and the load average
# with the figures: quote them together.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -pl kms-agent -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
export SOFTHSM2_CONF="$PWD/kms-agent/target/softhsm2-bench/softhsm2.conf"
echo "machine: nproc=$(nproc) uptime:$(uptime)"
java -cp "kms-agent/target/test-classes:kms-agent/target/classes:$(cat kms-agent/target/bench.classpath)" \
  io.cobalt.kms.UnwrapLatencyBench "$@"
echo "machine after: uptime:$(uptime)"
