#!/usr/bin/env bash
# Coordinator scale benchmark (issue 3): how many synthetic workers one coordinator merges at 1 Hz
# while the interval-end-to-live-view delay stays low, and the coordinator's CPU per worker report.
#   bench/coordinator-scale.sh [WORKERS...]      default: 100 250 500 1000
# Per worker count, one coordinator process runs two identical runs of SECONDS_PER_STEP (default 30):
# the main columns are the second run's; cold_* are the first run's, in a fresh JVM whose JIT
# compiler is still busy (what this benchmark reported before it ran two).
# Everything runs on 127.0.0.1 and stops by itself.
# The synthetic workers are io.salvo.bench.coordinator.CoordinatorScale of the bench module, rebuilt every time; the
# coordinator is coordinator/cli/target/salvo.jar, built only if missing (an existing jar, e.g. of another revision,
# is measured as it is).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
modules=bench
[[ -f coordinator/cli/target/salvo.jar ]] || modules=coordinator/cli,bench
mvn -B -q -DskipTests package -pl "$modules" -am
counts=("${@:-100 250 500 1000}")
[[ $# -eq 0 ]] && counts=(100 250 500 1000)
seconds=${SECONDS_PER_STEP:-30}
work="$(mktemp -d)"
coordinator_pid=""
cleanup() { [[ -n "$coordinator_pid" ]] && kill "$coordinator_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "# machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# java: $(java -version 2>&1 | head -1)"
[[ "$(getconf CLK_TCK)" == 100 ]] || { echo "CLK_TCK is not 100; adjust CoordinatorScale.CLK_TCK" >&2; exit 1; }
printf "%8s %10s %10s %10s %12s %14s %12s %12s %16s %19s\n" workers p50_ms p99_ms max_ms core_share cpu_us/report \
  bytes/report cold_p99_ms cold_core_share cold_cpu_us/report
for n in "${counts[@]}"; do
  java -Xmx2g ${COORDINATOR_JAVA_OPTS:-} -jar coordinator/cli/target/salvo.jar coordinator --port 0 --token-file "$work/token" >"$work/coordinator.log" 2>&1 &
  coordinator_pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/coordinator.log" && break; sleep 0.1; done
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/coordinator.log" | cut -d: -f2)
  line=$(java -Xmx2g -cp "bench/target/salvo-bench.jar:bench/target/lib/*" io.salvo.bench.coordinator.CoordinatorScale \
    "$port" "$work/token" "$n" "$seconds" "$coordinator_pid")
  kill "$coordinator_pid"; wait "$coordinator_pid" 2>/dev/null || true; coordinator_pid=""
  get() { grep -o " $1=[0-9.]*" <<<" $line" | cut -d= -f2; }
  printf "%8s %10s %10s %10s %12s %14s %12s %12s %16s %19s\n" "$n" "$(get delay_p50_ms)" "$(get delay_p99_ms)" \
    "$(get delay_max_ms)" "$(get steady_core_share)" "$(get cpu_us_per_report)" "$(get bytes_per_report)" \
    "$(get cold_delay_p99_ms)" "$(get cold_core_share)" "$(get cold_cpu_us_per_report)"
done
