#!/usr/bin/env bash
# Flood check of issue 17 (docs/benchmarks.md, "Registrations under a flood"): legitimate
# registrations, closed loop, first alone (their ceiling on this machine, now), then while three
# floods of CLIENTS clients each run from other loopback addresses: wrong client secrets
# (127.0.0.2), password grants for unknown users (127.0.0.3) and Register v4 bodies over the size
# limit (127.0.0.4). Each round measures both, so the ratio compares figures taken minutes apart
# on the same (shared, noisy) machine. The server runs with its default limits on a fresh sandbox.
# Prints a Markdown table (and each run's most frequent answers as HTML comments); loopback
# only; every run stops by itself. Not part of the tests. Other work on the machine (a test run,
# a fuzzer) takes the CPU the hashes need: run it on an otherwise idle machine, and check uptime.
#
#   bash bench/flood.sh                 # ROUNDS=3 MEASURE=15s CLIENTS=64 LEGIT=4 by default
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
flood_for=$(( ${measure%s} + 6 ))s

lt() { "$work/custreg" loadtest --target "$base" --quiet --json "$@"; }
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
lt --scenario bad-secret --workers "$clients" --duration 10s --source 127.0.0.2 > /dev/null &
f1=$!
lt --scenario unknown-user --workers "$clients" --duration 10s --source 127.0.0.3 > /dev/null &
f2=$!
lt --scenario oversized-body --workers "$clients" --duration 10s --source 127.0.0.4 > /dev/null &
f3=$!
wait "$f1" "$f2" "$f3"
flood_cpu=$(python3 -c "print(round(($(ticks) - $c0) / $(getconf CLK_TCK) / 10 * 100))")

echo "| round | registrations/s alone → under the floods (ratio) | registration 5xx | registration p50 alone → flooded (ms) | flood answers/s: bad secret, unknown user, oversized | flood 5xx answers | RSS peak (MiB) | load average |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  lt --scenario register --workers "$legit" --duration "$measure" > "$work/alone.json"
  lt --scenario bad-secret --workers "$clients" --duration "$flood_for" --source 127.0.0.2 > "$work/bad.json" &
  f1=$!
  lt --scenario unknown-user --workers "$clients" --duration "$flood_for" --source 127.0.0.3 > "$work/unknown.json" &
  f2=$!
  lt --scenario oversized-body --workers "$clients" --duration "$flood_for" --source 127.0.0.4 > "$work/big.json" &
  f3=$!
  sleep 3
  lt --scenario register --workers "$legit" --duration "$measure" > "$work/flooded.json"
  wait "$f1" "$f2" "$f3"
  t0=$(field "$work/alone.json" throughput_per_s)
  t1=$(field "$work/flooded.json" throughput_per_s)
  e=$(( $(field "$work/alone.json" server_errors) + $(field "$work/flooded.json" server_errors) ))
  fe=$(( $(field "$work/bad.json" server_errors) + $(field "$work/unknown.json" server_errors) + $(field "$work/big.json" server_errors) ))
  printf '| %s | %.1f → %.1f (**%.2f**) | %s | %s → %s | %.0f, %.0f, %.0f | %s | %s | %s |\n' "$round" "$t0" "$t1" \
    "$(python3 -c "print($t1/$t0)")" "$e" "$(field "$work/alone.json" p50_ms)" "$(field "$work/flooded.json" p50_ms)" \
    "$(field "$work/bad.json" throughput_per_s)" "$(field "$work/unknown.json" throughput_per_s)" "$(field "$work/big.json" throughput_per_s)" \
    "$fe" "$(kib VmHWM)" "$(load)"
  for f in alone flooded bad unknown big; do echo "<!-- round $round $f: $(answers "$work/$f.json") -->"; done
done
echo
echo "RSS at start: $rss0 MiB; peak over the whole run: $(kib VmHWM) MiB; the three floods alone took $flood_cpu % of one core of the server"
