#!/usr/bin/env bash
# Runs the fuzz targets with count budgets (-fuzztime Nx). Never a time budget: Go 1.26's fuzz
# coordinator can fail at a time deadline with "context deadline exceeded" (golang/go#75804).
#
#   scripts/fuzz.sh                    every target, one short round each (a smoke run: ~5 minutes)
#   scripts/fuzz.sh -m 10              every target for at least 10 minutes (rounds until then)
#   scripts/fuzz.sh -m 2 'HTTP|Decode' only the targets matching the pattern
#   scripts/fuzz.sh -m 10 -j 4 -p 1    four targets at a time, one worker each (the campaign
#                                      in docs/fuzzing.md: 29 targets in about 80 minutes)
#
# Options: -m MINUTES (default 0: one round), -r SCALE (of a round's executions: default 0.1,
# with -m 1), -p WORKERS per target (default: all cores), -j TARGETS at a time (default 1). With CUSTREG_TEST_POSTGRES_DSN set, the HTTP targets and the
# provisioning file target also run every input on PostgreSQL: point it at a scratch database.
# A round's failing input is written to the target's testdata/fuzz directory by go test; the
# script stops the target, prints the failure and exits non-zero at the end. Logs and the
# summary go to build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=0
scale=
workers=$(nproc)
jobs=1
while getopts "m:r:p:j:" opt; do
  case $opt in
    m) minutes=$OPTARG ;;
    r) scale=$OPTARG ;;
    p) workers=$OPTARG ;;
    j) jobs=$OPTARG ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
filter=${1:-.}
[ -z "$scale" ] && { [ "$minutes" = 0 ] && scale=0.1 || scale=1; }

# package, target, executions in one round: about a minute with 2 workers on the 2-core
# machine the campaign in docs/fuzzing.md ran on (the rate falls as the corpus grows).
targets="
./rules FuzzIdentity 3000000
./rules FuzzContact 2000000
./rules FuzzAddress 2000000
./rules FuzzCheckPassword 2000000
./rules FuzzNetwork 1000000
./rules FuzzSafeText 1000000
./rules FuzzCheckUsername 3000000
./secure FuzzParsePHC 1000000
./secure FuzzParseKey 2000000
./secure FuzzStoredSecrets 500000
./db FuzzParseProvisionFile 400000
./xmlcodec FuzzDecode 800000
./odata FuzzParse 2000000
./odata FuzzParseExpand 2000000
./limits FuzzParseRate 3000000
./handlers FuzzNegotiation 150000
./handlers FuzzCanonicalPath 200000
./handlers FuzzActionRouter 200000
./handlers FuzzClientIP 150000
./handlers FuzzHygieneText 60000
./handlers FuzzDecodeRegistration 200000
./handlers FuzzDecodeCustomerV2 200000
./handlers FuzzCheckDefinition 200000
./handlers FuzzHTTP 60000
./handlers FuzzHTTPRegisterV4 50000
./handlers FuzzHTTPCustomerV2 60000
./handlers FuzzHTTPTokenForms 60000
./handlers FuzzHTTPDisclosures 60000
./handlers FuzzHTTPAliases 80000
"

logdir=build/fuzz
mkdir -p "$logdir"
summary="$logdir/summary.txt"
: >"$summary"
db="SQLite"
[ -n "${CUSTREG_TEST_POSTGRES_DSN:-}" ] && db="SQLite and PostgreSQL"
printf 'fuzz: %s target(s) at a time, %s worker(s) each, at least %s minute(s) per target (0: one round), round scale %s; databases: %s; %s, %s cores, Go %s\n' \
  "$jobs" "$workers" "$minutes" "$scale" "$db" "$(date -u +%FT%TZ)" "$(nproc)" "$(go env GOVERSION)" | tee -a "$summary"

# run_target fuzzes one target for its rounds and prints its summary line (and its failure).
run_target() {
  local pkg=$1 target=$2 count=$3 n log start rounds=0 execs=0 status=ok elapsed line
  n=$(awk -v c="$count" -v s="$scale" 'BEGIN { n = int(c * s); if (n < 1000) n = 1000; print n }')
  log="$logdir/$target.log"
  : >"$log"
  start=$(date +%s)
  while :; do
    rounds=$((rounds + 1))
    if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "${n}x" -parallel "$workers" >>"$log" 2>&1; then
      status=FAILED
      break
    fi
    execs=$((execs + n))
    elapsed=$(( $(date +%s) - start ))
    [ "$elapsed" -ge $((minutes * 60)) ] && break
  done
  elapsed=$(( $(date +%s) - start ))
  line=$(printf '%-24s %-10s %7ss %4s round(s) %12s execs  %s' "$target" "$pkg" "$elapsed" "$rounds" "$execs" "$status")
  echo "$line"
  if [ "$status" != ok ]; then
    grep -E -- "--- FAIL|Failing input|_test.go:[0-9]+" "$log" | head -20 | sed 's/^/    /'
    return 1
  fi
}

# The selected targets, dealt round-robin to $jobs lanes that run side by side.
selected=$(while read -r pkg target count; do
  [ -z "$pkg" ] && continue
  echo "$target" | grep -Eq -- "$filter" && echo "$pkg $target $count"
done <<<"$targets")
lane() {
  local k=$1 i=0 failed=0
  while read -r pkg target count; do
    [ -z "$pkg" ] && continue
    if [ $((i % jobs)) -eq "$k" ]; then
      run_target "$pkg" "$target" "$count" | tee -a "$logdir/lane.$k.txt"
      [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
    fi
    i=$((i + 1))
  done <<<"$selected"
  return "$failed"
}
failed=0
pids=()
for ((k = 0; k < jobs; k++)); do
  : >"$logdir/lane.$k.txt"
  lane "$k" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
cat "$logdir"/lane.*.txt >>"$summary"
rm -f "$logdir"/lane.*.txt

[ "$failed" -eq 0 ] && echo "fuzz: no failures" | tee -a "$summary"
exit "$failed"
