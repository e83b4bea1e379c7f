#!/usr/bin/env bash
# `make bench`: the redirect's cost, tail and durability (issue 15; the
# design's quality bars).
#
# Builds bin/tally, makes PostgreSQL available (scripts/pg-setup.sh), creates
# a fresh database tally_bench, starts `tally serve` on it and the bare
# net/http reference (bench/barehttp) beside it, all on 127.0.0.1, then:
#   (a) saturated: wrk, 64 and 256 connections, tally (durable), tally-async,
#       bare and bare-hold (bare holding each answer for a group commit as
#       long as Tally's were) in turn, with each process's CPU time and
#       PostgreSQL's;
#   (b) constant rate: vegeta, 5,000 req/s for 60 s (tally, then bare);
#   (c) ordinary load: vegeta, 1,000 req/s for 60 s (tally, then bare), with
#       CPU per request of Tally and of PostgreSQL;
#   after each run: click rows added == 302s answered;
#   (d) crash: vegeta at 5,000 req/s, `kill -9` tally mid-run, restart it,
#       rows added >= 302s answered.
# Writes the section "Redirect cost, tail and durability (issue 15)" of
# BENCHMARKS.md with every bar computed (pass/fail), and prints the checks.
# Raw outputs stay in $BENCH_OUT (a temp dir by default); vegeta's results
# are written to memory (/dev/shm) during the runs and moved there after.
#
# Knobs (environment): BENCH_SAT_DURATION (20s), BENCH_CONNS ("64 256"),
# BENCH_RATE (5000), BENCH_RATE_DURATION (60s), BENCH_LOW_RATE (1000),
# BENCH_LOW_DURATION (60s), BENCH_CRASH_DURATION (20s),
# BENCH_CRASH_AFTER (10, seconds), BENCH_TALLY_PORT (18090),
# BENCH_BARE_PORT (18091), BENCH_MD (BENCHMARKS.md; "-" to skip),
# BENCH_QUIET_WAIT (90: seconds to wait, before each run, for the machine to
# be at least 85% idle; the idle share found is reported).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
SAT_DURATION="${BENCH_SAT_DURATION:-20s}"
CONNS="${BENCH_CONNS:-64 256}"
RATE="${BENCH_RATE:-5000}"
RATE_DURATION="${BENCH_RATE_DURATION:-60s}"
LOW_RATE="${BENCH_LOW_RATE:-1000}"
LOW_DURATION="${BENCH_LOW_DURATION:-60s}"
CRASH_DURATION="${BENCH_CRASH_DURATION:-20s}"
CRASH_AFTER="${BENCH_CRASH_AFTER:-10}"
TALLY_PORT="${BENCH_TALLY_PORT:-18090}"
BARE_PORT="${BENCH_BARE_PORT:-18091}"
ASYNC_PORT="${BENCH_ASYNC_PORT:-18092}"
HOLD_PORT="${BENCH_HOLD_PORT:-18093}"
MD="${BENCH_MD:-BENCHMARKS.md}"
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")}"
mkdir -p "$OUT/bin"
OUT="$(cd "$OUT" && pwd)" # absolute: the bench tools are built from bench/ (their own module)
# vegeta records every answer's headers, about 1 KB a request (300 MB for a
# minute at 5,000/s). Written to the disk PostgreSQL's WAL is on, the
# kernel flushes them in bursts of 150 MB every 30 s, and each burst held a
# WAL flush for 50-120 ms: the generator's own tail, not the server's.
RESULTS="$OUT"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	RESULTS="$(mktemp -d /dev/shm/tally-bench-results.XXXXXX)"
fi
ADMIN_TOKEN="bench-admin-$RANDOM$RANDOM"
TALLY="http://127.0.0.1:$TALLY_PORT"
BARE="http://127.0.0.1:$BARE_PORT"
ASYNC="http://127.0.0.1:$ASYNC_PORT"
HOLD="http://127.0.0.1:$HOLD_PORT"
START_TS=$(date +%s)

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }

pids=()
tally_pid=""
async_pid=""
hold_pid=""
cleanup() {
	for p in "${pids[@]}" $tally_pid $async_pid $hold_pid; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	[ "$RESULTS" = "$OUT" ] || rm -rf "$RESULTS"
}
trap cleanup EXIT

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------- tools
if ! command -v wrk >/dev/null 2>&1; then
	log "installing wrk"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2 || true
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >&2
fi
command -v curl >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y curl >&2

log "building bin/tally and the bench tools"
CGO_ENABLED=0 go build -o bin/tally ./cmd/tally
CGO_ENABLED=0 go -C bench build -o "$OUT/bin/barehttp" ./barehttp
CGO_ENABLED=0 go -C bench build -o "$OUT/bin/benchctl" ./benchctl
CGO_ENABLED=0 go -C bench build -o "$OUT/bin/vegeta" github.com/tsenart/vegeta/v12 # = cd bench && go tool vegeta
VEGETA="$OUT/bin/vegeta"
BENCHCTL="$OUT/bin/benchctl"

# ---------------------------------------------------------------- database
log "PostgreSQL"
PG_URL="$(bash scripts/pg-setup.sh)"
DB_URL="${PG_URL/\/postgres\?//tally_bench?}"
[ "$DB_URL" != "$PG_URL" ] || die "unexpected URL from pg-setup.sh: $PG_URL"
psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c 'DROP DATABASE IF EXISTS tally_bench WITH (FORCE)'
psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c 'CREATE DATABASE tally_bench'
psql -X -tA "$DB_URL" -c "SELECT 'synchronous_commit=' || current_setting('synchronous_commit') || ' fsync=' || current_setting('fsync')" >"$OUT/pg-settings.txt"
case "$(cat "$OUT/pg-settings.txt")" in
*"synchronous_commit=on fsync=on"*) ;;
*) echo "WARNING: PostgreSQL is not durable here: $(cat "$OUT/pg-settings.txt")" >&2 ;;
esac

# ---------------------------------------------------------------- servers
start_tally() {
	env TALLY_ADDR="127.0.0.1:$TALLY_PORT" TALLY_PUBLIC_URL="$TALLY" TALLY_DATABASE_URL="$DB_URL" \
		TALLY_ADMIN_TOKEN="$ADMIN_TOKEN" TALLY_LOG_LEVEL=warn \
		"$ROOT/bin/tally" serve >>"$OUT/tally.log" 2>&1 &
	tally_pid=$!
	for _ in $(seq 1 100); do
		if curl -fsS "$TALLY/readyz" >/dev/null 2>&1; then return 0; fi
		kill -0 "$tally_pid" 2>/dev/null || { cat "$OUT/tally.log" >&2; die "tally exited"; }
		sleep 0.1
	done
	die "tally not ready after 10 s"
}

rows() { "$BENCHCTL" rows -db "$DB_URL" -settle; }

log "starting tally on $TALLY (database tally_bench)"
start_tally
"$BENCHCTL" seed -url "$TALLY" -admin "$ADMIN_TOKEN" -partners 10 -links 100 -keys "$OUT/keys.txt" >&2
KEY1="$(head -n 1 "$OUT/keys.txt")"
UA='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

# Make the bare reply the same size as a real one.
curl -sS -o /dev/null -D "$OUT/sample-redirect.txt" -A "$UA" "$TALLY/r/$KEY1"
LOCATION="$(tr -d '\r' <"$OUT/sample-redirect.txt" | sed -n 's/^[Ll]ocation: //p')"
COOKIE_VALUE="$(tr -d '\r' <"$OUT/sample-redirect.txt" | sed -n 's/^[Ss]et-[Cc]ookie: tally_ref=\([^;]*\);.*/\1/p')"
[ -n "$LOCATION" ] && [ -n "$COOKIE_VALUE" ] || { cat "$OUT/sample-redirect.txt" >&2; die "tally's redirect has no Location or cookie"; }
RESP_BYTES="$(wc -c <"$OUT/sample-redirect.txt")"

"$OUT/bin/barehttp" -addr "127.0.0.1:$BARE_PORT" -location-len "${#LOCATION}" -token-len "${#COOKIE_VALUE}" \
	-destination "https://shop.example.com/pricing?plan=pro" >"$OUT/bare.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
	curl -s -o /dev/null "$BARE/r/x" && break
	sleep 0.1
done
curl -sS -o /dev/null -D "$OUT/sample-bare.txt" -A "$UA" "$BARE/r/$KEY1"

# A diagnostic, not the acceptance figure: the same server with
# TALLY_CLICK_MODE=async (answers before the commit), on the same database,
# separates what the wait for the commit costs from Tally's own CPU per request.
env TALLY_ADDR="127.0.0.1:$ASYNC_PORT" TALLY_PUBLIC_URL="$TALLY" TALLY_DATABASE_URL="$DB_URL" \
	TALLY_ADMIN_TOKEN="$ADMIN_TOKEN" TALLY_LOG_LEVEL=warn TALLY_CLICK_MODE=async \
	"$ROOT/bin/tally" serve >>"$OUT/tally-async.log" 2>&1 &
async_pid=$!
for _ in $(seq 1 100); do
	curl -fsS "$ASYNC/readyz" >/dev/null 2>&1 && break
	sleep 0.1
done
BARE_BYTES="$(wc -c <"$OUT/sample-bare.txt")"
{
	echo "location_len=${#LOCATION}"
	echo "cookie_len=${#COOKIE_VALUE}"
	echo "tally_header_bytes=$RESP_BYTES"
	echo "bare_header_bytes=$BARE_BYTES"
} >"$OUT/sizes.env"

# ---------------------------------------------------------------- machine
{
	echo "nproc=$(nproc)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel=$(uname -sr)"
	echo "go=$(go version | awk '{print $3, $4}')"
	echo "postgres=$(psql -X -tA "$DB_URL" -c 'SHOW server_version')"
	echo "pg_settings=$(cat "$OUT/pg-settings.txt")"
	echo "wrk=$(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}')"
	echo "vegeta=v12.13.0 ($(go version | awk '{print $3}'))"
} >"$OUT/machine.env"
cat "$OUT/machine.env" >&2

# machine_busy: busy CPU ticks of the whole machine so far (all CPUs).
machine_busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# wait_quiet: other work on this machine skews every figure; wait (bounded)
# until it is mostly idle, and record what it was.
wait_quiet() {
	local deadline=$(($(date +%s) + ${BENCH_QUIET_WAIT:-90})) b0 b1 idle
	while :; do
		b0=$(machine_busy)
		sleep 2
		b1=$(machine_busy)
		idle=$((100 - (b1 - b0) / ($(nproc) * 2)))
		if [ "$idle" -ge 85 ] || [ "$(date +%s)" -ge "$deadline" ]; then
			echo "$idle"
			return
		fi
		echo "bench: machine only ${idle}% idle; waiting for it to calm down" >&2
	done
}

# flush_disk: write out what earlier runs left dirty (PostgreSQL's buffers,
# with a checkpoint, and the kernel's page cache), so that no run's WAL
# flushes queue behind the writes of the run before it (the count of rows
# and autovacuum's pass over the clicks dirty every page they touch).
flush_disk() {
	psql -X -q "$DB_URL" -c CHECKPOINT >&2 || echo "bench: CHECKPOINT refused; the run starts without one" >&2
	sync
}

# cpu_ticks PID...: user+system CPU ticks used so far by those processes.
cpu_ticks() {
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
pg_pids() { pgrep -d ' ' -u postgres postgres || true; }

# ---------------------------------------------------------------- (a) saturated
log "warm-up (3 s each)"
wrk -t2 -c64 -d3s -s bench/redirect.lua "$TALLY" -- "$OUT/keys.txt" >/dev/null
wrk -t2 -c64 -d3s -s bench/redirect.lua "$BARE" -- "$OUT/keys.txt" >/dev/null
wrk -t2 -c64 -d3s -s bench/redirect.lua "$ASYNC" -- "$OUT/keys.txt" >/dev/null
target_pid() {
	case "$1" in
	tally) echo "$tally_pid" ;;
	tally-async) echo "$async_pid" ;;
	bare) echo "${pids[0]}" ;;
	bare-hold) echo "$hold_pid" ;;
	esac
}

# commit_seconds: the sum and count of tally's batch commit times so far.
commit_seconds() {
	curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$TALLY/metrics" |
		awk '$1 == "tally_click_commit_seconds_sum" {s = $2} $1 == "tally_click_commit_seconds_count" {n = $2} END {print s + 0, n + 0}'
}

# start_hold US: the bare server, holding each answer for a group commit of
# US µs (the mean of tally's in the run just before).
start_hold() {
	"$OUT/bin/barehttp" -addr "127.0.0.1:$HOLD_PORT" -location-len "${#LOCATION}" -token-len "${#COOKIE_VALUE}" \
		-destination "https://shop.example.com/pricing?plan=pro" -hold "${1}us" >>"$OUT/bare-hold.log" 2>&1 &
	hold_pid=$!
	for _ in $(seq 1 50); do
		curl -fsS -o /dev/null "$HOLD/r/$KEY1" 2>/dev/null && break
		sleep 0.1
	done
	wrk -t2 -c64 -d3s -s bench/redirect.lua "$HOLD" -- "$OUT/keys.txt" >/dev/null
}

: >"$OUT/facts.env"
for c in $CONNS; do
	for target in tally tally-async bare bare-hold; do
		url="$TALLY"
		[ "$target" = bare ] && url="$BARE"
		[ "$target" = tally-async ] && url="$ASYNC"
		if [ "$target" = bare-hold ]; then
			url="$HOLD"
			start_hold "$hold_us"
		fi
		before="$(rows)"
		flush_disk
		idle="$(wait_quiet)"
		pgp="$(pg_pids)"
		m0=$(machine_busy)
		t0_srv=$(cpu_ticks "$(target_pid "$target")")
		t0_pg=$(cpu_ticks $pgp)
		[ "$target" = tally ] && read -r cs0 cn0 < <(commit_seconds)
		log "saturated: $target, $c connections, $SAT_DURATION"
		wrk -t2 -c"$c" -d"$SAT_DURATION" --latency -s bench/redirect.lua "$url" -- "$OUT/keys.txt" | tee "$OUT/wrk-$target-c$c.txt" >&2
		t1_srv=$(cpu_ticks "$(target_pid "$target")")
		t1_pg=$(cpu_ticks $pgp)
		m1=$(machine_busy)
		after="$(rows)"
		{
			echo "wrk.$target.c$c.rows=$((after - before))"
			echo "wrk.$target.c$c.server_cpu_ticks=$((t1_srv - t0_srv))"
			echo "wrk.$target.c$c.pg_cpu_ticks=$((t1_pg - t0_pg))"
			echo "wrk.$target.c$c.machine_cpu_ticks=$((m1 - m0))"
			echo "wrk.$target.c$c.idle_before=$idle"
		} >>"$OUT/facts.env"
		if [ "$target" = tally ]; then
			read -r cs1 cn1 < <(commit_seconds)
			hold_us=$(awk -v s0="$cs0" -v n0="$cn0" -v s1="$cs1" -v n1="$cn1" 'BEGIN {n = n1 - n0; printf "%d", (n > 0 ? (s1 - s0) / n * 1e6 : 1000)}')
			echo "wrk.bare-hold.c$c.hold_us=$hold_us" >>"$OUT/facts.env"
		fi
		if [ "$target" = bare-hold ]; then
			kill "$hold_pid" 2>/dev/null || true
			wait "$hold_pid" 2>/dev/null || true
			hold_pid=""
		fi
	done
done

kill "$async_pid" 2>/dev/null || true
wait "$async_pid" 2>/dev/null || true
async_pid=""

# ---------------------------------------------------------------- (b) constant rate
ua_list=(
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
make_targets() { # base-url file
	local i=0 key
	: >"$2"
	while read -r key; do
		[ -n "$key" ] || continue
		printf 'GET %s/r/%s\nUser-Agent: %s\nAccept: text/html\n\n' "$1" "$key" "${ua_list[$((i % ${#ua_list[@]}))]}" >>"$2"
		i=$((i + 1))
	done <"$OUT/keys.txt"
}
make_targets "$TALLY" "$OUT/targets-tally.txt"
make_targets "$BARE" "$OUT/targets-bare.txt"

# constant_run NAME RATE DURATION: vegeta at RATE against tally, then bare,
# recording rows added and the CPU time of the server and of PostgreSQL.
constant_run() {
	local name=$1 rate=$2 duration=$3 target idle before after pgp t0_srv t1_srv t0_pg t1_pg
	for target in tally bare; do
		before="$(rows)"
		flush_disk
		idle="$(wait_quiet)"
		pgp="$(pg_pids)"
		t0_srv=$(cpu_ticks "$(target_pid "$target")")
		t0_pg=$(cpu_ticks $pgp)
		log "constant rate: $target, $rate/s for $duration"
		"$VEGETA" attack -rate "$rate/s" -duration "$duration" -redirects -1 -timeout 10s \
			-targets "$OUT/targets-$target.txt" -output "$RESULTS/vegeta-$name-$target.bin"
		t1_srv=$(cpu_ticks "$(target_pid "$target")")
		t1_pg=$(cpu_ticks $pgp)
		"$VEGETA" report "$RESULTS/vegeta-$name-$target.bin" | tee "$OUT/vegeta-$name-$target.txt" >&2
		after="$(rows)"
		{
			echo "vegeta.$name.$target.idle_before=$idle"
			echo "vegeta.$name.$target.rows=$((after - before))"
			echo "vegeta.$name.$target.server_cpu_ticks=$((t1_srv - t0_srv))"
			echo "vegeta.$name.$target.pg_cpu_ticks=$((t1_pg - t0_pg))"
		} >>"$OUT/facts.env"
	done
}
constant_run rate "$RATE" "$RATE_DURATION"
constant_run low "$LOW_RATE" "$LOW_DURATION"

# ---------------------------------------------------------------- (d) crash
before="$(rows)"
flush_disk
idle="$(wait_quiet)"
echo "crash.idle_before=$idle" >>"$OUT/facts.env"
log "crash run: $RATE/s for $CRASH_DURATION, kill -9 tally after ${CRASH_AFTER}s"
"$VEGETA" attack -rate "$RATE/s" -duration "$CRASH_DURATION" -redirects -1 -timeout 5s \
	-targets "$OUT/targets-tally.txt" -output "$RESULTS/vegeta-crash.bin" &
vpid=$!
sleep "$CRASH_AFTER"
kill -9 "$tally_pid"
wait "$tally_pid" 2>/dev/null || true
echo "killed tally (pid $tally_pid) with SIGKILL at $(date +%T.%N)" >&2
tally_pid=""
wait "$vpid"
"$VEGETA" report "$RESULTS/vegeta-crash.bin" | tee "$OUT/vegeta-crash.txt" >&2
log "restarting tally"
start_tally
after="$(rows)"
echo "crash.rows=$((after - before))" >>"$OUT/facts.env"
echo "total.rows=$after" >>"$OUT/facts.env"

# ---------------------------------------------------------------- report
[ "$RESULTS" = "$OUT" ] || mv "$RESULTS"/*.bin "$OUT"/
echo "elapsed_s=$(($(date +%s) - START_TS))" >>"$OUT/facts.env"
echo "rate=$RATE" >>"$OUT/facts.env"
echo "sat_duration=$SAT_DURATION" >>"$OUT/facts.env"
echo "rate_duration=$RATE_DURATION" >>"$OUT/facts.env"
echo "low_rate=$LOW_RATE" >>"$OUT/facts.env"
echo "low_duration=$LOW_DURATION" >>"$OUT/facts.env"
echo "crash_duration=$CRASH_DURATION" >>"$OUT/facts.env"
echo "crash_after=$CRASH_AFTER" >>"$OUT/facts.env"
echo "conns=$CONNS" >>"$OUT/facts.env"
cat "$OUT/facts.env" >&2
"$BENCHCTL" vegeta -rate "$RATE" "$OUT/vegeta-rate-tally.bin" "$OUT/vegeta-rate-bare.bin" "$OUT/vegeta-crash.bin" >&2
"$BENCHCTL" vegeta -rate "$LOW_RATE" "$OUT/vegeta-low-tally.bin" "$OUT/vegeta-low-bare.bin" >&2
if [ "$MD" != "-" ]; then
	"$BENCHCTL" report -dir "$OUT" -md "$MD"
	echo "bench: wrote $MD (raw outputs in $OUT)" >&2
fi
"$BENCHCTL" report -dir "$OUT" -check
