#!/usr/bin/env bash
# The benchmark run of issue 16 (docs/benchmarks.md, "One run of bench/run.sh"): builds custreg,
# starts a fresh sandbox on 127.0.0.1 (SQLite), and drives it with `custreg loadtest`:
#   - register at 2, 16 and 64 clients, each between two runs of the bare argon2id hash with the
#     server's parameters at min(clients, cores) goroutines (the `argon2` scenario), so the ratio
#     is to a ceiling measured seconds before and after, on this machine, now;
#   - register-xml, register-v2 and password grants at 2 clients, between argon2id ceilings too;
#   - token-v2, token-v1 and the accounts list at 1 and 16 connections, each between two runs of
#     /healthz at the same, as their ceiling; accounts again at 50 % of its best rate;
#   - a burst of 200 registering clients against the default hashing bound: peak RSS, 5xx.
# With CUSTREG_TEST_POSTGRES_DSN set it does the same (but the burst) on a sandbox on PostgreSQL (the
# database is emptied first: point it at a scratch database). Then it replaces the table between
# the bench/run.sh markers in docs/benchmarks.md with this run's figures (machine, date, commit,
# load average). Loopback only; every run stops by itself; not part of the tests. Run it on an
# otherwise idle machine: other work takes the CPU the hashes need.
#
#   bash bench/run.sh             # MEASURE=15s HASH=6s; about 7 minutes (12 with PostgreSQL)
#   WRITE=0 bash bench/run.sh     # print the table, leave docs/benchmarks.md alone
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server=""
stop_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=""
}
trap 'stop_server; rm -rf "$work"' EXIT
go build -o "$work/custreg" .
port=${PORT:-18183}
base="http://127.0.0.1:$port"
measure=${MEASURE:-15s}
hash_for=${HASH:-6s}
cores=$(nproc)
rows="$work/rows.md"
: >"$rows"

lt() { "$work/custreg" loadtest --target "$base" --quiet --json "$@"; }
field() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }
kib() { awk "/$1/ {print int(\$2/1024)}" "/proc/$server/status"; }

# Capacity, not abuse: the rate limits are off, and (with $queue_all) the hashing queue holds
# every client; the fail-fast bound is measured apart, with the default queue.
queue_all=(--hash-queue 128 --hash-wait 9s)
start_server() { # db [extra flags]
  local db=$1
  shift
  "$work/custreg" --sandbox --db "$db" --addr "127.0.0.1:$port" --log-level error --app-quota none \
    --app-spike-arrest none --token-rate-per-address none "$@" 2>>"$work/server.log" &
  server=$!
  for _ in $(seq 150); do curl -fs "$base/readyz" >/dev/null 2>&1 && return; sleep 0.2; done
  echo "the server did not become ready" >&2
  cat "$work/server.log" >&2
  exit 1
}

# row engine scenario clients ceiling_name ceiling_before ceiling_after report
row() {
  local engine=$1 scenario=$2 clients=$3 cname=$4 c0=$5 c1=$6 rep=$7
  python3 - "$engine" "$scenario" "$clients" "$cname" "$c0" "$c1" "$rep" >>"$rows" <<'EOF'
import json, sys
engine, scenario, clients, cname, c0, c1, rep = sys.argv[1:]
r = json.load(open(rep))
c0, c1 = float(c0), float(c1)
good = lambda k: k in ("200", "201")
ok = sum(v for k, v in r["answers"].items() if good(k)) / r["seconds"] if r["seconds"] else 0
ratio = ok / ((c0 + c1) / 2)
others = sum(v for k, v in r["answers"].items() if not good(k))
spikes = sum(v for k, v in r["answers"].items() if k.endswith(" 92000"))
failed = sum(v for k, v in r["answers"].items() if k[:1] == "5" and not k.endswith(" 92000"))
print(f"| {engine} | {scenario} | {clients} | {ok:.1f} | {cname} {c0:.1f}, {c1:.1f} | **{ratio:.2f}** | "
      f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms | {failed} | {spikes} | {others} |")
EOF
}

ceiling() { # clients -> hashes/s of the bare hash at min(clients, cores)
  local n=$(( $1 < cores ? $1 : cores ))
  "$work/custreg" loadtest --scenario argon2 --workers "$n" --duration "$hash_for" --quiet --json > "$work/argon2.json"
  field "$work/argon2.json" throughput_per_s
}

registrations() { # engine
  local best=0
  for clients in 2 16 64; do
    a=$(ceiling "$clients")
    lt --scenario register --workers "$clients" --duration "$measure" > "$work/reg.json"
    b=$(ceiling "$clients")
    row "$1" register "$clients" argon2id "$a" "$b" "$work/reg.json"
    best=$(python3 -c "print(max($best, $(field "$work/reg.json" throughput_per_s)))")
  done
  # Open loop at 80 % of the best closed-loop rate: latency when the hashes keep up.
  rate=$(python3 -c "print(max(1, int($best * 0.8)))")
  a=$(ceiling 2)
  lt --scenario register --rate "$rate" --workers 64 --duration "$measure" > "$work/reg.json"
  b=$(ceiling 2)
  row "$1" "register at $rate/s (80 % of max)" 64 argon2id "$a" "$b" "$work/reg.json"
}

# The other hash-bound operations, at 2 clients: registrations in XML and through Customer v2,
# and password grants (one hash verification each).
hash_bound() { # engine
  for scenario in register-xml register-v2 password; do
    a=$(ceiling 2)
    lt --scenario "$scenario" --workers 2 --duration "$measure" > "$work/op.json"
    b=$(ceiling 2)
    row "$1" "$scenario" 2 argon2id "$a" "$b" "$work/op.json"
  done
}

# Reads and tokens, each between two /healthz runs at the same connections; then accounts at 50 %
# of the best rate, for its latency below saturation.
reads() { # engine
  local best=0
  for conns in 1 16; do
    lt --scenario healthz --workers "$conns" --duration 5s > "$work/h0.json"
    for scenario in token-v2 token-v1 accounts; do
      lt --scenario "$scenario" --workers "$conns" --duration 10s > "$work/op.json"
      lt --scenario healthz --workers "$conns" --duration 5s > "$work/h1.json"
      row "$1" "$scenario" "$conns" /healthz "$(field "$work/h0.json" throughput_per_s)" "$(field "$work/h1.json" throughput_per_s)" "$work/op.json"
      cp "$work/h1.json" "$work/h0.json"
      if [ "$scenario" = accounts ]; then best=$(python3 -c "print(max($best, $(field "$work/op.json" throughput_per_s)))"); fi
    done
  done
  rate=$(python3 -c "print(max(1, int($best * 0.5)))")
  lt --scenario healthz --workers 16 --duration 5s > "$work/h0.json"
  lt --scenario accounts --rate "$rate" --workers 16 --duration 10s > "$work/op.json"
  lt --scenario healthz --workers 16 --duration 5s > "$work/h1.json"
  row "$1" "accounts at $rate/s (50 % of max)" 16 /healthz "$(field "$work/h0.json" throughput_per_s)" "$(field "$work/h1.json" throughput_per_s)" "$work/op.json"
}

start_server "$work/sb.db" "${queue_all[@]}"
rss0=$(kib VmRSS)
registrations SQLite
hash_bound SQLite
reads SQLite
rss_sqlite=$(kib VmHWM)
stop_server

# A burst of 200 registering clients on a fresh server with the default hashing bound: the peak
# memory, and no 5xx (spike answers expected).
start_server "$work/burst.db"
lt --scenario register --workers 200 --duration "$measure" > "$work/burst.json"
rss_burst=$(kib VmHWM)
burst=$(python3 -c "
import json; r = json.load(open('$work/burst.json'))
failed = sum(v for k, v in r['answers'].items() if k[:1] == '5' and not k.endswith(' 92000'))
print(f\"{failed} 5xx other than the spike arrest, p99 {r['p99_ms']:.0f} ms; \" + ', '.join(f'{k} ×{v}' for k, v in sorted(r['answers'].items(), key=lambda kv: -kv[1])))")
stop_server

# Overload with the default hashing bound (--hash-queue 16, --hash-wait 1s): 64 closed-loop
# clients, more than the hashes serve; the rest get the spike arrest at once or within 1 s.
start_server "$work/sb.db"
a=$(ceiling 64)
lt --scenario register --workers 64 --duration "$measure" > "$work/reg.json"
b=$(ceiling 64)
row SQLite "register, default hashing bound" 64 argon2id "$a" "$b" "$work/reg.json"
overload=$(python3 -c "
import json; r = json.load(open('$work/reg.json'))
print(', '.join(f'{k} ×{v}' for k, v in sorted(r['answers'].items(), key=lambda kv: -kv[1])))")
stop_server

rss_pg=""
if [ -n "${CUSTREG_TEST_POSTGRES_DSN:-}" ]; then
  PGOPTIONS="-c client_min_messages=warning" psql "$CUSTREG_TEST_POSTGRES_DSN" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/oidc.pem" 2>/dev/null
  start_server "$CUSTREG_TEST_POSTGRES_DSN" "${queue_all[@]}" --pii-key "$(head -c 32 /dev/urandom | base64)" --oidc-signing-key "$work/oidc.pem"
  registrations PostgreSQL
  hash_bound PostgreSQL
  reads PostgreSQL
  rss_pg=$(kib VmHWM)
  stop_server
fi

commit=$(git rev-parse --short HEAD)
[ -n "$(git status --porcelain -- . ':!docs/benchmarks.md')" ] && commit="$commit with uncommitted changes"
table="$work/table.md"
{
  echo "Recorded $(date -u +%F) at commit $commit on $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go env GOVERSION);"
  echo "1-minute load average $(cut -d' ' -f1 /proc/loadavg) at the end. Measurements of ${measure}; each ceiling of ${hash_for}."
  echo
  echo "| engine | scenario | clients | 2xx answers/s | ceiling before, after (/s) | ratio | p50 / p99 | 5xx but spike arrest | spike arrests | not 2xx |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  cat "$rows"
  echo
  echo "Server RSS: $rss0 MiB at start, peak $rss_sqlite MiB on SQLite${rss_pg:+, $rss_pg MiB on PostgreSQL}."
  echo "Answers with the default hashing bound: $overload."
  echo "A burst of 200 registering clients for ${measure} (default hashing bound): peak RSS $rss_burst MiB; $burst."
} >"$table"
cat "$table"
if [ "${WRITE:-1}" = 1 ]; then
  python3 - "$table" <<'EOF'
import re, sys
doc = open("docs/benchmarks.md").read()
table = open(sys.argv[1]).read()
begin, end = "<!-- bench/run.sh:begin -->", "<!-- bench/run.sh:end -->"
if begin not in doc:
    sys.exit("docs/benchmarks.md has no bench/run.sh markers")
head, rest = doc.split(begin, 1)
_, tail = rest.split(end, 1)
open("docs/benchmarks.md", "w").write(head + begin + "\n" + table + end + tail)
EOF
  echo "docs/benchmarks.md updated"
fi
