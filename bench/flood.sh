#!/usr/bin/env bash
# Flood check of issue 17 (docs/benchmarks.md, "Registrations under a flood"): legitimate
# registrations, closed loop, alone (their ceiling on this machine, now), then while three
# floods of CLIENTS clients each run from other loopback addresses: wrong client secrets
# (127.0.0.2), password grants for unknown users (127.0.0.3) and Register v4 bodies over the size
# limit (127.0.0.4), then alone again. The ratio compares the flooded run with the mean of the
# two beside it, taken seconds apart on the same (shared, noisy) machine. The server runs with its default limits on a fresh sandbox.
# Prints a Markdown table (and each run's most frequent answers as HTML comments); loopback
# only; every run stops by itself. Not part of the tests. Other work on the machine (a test run,
# a fuzzer) takes the CPU the hashes need: run it on an otherwise idle machine, and check uptime.
# The flood generators stand for clients on other machines: they run at FLOOD_NICE (19) so that
# their own CPU, which a real server would not share, does not come out of the server's; their
# answer rates are in the table, so a starved flood shows. FLOOD_NICE=0 runs them as equals.
#
#   bash bench/flood.sh       # ROUNDS=3 MEASURE=15s CLIENTS=64 LEGIT=4 FLOOD_NICE=19 by default
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/custreg" .
port=${PORT:-18182}
base="http://127.0.0.1:$port"
rounds=${ROUNDS:-3}
measure=${MEASURE:-15s}
clients=${CLIENTS:-64}
legit=${LEGIT:-4}
flood_nice=${FLOOD_NICE:-19}
flood_for=$(( ${measure%s} + 6 ))s

lt() { "$work/custreg" loadtest --target "$base" --quiet --json "$@"; }
flood() { nice -n "$flood_nice" "$work/custreg" loadtest --target "$base" --quiet --json "$@"; }
field() { python3 -c "import json,sys; r=json.load(open('$1')); print(r['$2'])"; }
answers() { python3 -c "
import json; r=json.load(open('$1'))
print(', '.join(f'{k} ×{v}' for k, v in sorted(r['answers'].items(), key=lambda kv: -kv[1])[:3]))"; }
kib() { awk "/$1/ {print int(\$2/1024)}" "/proc/$server/status"; }
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }   # the server's CPU time, in clock ticks
load() { cut -d' ' -f1 /proc/loadavg; }

"$work/custreg" --sandbox --db "$work/sb.db" --addr "127.0.0.1:$port" --log-level error 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
rss0=$(kib VmRSS)

# What the floods cost the server on their own: its CPU share while only they run.
c0=$(ticks)
flood --scenario bad-secret --workers "$clients" --duration 10s --source 127.0.0.2 > /dev/null &
f1=$!
flood --scenario unknown-user --workers "$clients" --duration 10s --source 127.0.0.3 > /dev/null &
f2=$!
flood --scenario oversized-body --workers "$clients" --duration 10s --source 127.0.0.4 > /dev/null &
f3=$!
wait "$f1" "$f2" "$f3"
flood_cpu=$(python3 -c "print(round(($(ticks) - $c0) / $(getconf CLK_TCK) / 10 * 100))")

echo "| round | registrations/s alone before, after → under the floods (ratio to their mean) | registration 5xx | registration p50 alone → flooded (ms) | flood answers/s: bad secret, unknown user, oversized | flood 5xx answers | RSS peak (MiB) | load average |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  lt --scenario register --workers "$legit" --duration "$measure" > "$work/before.json"
  flood --scenario bad-secret --workers "$clients" --duration "$flood_for" --source 127.0.0.2 > "$work/bad.json" &
  f1=$!
  flood --scenario unknown-user --workers "$clients" --duration "$flood_for" --source 127.0.0.3 > "$work/unknown.json" &
  f2=$!
  flood --scenario oversized-body --workers "$clients" --duration "$flood_for" --source 127.0.0.4 > "$work/big.json" &
  f3=$!
  sleep 3
  lt --scenario register --workers "$legit" --duration "$measure" > "$work/flooded.json"
  wait "$f1" "$f2" "$f3"
  # Alone again: the database grows by every registration, and the machine's speed drifts, so
  # the flooded run is compared with the mean of the runs on either side of it.
  lt --scenario register --workers "$legit" --duration "$measure" > "$work/after.json"
  ta=$(field "$work/before.json" throughput_per_s)
  tb=$(field "$work/after.json" throughput_per_s)
  t1=$(field "$work/flooded.json" throughput_per_s)
  e=$(( $(field "$work/before.json" server_errors) + $(field "$work/flooded.json" server_errors) + $(field "$work/after.json" server_errors) ))
  fe=$(( $(field "$work/bad.json" server_errors) + $(field "$work/unknown.json" server_errors) + $(field "$work/big.json" server_errors) ))
  printf '| %s | %.1f, %.1f → %.1f (**%.2f**) | %s | %.0f → %.0f | %.0f, %.0f, %.0f | %s | %s | %s |\n' "$round" "$ta" "$tb" "$t1" \
    "$(python3 -c "print($t1 / (($ta + $tb) / 2))")" "$e" "$(field "$work/before.json" p50_ms)" "$(field "$work/flooded.json" p50_ms)" \
    "$(field "$work/bad.json" throughput_per_s)" "$(field "$work/unknown.json" throughput_per_s)" "$(field "$work/big.json" throughput_per_s)" \
    "$fe" "$(kib VmHWM)" "$(load)"
  for f in before flooded after bad unknown big; do echo "<!-- round $round $f: $(answers "$work/$f.json") -->"; done
done
echo
echo "RSS at start: $rss0 MiB; peak over the whole run: $(kib VmHWM) MiB; the three floods alone took $flood_cpu % of one core of the server"
