#!/usr/bin/env bash
# One Salvo worker process vs wrk against the built-in trivial HTTP target, on loopback.
#
# For each rate step: a constant-arrival plan through a standalone coordinator and ONE worker
# process; reads the run's JSON report (sent, intended, achieved rate, p99 scheduler lag, latency)
# and the worker's utime+stime from /proc/PID/stat before and after the run -> CPU per request.
# Then wrk (1 thread) against the same target, its CPU from /proc (cutime+cstime of the shell that
# waited for it) and its request count from its own output. Prints a table with the ratio.
#
# Sustained = achieved >= 99% of target AND p99 scheduler lag <= 1 ms (issue 2, "Benchmark").
#
# Usage: bench/worker-vs-wrk.sh [--rates "1000 2000 5000 ..."] [--duration 12] [--wrk-connections 16]
#                               [--target nginx|salvo] [--no-pin] [--isolate] [--max-connections N]
#                               [--syscalls] [--profile] [--bracket SECONDS] [--preconnect N] [--wrk2 PATH] [--out DIR]
#   --target             the endpoint both tools load: nginx (default when installed: one process answering
#                        `return 200`, no garbage collector to pause it) or salvo (the built-in Vert.x target,
#                        `salvo target --delay-ms 0`, whose own GC pauses show up in both tools' figures)
#   --isolate            while it runs, moves every other process of the machine (all threads) to
#                        HELPER_CPU (by default the target's CPU), so the load-generator CPU runs only the
#                        worker (then wrk; with HELPER_CPU=0 also the helpers and the moved processes) and
#                        per-CPU kernel threads; each process's own affinity is restored at exit
#   --max-connections N  the plan's maxConnections (default here 64; Salvo's own default is 512 per worker).
#                        This target answers in ~50 us, so 40k req/s need ~2 connections (Little's law);
#                        64 leaves ample room, as wrk's 16, while 512 let a brief target stall at a run's
#                        start open hundreds of connections whose accepts slow the target further.
#   --syscalls           also counts syscalls and context switches per request (perf stat tracepoints;
#                        counts, unlike CPU time, do not depend on what else runs on the machine), and
#                        perf's task-clock per request: the scheduler's exact run time, where utime+stime
#                        are sampled at the timer tick (CONFIG_TICK_CPU_ACCOUNTING)
#   --preconnect N       the plan's preconnect: connections the worker opens before each step's start instant
#                        (default 16, the connections wrk opens before its clock starts; 0 opens them on demand,
#                        in the step's first milliseconds, where their connects delayed the first requests)
#   --bracket SECONDS    wrk also runs this long before every step (default 6; 0: only once, after the ladder).
#                        Each step's wrk figure is the mean of the runs before and after it: on this shared
#                        host the cost of the same work drifts by up to 1.5x within minutes, so a wrk figure
#                        from the end of the ladder alone can be from another machine state than the step's
#   --wrk2 PATH          also runs wrk2 (Gil Tene's constant-throughput wrk, github.com/giltene/wrk2; not packaged
#                        in Debian, build it as bench/README.md says) after every step AT THAT STEP'S RATE, from the
#                        same CPU with the same connections, for 10 s of its calibration plus the step's duration:
#                        a paced peer, so the worker's CPU per request is also compared with an open-model client at
#                        an equal rate, not only with closed-loop wrk at whatever rate it reaches (default: the
#                        `wrk2` on PATH if there is one; --wrk2 none turns it off)
#   --profile            also samples where the worker's CPU goes in each step (perf record, 499 Hz, all
#                        threads, kernel and JIT-compiled Java by symbol through the JVM's perf map) and prints
#                        each step's top symbols; the samples stay in the step's directory (perf.data)
# Environment: WORKER_JAVA_OPTS (extra JVM flags for the worker only, e.g. a JFR recording; the worker always
#              starts with -XX:+AlwaysPreTouch, as the image and the salvo script start it: -XX:-AlwaysPreTouch here undoes it),
#              PLAN_EXTRA (YAML lines appended to every plan, e.g. "interval: 100ms"),
#              WORKER_CPU / LOAD_CPU (default 0), TARGET_CPU (default 1),
#              HELPER_CPU (default: TARGET_CPU): where the coordinator, each run's CLI, this script (and its
#              samplers) and, with --isolate, every other process run. HELPER_CPU=0 (the load CPU) leaves the
#              endpoint's CPU to the endpoint alone, so the endpoint keeps headroom when the worker reaches its own
#              ceiling; the worker's CPU per request is its own process's either way, but it then shares its CPU
#              with the helpers (nice 10), as wrk does in its runs,
#              TARGET_NICE (default 0: the target's nice value; e.g. -10 when --isolate moves a busy
#              machine's other work onto the target's CPU, so the endpoint is not starved by it),
#              HELPER_NICE (default 10: the coordinator's and each run's CLI's nice value; 0 when that CPU is
#              so busy that a niced CLI does not start within the run's timeout).
#
# Pinning (default, 2-core machine): the worker and later wrk on core 0 (the load-generator core),
# the target, the coordinator and the `salvo run` CLI on core 1. Pinned, the worker JVM sees one
# processor (so it runs one event-loop lane); processes this script did not start are not pinned and
# may still run on core 0: their CPU is reported per step ("other").
# Bounded: every run has a timeout, the ladder stops after two steps below 90% achieved, everything
# started here (pids and their descendants) is killed by the EXIT trap. Typical total: 5-7 minutes without the
# wrk runs around the steps and wrk2; the default ladder with both took about 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
COMMAND="bench/worker-vs-wrk.sh $*"

RATES="1000 2000 5000 10000 20000 30000 40000 50000 60000 70000 80000"
DURATION=12
WRK_CONNS=16
PIN=1
ISOLATE=0
TARGET_KIND=""
OUT_DIR=""
MAX_CONNS=64
SYSCALLS=0
PROFILE=0
BRACKET=6
PRECONNECT=16
WRK2=$(command -v wrk2 || true)
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) RATES=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --wrk-connections) WRK_CONNS=$2; shift 2 ;;
    --no-pin) PIN=0; shift ;;
    --isolate) ISOLATE=1; shift ;;
    --target) TARGET_KIND=$2; shift 2 ;;
    --max-connections) MAX_CONNS=$2; shift 2 ;;
    --syscalls) SYSCALLS=1; shift ;;
    --profile) PROFILE=1; shift ;;
    --bracket) BRACKET=$2; shift 2 ;;
    --preconnect) PRECONNECT=$2; shift 2 ;;
    --wrk2) WRK2=$2; shift 2 ;;
    --out) OUT_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "$0"; exit 0 ;;
    *) echo "worker-vs-wrk: unknown argument $1" >&2; exit 2 ;;
  esac
done
LOAD_CPU=${LOAD_CPU:-${WORKER_CPU:-0}}
TARGET_CPU=${TARGET_CPU:-1}
HELPER_CPU=${HELPER_CPU:-$TARGET_CPU}
for cpu_var in LOAD_CPU TARGET_CPU HELPER_CPU; do
  case "${!cpu_var}" in
    ''|*[!0-9]*) echo "worker-vs-wrk: $cpu_var must be a CPU number, got '${!cpu_var}'" >&2; exit 2 ;;
  esac
  [ "${!cpu_var}" -lt "$(nproc)" ] || { echo "worker-vs-wrk: $cpu_var=${!cpu_var}: this machine has CPUs 0-$(( $(nproc) - 1 ))" >&2; exit 2; }
done

if [ -z "$TARGET_KIND" ]; then
  if command -v nginx >/dev/null; then TARGET_KIND=nginx; else TARGET_KIND=salvo; fi
fi
case "$TARGET_KIND" in nginx|salvo) ;; *) echo "worker-vs-wrk: --target must be nginx or salvo" >&2; exit 2 ;; esac
[ "$TARGET_KIND" = nginx ] && { command -v nginx >/dev/null || { echo "worker-vs-wrk: nginx not found (apt-get install -y nginx-light)" >&2; exit 2; }; }
[ "$WRK2" = none ] && WRK2=""
if [ -n "$WRK2" ]; then
  WRK2=$(command -v "$WRK2" || echo "$WRK2")   # a bare name is looked up on PATH
  [ -x "$WRK2" ] || { echo "worker-vs-wrk: --wrk2 $WRK2 is not an executable (build wrk2 as bench/README.md says)" >&2; exit 2; }
  case "$("$WRK2" -v 2>&1 || true)" in *"-R, --rate"*) ;; *) echo "worker-vs-wrk: $WRK2 is not wrk2 (no --rate in its usage)" >&2; exit 2 ;; esac
fi
for tool in java wrk jq taskset getconf; do
  command -v "$tool" >/dev/null || { echo "worker-vs-wrk: $tool not found (wrk: apt-get install -y wrk)" >&2; exit 2; }
done

if [ ! -f coordinator/cli/target/salvo.jar ]; then
  ./salvo --help >/dev/null
fi
CLK_TCK=$(getconf CLK_TCK)
START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/salvo-bench.XXXXXX)
# A private copy of the distribution, so a concurrent `mvn package` cannot swap it mid-run.
mkdir -p "$TMP/dist"
cp coordinator/cli/target/salvo.jar "$TMP/dist/" && cp -r coordinator/cli/target/lib "$TMP/dist/"
JAR=$TMP/dist/salvo.jar
OUT_DIR=${OUT_DIR:-$TMP/out}
mkdir -p "$OUT_DIR"

PIDS=()
# Prints a pid and all its descendants (by parent pid, from ps), children first.
tree() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$child"; done
  echo "$1"
}
# --isolate: "pid mask" of every process moved, for the restore.
MOVED="$TMP/isolated-affinities"
isolate_others() {
  local proc pid mask
  : >"$MOVED"
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [ "$pid" = "$WORKER_PID" ] || [ "$pid" = "$TARGET_PID" ] && continue
    mask=$(taskset -p "$pid" 2>/dev/null | awk '{print $NF}') || continue
    [ -n "$mask" ] || continue
    taskset -a -p -c "$HELPER_CPU" "$pid" >/dev/null 2>&1 && echo "$pid $mask" >>"$MOVED"
  done
  echo "isolation: $(wc -l <"$MOVED") processes moved to CPU $HELPER_CPU; CPU $LOAD_CPU runs the worker$([ "$HELPER_CPU" = "$LOAD_CPU" ] && echo " and them"), CPU $TARGET_CPU the endpoint" >&2
}
restore_others() {
  local pid mask all
  all=$(printf '%x' $(( (1 << $(nproc)) - 1 )))
  [ -f "$MOVED" ] || return 0
  for proc in /proc/[0-9]*; do   # processes born during the run inherited the isolation: give them all CPUs
    pid=${proc#/proc/}
    mask=$(awk -v p="$pid" '$1 == p {print $2}' "$MOVED")
    taskset -a -p "${mask:-$all}" "$pid" >/dev/null 2>&1 || true
  done
  rm -f "$MOVED"
}

cleanup() {
  local rc=$? all=() pid
  trap - EXIT INT TERM
  [ "$ISOLATE" = 1 ] && restore_others
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && all+=($(tree "$pid"))
  done
  for pid in "${all[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  sleep 1
  for pid in "${all[@]:-}"; do
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  echo "worker-vs-wrk: stopped everything it started (logs and reports in $TMP)" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Command prefixes (arrays, not functions: with `&` a function would run in a subshell whose pid is
# not the JVM's; taskset execs the JVM, so $! is the JVM's pid, for /proc and for kill).
PIN_LOAD=(); PIN_TARGET=(); PIN_HELPER=()
if [ "$PIN" = 1 ]; then
  PIN_LOAD=(taskset -c "$LOAD_CPU"); PIN_TARGET=(taskset -c "$TARGET_CPU"); PIN_HELPER=(taskset -c "$HELPER_CPU")
  taskset -p -c "$HELPER_CPU" $$ >/dev/null   # this script and the samplers it forks
fi

# Waits (up to 60 s) for a line "<prefix>HOST:PORT" in a log file and prints PORT.
await_port() {
  local log=$1 prefix=$2 pid=$3 line
  for _ in $(seq 1 600); do
    line=$(grep -m1 -o "${prefix}[0-9.]*:[0-9]*" "$log" 2>/dev/null || true)
    if [ -n "$line" ]; then echo "${line##*:}"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "worker-vs-wrk: process $pid died, see $log" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "worker-vs-wrk: no '$prefix' line in $log after 60 s" >&2
  return 1
}

# utime+stime (clock ticks) of a process, all its threads; fields after the ")" of comm.
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat")
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $(( ${12} + ${13} ))   # fields 14 and 15 of the full line
}

# Busy ticks of the whole machine (all CPUs) from /proc/stat: user nice system irq softirq steal.
machine_ticks() {
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
# cutime+cstime of a finished `sh -c '...; cat /proc/$$/stat'` wrapper = CPU of what it waited for.
child_ticks() {
  local stat
  stat=$(cat "$1"); stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $(( ${14} + ${15} ))   # fields 16 and 17 of the full line
}

# "tid name ticks" per thread of a process, in one awk process: the sampler below runs every 0.5 s on the
# target's CPU, where a fork per thread (the JVM has ~40) took a sixth of the endpoint's core.
# A thread's name (comm) may hold spaces: it is the text between the first "(" and the last ")".
thread_ticks() {
  awk '{ line = $0; lp = index(line, "("); rp = 0
         for (i = length(line); i > 0; i--) if (substr(line, i, 1) == ")") { rp = i; break }
         name = substr(line, lp + 1, rp - lp - 1); gsub(/ /, "_", name)
         split(substr(line, rp + 2), f, " ")
         print $1, name, f[12] + f[13] }' /proc/"$1"/task/*/stat 2>/dev/null
}
# Per-thread CPU of a step: before-file after-file -> "name  seconds" lines, summed by name, largest first.
thread_delta() {
  awk -v hz="$CLK_TCK" 'NR == FNR { before[$1] = $3; next }
    { d = $3 - before[$1]; sub(/-[0-9]+$/, "-N", $2); cpu[$2] += d }
    END { for (n in cpu) if (cpu[n] > 0) printf "%-20s %6.2f s\n", n, cpu[n] / hz }' "$1" "$2" | sort -k2 -rn
}

PERF_EVENTS=task-clock,context-switches,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_readv,syscalls:sys_enter_writev,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_futex,syscalls:sys_enter_sched_yield,syscalls:sys_enter_nanosleep,syscalls:sys_enter_clock_nanosleep
# perf stat -x, output -> "event per-request" lines and the total of the syscalls counted.
per_request() {
  awk -F, -v n="$2" '$3 ~ /^[a-z]/ { e = $3; sub(/^syscalls:sys_enter_/, "", e); c = $1 + 0;
      if (e == "task-clock") { printf "%-18s %8.3f\n", "task-clock_us", c * 1000 / n; next }
      if (e != "context-switches") total += c; printf "%-18s %8.3f\n", e, c / n }
    END { printf "%-18s %8.3f\n", "syscalls_total", total / n }' "$1"
}

# --- processes ---------------------------------------------------------------------------------
if [ "$TARGET_KIND" = nginx ]; then
  # One nginx process (no master), loopback only, no logging: a trivial endpoint written in C.
  for _ in $(seq 1 50); do
    TARGET_PORT=$(( 20000 + RANDOM % 40000 ))
    ss -Htan "( sport = :$TARGET_PORT )" | grep -q . || break   # any state: a connection's local port blocks bind too
  done
  mkdir -p "$TMP/nginx"
  cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$TARGET_PORT;
    location / { default_type text/plain; return 200 "ok"; }
  }
}
EOF
  nice -n "${TARGET_NICE:-0}" "${PIN_TARGET[@]}" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >"$TMP/target.log" 2>&1 &
  TARGET_PID=$!; PIDS+=("$TARGET_PID")
  for _ in $(seq 1 100); do ss -Htln "( sport = :$TARGET_PORT )" | grep -q . && break; sleep 0.1; done
  ss -Htln "( sport = :$TARGET_PORT )" | grep -q . || { echo "worker-vs-wrk: nginx did not listen" >&2; cat "$TMP/target.log" "$TMP/nginx/error.log" >&2; exit 1; }
else
  nice -n "${TARGET_NICE:-0}" "${PIN_TARGET[@]}" java -jar "$JAR" target --port 0 --delay-ms 0 >"$TMP/target.log" 2>&1 &
  TARGET_PID=$!; PIDS+=("$TARGET_PID")
  TARGET_PORT=$(await_port "$TMP/target.log" "listening on " "$TARGET_PID")
fi

# The coordinator and each run's CLI run on HELPER_CPU (by default the target's CPU); niced, so their bursts (a CLI JVM starting and
# compiling just before a run, the coordinator assigning it) do not slow the target at the run's start, which
# the worker would see as a backlog.
"${PIN_HELPER[@]}" nice -n "${HELPER_NICE:-10}" java -jar "$JAR" coordinator --port 0 >"$TMP/coordinator.log" 2>&1 &
COORD_PID=$!; PIDS+=("$COORD_PID")
COORD_PORT=$(await_port "$TMP/coordinator.log" "Salvo coordinator listening on " "$COORD_PID")

# shellcheck disable=SC2086
# -XX:+AlwaysPreTouch as the image and the salvo script start a worker (WORKER_JAVA_OPTS may turn it off).
"${PIN_LOAD[@]}" java -XX:+AlwaysPreTouch ${WORKER_JAVA_OPTS:-} -jar "$JAR" worker --coordinator "127.0.0.1:$COORD_PORT" --id bench \
  >"$TMP/worker.log" 2>&1 &
WORKER_PID=$!; PIDS+=("$WORKER_PID")
sleep 1
kill -0 "$WORKER_PID" 2>/dev/null || { echo "worker-vs-wrk: worker died" >&2; cat "$TMP/worker.log" >&2; exit 1; }

URL="http://127.0.0.1:$TARGET_PORT/bench"
echo "target ($TARGET_KIND) 127.0.0.1:$TARGET_PORT (pid $TARGET_PID), coordinator 127.0.0.1:$COORD_PORT (pid $COORD_PID)," \
     "worker pid $WORKER_PID; pinning: $([ "$PIN" = 1 ] && echo "worker+wrk cpu $LOAD_CPU, target cpu $TARGET_CPU, coordinator+cli cpu $HELPER_CPU" || echo off)" >&2
echo "CLK_TCK=$CLK_TCK duration=${DURATION}s rates: $RATES" >&2
[ "$ISOLATE" = 1 ] && isolate_others

# Warm-up (JIT, connections): 10 s at 5000 req/s, not reported.
run_plan() { # rate duration_s outdir -> json path on stdout
  local rate=$1 dur=$2 dir=$3
  mkdir -p "$dir"
  cat >"$dir/plan.yaml" <<EOF
name: worker-vs-wrk-$rate
target:
  url: $URL
  method: GET
phases:
  - duration: ${dur}s
    rate: $rate
arrival: constant
workers: 1
EOF
  if [ -n "$MAX_CONNS" ]; then echo "maxConnections: $MAX_CONNS" >>"$dir/plan.yaml"; fi
  if [ "$PRECONNECT" -gt 0 ]; then echo "preconnect: $PRECONNECT" >>"$dir/plan.yaml"; fi
  if [ -n "${PLAN_EXTRA:-}" ]; then printf '%s\n' "$PLAN_EXTRA" >>"$dir/plan.yaml"; fi
  # The CLI runs under a shell that reports its CPU (cutime+cstime) once the CLI has exited.
  "${PIN_HELPER[@]}" nice -n "${HELPER_NICE:-10}" sh -c 'timeout "$1" java -jar "$2" run "$3" --coordinator "$4" --out "$5" -q >"$5/cli.log" 2>&1
    rc=$?; cat /proc/$$/stat >"$5/cli.stat"; exit $rc' cli-sh $((dur + 60)) "$JAR" "$dir/plan.yaml" "127.0.0.1:$COORD_PORT" "$dir" &
  local cli=$!
  PIDS+=("$cli")
  wait "$cli" || { echo "worker-vs-wrk: salvo run failed at $rate req/s:" >&2; cat "$dir/cli.log" >&2; return 1; }
  ls "$dir"/*.json | head -1
}
# Then 10 s at the ladder's top rate: the worker's and the target's JIT see the high-rate paths before any step.
run_plan 5000 10 "$TMP/warmup" >/dev/null
TOP_RATE=$(printf '%s\n' $RATES | sort -n | tail -1)
run_plan "$TOP_RATE" 10 "$TMP/warmup-top" >/dev/null
# Idle baseline: what the connected worker burns with no run (heartbeats, clock probes).
i0=$(cpu_ticks "$WORKER_PID"); sleep 5; i1=$(cpu_ticks "$WORKER_PID")
IDLE_PCT=$(awk -v t=$((i1 - i0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", 100 * t / hz / 5 }')
echo "warm-up done; idle worker: ${IDLE_PCT}% of a core" >&2

# Idle share (%) of the load CPU and of the target CPU between two epochs, from the sampler's "T" lines.
window_idle() { # samples-file from to -> "load_idle<TAB>target_idle"
  awk -v from="$2" -v to="$3" -v hz="$CLK_TCK" -v a="cpu$LOAD_CPU" -v b="cpu$TARGET_CPU" '
    $1 == "T" && $2 >= from && $2 <= to { if (!($3 in t0)) { t0[$3] = $2; i0[$3] = $4 } t1[$3] = $2; i1[$3] = $4 }
    END { for (k in t0) pct[k] = (t1[k] > t0[k]) ? 100 * (i1[k] - i0[k]) / hz / (t1[k] - t0[k]) : -1
          printf "%.0f\t%.0f\n", (a in pct) ? pct[a] : -1, (b in pct) ? pct[b] : -1 }' "$1"
}

# wrk -t1 against the endpoint from the load CPU for SECONDS, its CPU from cutime+cstime (fields 16, 17) of the
# shell that ran and waited for it. Writes $TMP/wrk-LABEL.txt (wrk's output) and $TMP/wrk-LABEL.result:
# "requests req/s p99 cpu_us cpu_s wrk_pct target_pct other_pct". perf=1 counts its syscalls too (--syscalls).
measure_wrk() { # label seconds perf
  local label=$1 secs=$2 cmd=(wrk) sh_pid wt0 wt1 ww0 ww1 wc0 wc1 wm0 wm1 ws0 ws1 ticks reqs wall
  [ "$3" = 1 ] && cmd=(perf stat -x, -e "$PERF_EVENTS" -o "$TMP/wrk-$label.perf" wrk)
  WRK_DUR=$secs WRK_URL=$URL WRK_TXT=$TMP/wrk-$label.txt "${PIN_LOAD[@]}" sh -c \
    'conns=$1; shift; "$@" -t1 -c"$conns" -d"$WRK_DUR"s --latency "$WRK_URL" >"$WRK_TXT" 2>&1; cat /proc/$$/stat' wrk-sh \
    "$WRK_CONNS" "${cmd[@]}" >"$TMP/wrk-$label.stat" &
  sh_pid=$!; PIDS+=("$sh_pid")
  wt0=$(cpu_ticks "$TARGET_PID"); ww0=$(cpu_ticks "$WORKER_PID"); wc0=$(cpu_ticks "$COORD_PID"); wm0=$(machine_ticks)
  ws0=$(date +%s.%N)
  wait "$sh_pid"
  wt1=$(cpu_ticks "$TARGET_PID"); ww1=$(cpu_ticks "$WORKER_PID"); wc1=$(cpu_ticks "$COORD_PID"); wm1=$(machine_ticks)
  ws1=$(date +%s.%N)
  ticks=$(child_ticks "$TMP/wrk-$label.stat")
  reqs=$(awk '/requests in/ {print $1}' "$TMP/wrk-$label.txt")
  wall=$(echo "$ws1 - $ws0" | bc -l)
  awk -v n="$reqs" -v rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk-$label.txt")" \
      -v p99="$(awk '$1 == "99%" {print $2}' "$TMP/wrk-$label.txt")" -v t="$ticks" -v hz="$CLK_TCK" -v w="$wall" \
      -v dt=$((wt1 - wt0)) -v other=$(( (wm1 - wm0) - ticks - (wt1 - wt0) - (ww1 - ww0) - (wc1 - wc0) )) \
      'BEGIN { printf "%d %s %s %.2f %.2f %.0f %.0f %.0f\n", n, rps, p99, t / hz / n * 1e6, t / hz, 100 * t / hz / w,
               100 * dt / hz / w, 100 * other / hz / w }' >"$TMP/wrk-$label.result"
  echo "wrk ($label, ${secs}s): $(cat "$TMP/wrk-$label.result")" >&2
}

# wrk2 at a step's rate, from the load CPU, for its 10 s calibration plus DURATION (its latency figures cover only
# the time after the calibration; its request count and CPU the whole run, all of it at the same rate). Writes
# $TMP/wrk2-RATE.txt and $TMP/wrk2-RATE.result: "requests req/s p50_ms p99_ms cpu_us target_pct".
to_ms() { # wrk's time format (e.g. 812.00us, 1.23ms, 2.00s, 1.50m) -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    printf "%.3f", (u == "us") ? n / 1000 : (u == "ms") ? n : (u == "s") ? n * 1000 : (u == "m") ? n * 60000 : -1 }'
}
measure_wrk2() { # rate
  local rate=$1 sh_pid wt0 wt1 ws0 ws1 ticks reqs wall
  "${PIN_LOAD[@]}" sh -c '"$1" -t1 -c"$2" -d"$3"s -R"$4" --latency "$5" >"$6" 2>&1 || echo "wrk2 exited with $?" >>"$6"
    cat /proc/$$/stat' wrk2-sh \
    "$WRK2" "$WRK_CONNS" $((10 + DURATION)) "$rate" "$URL" "$TMP/wrk2-$rate.txt" >"$TMP/wrk2-$rate.stat" &
  sh_pid=$!; PIDS+=("$sh_pid")
  wt0=$(cpu_ticks "$TARGET_PID"); ws0=$(date +%s.%N)
  wait "$sh_pid"
  wt1=$(cpu_ticks "$TARGET_PID"); ws1=$(date +%s.%N)
  ticks=$(child_ticks "$TMP/wrk2-$rate.stat")
  reqs=$(awk '/requests in/ {print $1}' "$TMP/wrk2-$rate.txt")
  if ! [ "${reqs:-0}" -gt 0 ] 2>/dev/null; then   # no figures: n/a in the table, and the ladder goes on
    echo "0 n/a n/a n/a n/a n/a" >"$TMP/wrk2-$rate.result"
    echo "wrk2 (-R$rate): no result, see $TMP/wrk2-$rate.txt: $(tail -2 "$TMP/wrk2-$rate.txt" | tr '\n' ' ')" >&2
    return 0
  fi
  wall=$(echo "$ws1 - $ws0" | bc -l)
  awk -v n="$reqs" -v rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk2-$rate.txt")" \
      -v p50="$(to_ms "$(awk '$1 == "50.000%" {print $2; exit}' "$TMP/wrk2-$rate.txt")")" \
      -v p99="$(to_ms "$(awk '$1 == "99.000%" {print $2; exit}' "$TMP/wrk2-$rate.txt")")" \
      -v t="$ticks" -v hz="$CLK_TCK" -v w="$wall" -v dt=$((wt1 - wt0)) \
      'BEGIN { printf "%d %.1f %s %s %.2f %.0f\n", n, rps, p50, p99, t / hz / n * 1e6, 100 * dt / hz / w }' \
      >"$TMP/wrk2-$rate.result"
  echo "wrk2 (-R$rate, $((10 + DURATION))s): $(cat "$TMP/wrk2-$rate.result")" >&2
}

RESULTS="$TMP/results.tsv"
: >"$RESULTS"
fails=0
best=0
best_cpu_us=""
for rate in $RATES; do
  [ "$BRACKET" -gt 0 ] && measure_wrk "before-$rate" "$BRACKET" 0
  w0=$(cpu_ticks "$WORKER_PID"); t0=$(cpu_ticks "$TARGET_PID"); c0=$(cpu_ticks "$COORD_PID")
  thread_ticks "$WORKER_PID" >"$TMP/threads-before"
  # Threads that exit with the run (the scheduler) vanish from /proc: sample them every 0.5 s. The CPUs' idle
  # ticks go with each sample ("T epoch cpuN idle+iowait"), read without a fork, to tell in the run's load window
  # which CPU, the worker's or the endpoint's, had no time left.
  ( while :; do
      thread_ticks "$WORKER_PID"
      while read -r cpu _ _ _ idle iowait _; do
        case "$cpu" in cpu[0-9]*) echo "T $EPOCHREALTIME $cpu $((idle + iowait))" ;; esac
      done </proc/stat
      sleep 0.5
    done ) >"$TMP/threads-samples" 2>/dev/null &
  SAMPLER=$!; PIDS+=("$SAMPLER")
  if [ "$SYSCALLS" = 1 ]; then
    perf stat -x, -e "$PERF_EVENTS" -p "$WORKER_PID" -o "$TMP/rate-$rate.perf" &
    PERF_PID=$!; PIDS+=("$PERF_PID")
  fi
  if [ "$PROFILE" = 1 ]; then
    mkdir -p "$TMP/rate-$rate"
    perf record -q -F 499 -g -p "$WORKER_PID" -o "$TMP/rate-$rate/perf.data" 2>/dev/null &
    PROFILER_PID=$!; PIDS+=("$PROFILER_PID")
  fi
  m0=$(machine_ticks); s0=$(date +%s.%N)
  run_plan "$rate" "$DURATION" "$TMP/rate-$rate" >"$TMP/json-path"
  kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true
  if [ "$SYSCALLS" = 1 ]; then
    kill -INT "$PERF_PID" 2>/dev/null || true; wait "$PERF_PID" 2>/dev/null || true
    per_request "$TMP/rate-$rate.perf" "$(jq .totals.sent "$TMP/rate-$rate"/*.json)" >"$TMP/rate-$rate/syscalls.txt"
  fi
  if [ "$PROFILE" = 1 ]; then
    kill -INT "$PROFILER_PID" 2>/dev/null || true; wait "$PROFILER_PID" 2>/dev/null || true
  fi
  json=$(cat "$TMP/json-path")
  # Connections the worker opened in the step (its pool grows to what the rate needs), from the run's own report:
  # an `ss` sampler on the endpoint's busy CPU missed high steps and read 0.
  conns=$(jq '.totals.connect.count // 0' "$json")
  w1=$(cpu_ticks "$WORKER_PID"); t1=$(cpu_ticks "$TARGET_PID"); c1=$(cpu_ticks "$COORD_PID")
  m1=$(machine_ticks); s1=$(date +%s.%N)
  { grep -v '^T ' "$TMP/threads-samples"; thread_ticks "$WORKER_PID"; } |
    awk '{ if (!($1 in t) || $3 >= t[$1]) { t[$1] = $3; n[$1] = $2 } } END { for (k in t) print k, n[k], t[k] }' \
    >"$TMP/threads-after"
  thread_delta "$TMP/threads-before" "$TMP/threads-after" >"$TMP/rate-$rate/worker-threads.txt"
  cli=$(child_ticks "$TMP/rate-$rate/cli.stat")
  # CPU of everything else on the machine during the step (other users of the 2 cores).
  other=$(( (m1 - m0) - (w1 - w0) - (t1 - t0) - (c1 - c0) - cli ))
  read -r sent intended achieved lag99 p50 p99 errors < <(jq -r '.totals |
      [.sent, .intended, .achieved_rate_per_s, .scheduler_lag.p99_ms, .latency.p50_ms, .latency.p99_ms,
       ((.errors // {}) | if type=="object" then ([.[]] | add // 0) else . end)]
      | map(if . == null then "nan" else . end) | @tsv' "$json")   # null (no value) would shift the fields
  wall=$(echo "$s1 - $s0" | bc -l)
  line=$(awk -v r="$rate" -v sent="$sent" -v intended="$intended" -v ach="$achieved" -v lag="$lag99" \
      -v p50="$p50" -v p99="$p99" -v err="$errors" -v dw=$((w1 - w0)) -v dt=$((t1 - t0)) -v hz="$CLK_TCK" \
      -v dur="$DURATION" -v wall="$wall" -v other="$other" -v conns="$conns" 'BEGIN {
        ok = (ach >= 0.99 * r && lag <= 1.0) ? "yes" : "no";
        cpu_us = dw / hz / sent * 1e6;
        printf "%d\t%.1f\t%d\t%d\t%.3f\t%.3f\t%.3f\t%s\t%.2f\t%.1f\t%.0f\t%.0f\t%s\t%.0f\t%d\n", r, ach, sent, intended, lag, p50, p99, err,
          cpu_us, dw / hz, 100 * dw / hz / wall, 100 * dt / hz / wall, ok, 100 * other / hz / wall, conns }')
  load_from=$(date -d "$(jq -r .run.start "$json")" +%s.%N)
  load_to=$(echo "$load_from + $DURATION" | bc -l)
  line="$line"$'\t'"$(window_idle "$TMP/threads-samples" "$load_from" "$load_to")"
  echo "$line" >>"$RESULTS"
  echo "rate $rate: $line" >&2
  [ -n "$WRK2" ] && measure_wrk2 "$rate"
  if [ "$(echo "$line" | cut -f13)" = yes ]; then
    best=$rate; best_cpu_us=$(echo "$line" | cut -f9)
  fi
  # A lag miss can be noise; an achieved rate below 90% of the target twice in a row is saturation.
  if awk -v a="$achieved" -v r="$rate" 'BEGIN { exit !(a < 0.9 * r) }'; then
    fails=$((fails + 1))
    [ "$fails" -ge 2 ] && { echo "achieved < 90% of target twice in a row: stopping the ladder" >&2; break; }
  else
    fails=0
  fi
done

# The JIT's symbol map, written while the worker lives, names the compiled Java frames in the profiles.
if [ "$PROFILE" = 1 ]; then
  jcmd "$WORKER_PID" Compiler.perfmap >/dev/null 2>&1 || echo "worker-vs-wrk: no perf map (jcmd Compiler.perfmap failed): Java frames stay unnamed" >&2
  for rate in $(cut -f1 "$RESULTS"); do
    perf report -i "$TMP/rate-$rate/perf.data" --no-children --sort dso,sym -g none --percent-limit 0.5 --stdio 2>/dev/null |
      grep -v '^#' | grep -v '^$' >"$TMP/rate-$rate/profile.txt" || true
  done
fi

# --- wrk ---------------------------------------------------------------------------------------
measure_wrk final "$DURATION" "$SYSCALLS"
WRK_OUT="$TMP/wrk-final.txt"
read -r wrk_reqs wrk_rps wrk_p99 wrk_cpu_us wrk_cpu_s wrk_pct wrk_target_pct wrk_other_pct <"$TMP/wrk-final.result"
[ "$SYSCALLS" = 1 ] && per_request "$TMP/wrk-final.perf" "$wrk_reqs" >"$TMP/wrk-syscalls.txt"
wrk_errors=$(awk '/Non-2xx|Socket errors/' "$WRK_OUT")
# Each step's wrk figure: the mean of the wrk runs just before it and just after it (the next step's, or the
# final run); with --bracket 0, the final run's.
wrk_after() { # rate -> the label of the wrk run after that step
  local next
  next=$(cut -f1 "$RESULTS" | awk -v r="$1" 'found { print; exit } $1 == r { found = 1 }')
  if [ -n "$next" ] && [ -f "$TMP/wrk-before-$next.result" ]; then echo "before-$next"; else echo final; fi
}
step_wrk() { # rate -> "before_us after_us mean_us"
  local before=final
  [ -f "$TMP/wrk-before-$1.result" ] && before="before-$1"
  awk '{ print $4 }' "$TMP/wrk-$before.result" "$TMP/wrk-$(wrk_after "$1").result" | paste -sd' ' |
    awk '{ printf "%.2f %.2f %.2f\n", $1, $2, ($1 + $2) / 2 }'
}

# --- table -------------------------------------------------------------------------------------
{
  echo
  echo "Command: $COMMAND (started $START_DATE; load average at start: $START_LOAD)"
  echo "Target: $TARGET_KIND$([ "$TARGET_KIND" = nginx ] && echo " ($(nginx -v 2>&1 | sed 's/.*: //'), one process, return 200)")"
  echo "Pinning: $([ "$PIN" = 1 ] && echo "worker and wrk on CPU $LOAD_CPU; target on CPU $TARGET_CPU; coordinator, salvo run CLI and this script on CPU $HELPER_CPU$([ "$HELPER_CPU" != "$TARGET_CPU" ] && echo " (HELPER_CPU)")" || echo off)$([ "$ISOLATE" = 1 ] && echo "; every other process moved to CPU $HELPER_CPU (--isolate)")"
  [ "${TARGET_NICE:-0}" != 0 ] && echo "Target nice value: $TARGET_NICE (TARGET_NICE)"
  [ "${HELPER_NICE:-10}" != 10 ] && echo "Coordinator and CLI nice value: $HELPER_NICE (HELPER_NICE)"
  echo "Worker JVM options: -XX:+AlwaysPreTouch${WORKER_JAVA_OPTS:+ $WORKER_JAVA_OPTS (WORKER_JAVA_OPTS)}"
  echo "Plan: maxConnections ${MAX_CONNS:-512 (default)}, preconnect $PRECONNECT${PLAN_EXTRA:+, plus: $PLAN_EXTRA}"
  [ -n "$WRK2" ] && echo "Paced peer: wrk2 at each step's rate ($WRK2, sha256 of the binary $(sha256sum "$WRK2" | cut -c1-12))"
  echo "idle worker (connected, no run): ${IDLE_PCT}% of a core"
  echo "wrk -t1 -c$WRK_CONNS -d${DURATION}s: $wrk_reqs requests, $wrk_rps req/s, p99 $wrk_p99 (closed loop)," \
       "CPU $wrk_cpu_s s (${wrk_pct}% of a core)," \
       "$wrk_cpu_us µs/request; target ${wrk_target_pct}% of a core; other processes ${wrk_other_pct}% of a core${wrk_errors:+; $wrk_errors}"
  if [ "$BRACKET" -gt 0 ]; then
    echo "wrk -t1 -c$WRK_CONNS -d${BRACKET}s before each step (µs/request at req/s):" \
      "$(for rate in $(cut -f1 "$RESULTS"); do read -r _ rps _ us _ <"$TMP/wrk-before-$rate.result"; printf '%s: %s at %s; ' "$rate" "$us" "$rps"; done)"
  fi
  echo
  echo "| rate (req/s) | achieved (req/s) | sent / intended | p99 sched lag (ms) | latency p50 / p99 (ms) | errors | worker CPU (% core) | target CPU (% core) | other processes (% core) | idle in the load window: worker's / endpoint's CPU (%) | worker conns (opened) | worker CPU (µs/req) | wrk CPU (µs/req) before / after the step | ratio (to their mean) | sustained |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"
  while IFS=$'\t' read -r rate ach sent intended lag p50 p99 err cpu_us cpu_s wpct tpct ok opct conns load_idle target_idle; do
    read -r wrk_before wrk_after_us wrk_mean < <(step_wrk "$rate")
    ratio=$(awk -v a="$cpu_us" -v b="$wrk_mean" 'BEGIN { printf "%.2f", a / b }')
    echo "| $rate | $ach | $sent / $intended | $lag | $p50 / $p99 | $err | $wpct | $tpct | $opct | $load_idle / $target_idle | $conns | $cpu_us | $wrk_before / $wrk_after_us | $ratio | $ok |"
  done <"$RESULTS"
  echo
  if [ "$best" -gt 0 ]; then
    read -r _ _ best_wrk < <(step_wrk "$best")
    echo "Highest sustained rate: $best req/s; worker CPU $best_cpu_us µs/request vs wrk $best_wrk µs/request" \
         "(mean of the runs before and after that step): ratio $(awk -v a="$best_cpu_us" -v b="$best_wrk" 'BEGIN { printf "%.2f", a / b }')" \
         "(issue 11's target: <= 1.3)"
  else
    echo "No step was sustained."
  fi
  if [ -n "$WRK2" ]; then
    echo
    echo "Against wrk2 at each step's rate ($WRK2 -t1 -c$WRK_CONNS -R<rate> --latency, $((10 + DURATION)) s: its 10 s calibration, then" \
         "the step's duration; its latencies are corrected for coordinated omission and cover the time after the calibration):"
    echo
    echo "| rate (req/s) | worker: achieved (req/s) | worker: latency p50 / p99 (ms) | worker CPU (µs/req) | wrk2: achieved (req/s) | wrk2: latency p50 / p99 (ms) | wrk2 CPU (µs/req) | target CPU under wrk2 (% core) | **ratio worker / wrk2** |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    while IFS=$'\t' read -r rate ach _ _ _ p50 p99 _ cpu_us _; do
      read -r _ w2_rps w2_p50 w2_p99 w2_us w2_tpct <"$TMP/wrk2-$rate.result"
      echo "| $rate | $ach | $p50 / $p99 | $cpu_us | $w2_rps | $w2_p50 / $w2_p99 | $w2_us | $w2_tpct | $(awk -v a="$cpu_us" -v b="$w2_us" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }') |"
    done <"$RESULTS"
    echo
    if [ "$best" -gt 0 ]; then
      read -r _ w2_rps _ _ w2_us _ <"$TMP/wrk2-$best.result"
      echo "At the highest sustained rate, $best req/s: worker $best_cpu_us µs/request, wrk2 at that rate $w2_us µs/request" \
           "(achieved $w2_rps req/s): ratio $(awk -v a="$best_cpu_us" -v b="$w2_us" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }')"
    fi
  fi
  if [ "$SYSCALLS" = 1 ]; then
    echo
    echo "Per request (perf stat tracepoints; this mode's CPU figures include perf's overhead):"
    echo
    printf '| event |'; for rate in $(cut -f1 "$RESULTS"); do printf ' worker @ %s |' "$rate"; done; echo ' wrk |'
    printf '|---|'; for rate in $(cut -f1 "$RESULTS"); do printf -- '---:|'; done; echo '---:|'
    while read -r event value; do
      printf '| %s |' "$event"
      for rate in $(cut -f1 "$RESULTS"); do
        printf ' %s |' "$(awk -v e="$event" '{ v = $NF; $NF = ""; sub(/ +$/, ""); if ($0 == e) print v }' "$TMP/rate-$rate/syscalls.txt")"
      done
      echo " $value |"
    done < <(awk '{ v = $NF; $NF = ""; sub(/ +$/, ""); print $0, v }' "$TMP/wrk-syscalls.txt")
  fi
  if [ "$PROFILE" = 1 ]; then
    echo
    echo "Where the worker's CPU went (perf record, self samples by symbol, top 25 per step; whole lists in $TMP/rate-*/profile.txt):"
    for rate in $(cut -f1 "$RESULTS"); do
      echo
      echo "  $rate req/s:"
      head -25 "$TMP/rate-$rate/profile.txt" | sed 's/^/    /'
    done
  fi
  echo
  echo "Worker CPU by thread (s) per step:"
  for rate in $(cut -f1 "$RESULTS"); do
    echo "  $rate req/s: $(head -6 "$TMP/rate-$rate/worker-threads.txt" | awk '{ printf "%s %s; ", $1, $2 }')"
  done
} | tee "$OUT_DIR/summary.md"
