#!/usr/bin/env bash
# Load run for the security review's finding 3: legitimate token issuance and registration
# latency, and the server's memory, while 64 clients send bad client secrets as fast as they can.
# Builds custreg, starts a fresh sandbox on 127.0.0.1 for each setting of --auth-failure-delay,
# measures unloaded, then under attack, and prints a Markdown table for docs/benchmarks.md.
# Loopback only; every run stops by itself. Not part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/custreg" .
port=${PORT:-18181}
base="http://127.0.0.1:$port"
lt() { "$work/custreg" loadtest --target "$base" --quiet --json "$@"; }
field() { python3 -c "import json,sys; r=json.load(sys.stdin); print(r['$1'])"; }
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$server/status"; }
hwm() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$server/status"; }

echo "| --auth-failure-delay | token p50 unloaded → attacked (ms) | registration p50 unloaded → attacked (ms) | bad-secret answers/s | RSS before → peak (MiB) |"
echo "|---|---|---|---|---|"
for delay in ${DELAYS:-0s 500ms}; do
  rm -f "$work"/sb.db*
  "$work/custreg" --sandbox --db "$work/sb.db" --addr "127.0.0.1:$port" --log-level error --auth-failure-delay "$delay" 2>"$work/server.log" &
  server=$!
  for _ in $(seq 50); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  rss0=$(rss)
  tok0=$(lt --scenario token-v2 --rate 50 --workers 4 --duration 8s | field p50_ms)
  reg0=$(lt --scenario register --rate 5 --workers 4 --duration 8s | field p50_ms)
  lt --scenario bad-secret --workers 64 --duration 22s > "$work/attack.json" &
  attack=$!
  sleep 2
  tok1=$(lt --scenario token-v2 --rate 50 --workers 4 --duration 8s | field p50_ms)
  reg1=$(lt --scenario register --rate 5 --workers 4 --duration 8s | field p50_ms)
  wait "$attack"
  bad=$(field throughput_per_s < "$work/attack.json")
  peak=$(hwm)
  printf '| %s | %s → %s | %s → %s | %.0f | %s → %s |\n' "$delay" "$tok0" "$tok1" "$reg0" "$reg1" "$bad" "$rss0" "$peak"
  kill "$server"; wait "$server" 2>/dev/null || true
done
