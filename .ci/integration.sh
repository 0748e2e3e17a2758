#!/usr/bin/env bash
# Integrator toolkit checks (issue 7), called by .ci/run after the Go tests; runs alone too:
#
#   bash .ci/integration.sh
#
#  1. Spectral lints openapi/openapi.yaml with .spectral.yaml (errors fail).
#  2. A fresh sandbox server (built binary, temp SQLite, free port on 127.0.0.1) answers the
#     Postman collection run by newman: every assertion must pass.
#  3. The same collection through a Prism proxy that validates every request and response
#     against the spec; any response violation fails (the collection checks Prism's
#     sl-violations header, and this script checks Prism's log).
#  4. Prism is proven to catch violations: against a deliberately wrong copy of the spec the
#     same run must fail, on exactly the requests the wrong copy breaks.
#  5. The official Candescent collections (../shared/official, or $CUSTREG_OFFICIAL_DIR; skipped
#     with a message when absent): their retail folders with newman against a fresh sandbox,
#     checked by .ci/official.js (2xx, 401 after revocation, access tokens, the expected-failure
#     list of .ci/official-collections.json), then the same through a Prism proxy loaded with the
#     official subset spec, where every violation must be a listed defect of the official document.
#  6. /docs in Debian's headless Chromium: Swagger UI renders every operation, Register v4
#     included; screenshots in build/.
#  7. The sandbox's reference registration app (/sample/register) walked in the same Chromium by
#     .ci/sample-check.js: sandbox keys, a field error fixed, the disclosures step, the success
#     page's GUID, nothing typed left in cookies, web storage, the page source or the server's
#     log; screenshots build/sample-*.png.
#
# Node tools are pinned in .ci/tools/package-lock.json and installed once into .cache/npm-tools
# (reinstalled only when the lock file or Node changes). Logs and reports land in build/integration/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n== %s  [%ds]\n' "$*" "$SECONDS"; }
die() { echo "integration: $*" >&2; exit 1; }

tools="$root/.cache/npm-tools"
bin="$tools/node_modules/.bin"
out="$root/build/integration"
export NODE_PATH="$tools/node_modules"

tmp=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
step "Node tools (newman, Prism, Spectral, playwright-core; pinned in .ci/tools)"
command -v node >/dev/null || die "node is required (Node 20)"
stamp="$(cat .ci/tools/package.json .ci/tools/package-lock.json | sha256sum | cut -c1-16) node $(node --version)"
if [ -f "$tools/.stamp" ] && [ "$(cat "$tools/.stamp")" = "$stamp" ] && [ -d "$tools/node_modules" ]; then
  echo "cached in .cache/npm-tools ($stamp)"
else
  mkdir -p "$tools"
  rm -f "$tools/.stamp"
  cp .ci/tools/package.json .ci/tools/package-lock.json "$tools/"
  # No install scripts: none of these tools needs one (the only one in the tree is a telemetry ping).
  npm ci --prefix "$tools" --cache "$root/.cache/npm" --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$stamp" > "$tools/.stamp"
fi
node -e 'const v = n => require(n + "/package.json").version;
  console.log(["newman", "@stoplight/prism-cli", "@stoplight/spectral-cli", "playwright-core"].map(n => n + " " + v(n)).join(", "))'

rm -rf "$out"
mkdir -p "$out"

# ---------------------------------------------------------------------------------------------
step "Spectral lint (openapi/openapi.yaml, ruleset .spectral.yaml)"
"$bin/spectral" lint openapi/openapi.yaml --ruleset .spectral.yaml --fail-severity error \
  || die "Spectral found errors in openapi/openapi.yaml"

# ---------------------------------------------------------------------------------------------
step "sandbox server"
go build -o build/custreg .

# start_sandbox DB LOG: a fresh sandbox server over the SQLite file DB; sets sandbox_url.
start_sandbox() {
  local db=$1 log=$2 server_pid addr
  # Port 0: the kernel picks a free port (no race with other processes); the server logs it.
  build/custreg --sandbox --db "$db" --addr 127.0.0.1:0 --log-level info 2> "$log" &
  pids+=($!)
  server_pid=$!
  sandbox_url=""
  for _ in $(seq 1 150); do
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; die "the server exited"; }
    addr=$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$log" | head -1)
    if [ -n "$addr" ] && curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then
      sandbox_url="http://$addr"
      break
    fi
    sleep 0.2
  done
  [ -n "$sandbox_url" ] || { cat "$log" >&2; die "the server did not become ready in 30 s"; }
  echo "ready at $sandbox_url (database $db)"
}
start_sandbox "$tmp/custreg.db" "$out/server.log"
base=$sandbox_url

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# start_prism SPEC LOG [UPSTREAM]: a Prism proxy in front of the server (default $base); sets prism_url.
start_prism() {
  local spec=$1 log=$2 upstream=${3:-$base} port
  port=$(free_port)
  "$bin/prism" proxy "$spec" "$upstream" --host 127.0.0.1 --port "$port" > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    if grep -q "Prism is listening" "$log"; then
      prism_url="http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; die "Prism exited"; }
    sleep 0.2
  done
  cat "$log" >&2
  die "Prism did not start in 60 s"
}

newman_run() { # newman_run NAME BASE_URL [extra newman args...]
  local name=$1 url=$2
  shift 2
  "$bin/newman" run postman/custreg.postman_collection.json -e postman/sandbox.postman_environment.json \
    --env-var "baseUrl=$url" --timeout-request 30000 --color off \
    --reporters cli,json --reporter-json-export "$out/newman-$name.json" "$@"
}

# ---------------------------------------------------------------------------------------------
step "Postman collection against the sandbox (newman)"
newman_run direct "$base" || die "newman: the collection failed against the sandbox"

# ---------------------------------------------------------------------------------------------
step "Postman collection through the Prism proxy (contract validation)"
# Prism cannot parse XML bodies; .ci/prism-spec.js relaxes only the application/xml body schemas
# (listed below), every status, media type, header, parameter and JSON body is checked as written.
node .ci/prism-spec.js openapi/openapi.yaml "$out/openapi.prism.json"
start_prism "$out/openapi.prism.json" "$out/prism.log"
echo "Prism at $prism_url -> $base"
newman_run prism "$prism_url" --env-var viaPrism=true || die "newman: the collection failed through Prism (see $out/prism.log)"
if grep -n "Violation: response" "$out/prism.log"; then
  die "Prism reported response violations (above)"
fi
echo "Prism request violations (only the error cases that leave the contract on purpose):"
grep "Violation: request" "$out/prism.log" | sed 's/^.*Violation:/  /' || true

# ---------------------------------------------------------------------------------------------
step "Prism catches a broken contract (the same run against a deliberately wrong spec)"
node .ci/prism-spec.js --break openapi/openapi.yaml "$out/openapi.broken.json"
start_prism "$out/openapi.broken.json" "$out/prism-broken.log"
if newman_run broken "$prism_url" --env-var viaPrism=true > "$out/newman-broken.txt" 2>&1; then
  die "newman passed against a wrong spec: Prism validation is not effective (see $out/newman-broken.txt)"
fi
node - "$out/newman-broken.json" <<'EOF' || die "the wrong spec was not caught as expected (see $out/newman-broken.txt)"
// Every failure must be a Prism response check, and every request the wrong spec breaks must fail.
const run = require(process.argv[2]).run;
const failed = run.failures.map(f => `${f.source.name} :: ${f.error.test}`);
const want = [
  'V2 token (client credentials, scoped)',  // TokenV2.expires_in declared integer: a string comes back
  "V2 token from the login's refresh token",
  'V2 token for the error cases',
  'V2 token (client credentials, institution-users:write)',
  'Login: V2 password grant of the Customer v2 user',
  'V2 token for Customer v2 (client credentials, scoped)',
  "Partner: the FI app's V2 token",
  'Partner: exchange the code (access, ID and refresh tokens)',
  'Recovery: V2 token (client credentials, institution-users read and write)',
  'Recovery: the unlocked user logs in again',
  'Recovery: log in with the new password',
  'Accounts: unknown user',                 // 404 removed from listAccountsV1: undeclared status
];
const prismCheck = 'Prism: the response matches openapi.yaml';
const missing = want.filter(name => !failed.includes(`${name} :: ${prismCheck}`));
const unexpected = failed.filter(f => !want.some(name => f === `${name} :: ${prismCheck}`));
console.log('failures against the wrong spec:\n  ' + failed.join('\n  '));
if (missing.length || unexpected.length) {
  console.error('missing: ' + JSON.stringify(missing) + '\nunexpected: ' + JSON.stringify(unexpected));
  process.exit(1);
}
EOF
grep -q "Violation: response.body" "$out/prism-broken.log" || die "Prism logged no response body violation for the wrong spec"
grep -q "Violation: response Unable to match the returned status code" "$out/prism-broken.log" \
  || die "Prism logged no undeclared-status violation for the wrong spec"
echo "caught: the wrong spec's violations fail the run, as they must"

# ---------------------------------------------------------------------------------------------
official=${CUSTREG_OFFICIAL_DIR:-$root/../shared/official}
if [ -d "$official/postman-collections" ] && [ -f "$official/candescent-di-api.subset.yaml" ]; then
  step "official collections against a fresh sandbox (newman, .ci/official.js)"
  start_sandbox "$tmp/official.db" "$out/server-official.log"
  node .ci/official.js "$official" "$sandbox_url" "$out" direct > "$out/official-direct.log" 2>&1 \
    || { cat "$out/official-direct.log" >&2; die "the official collections failed against the sandbox"; }
  tail -1 "$out/official-direct.log"

  step "official collections through Prism with the official subset spec"
  start_sandbox "$tmp/official-prism.db" "$out/server-official-prism.log"
  # The official document's XML bodies get the same string relaxation as ours (Prism cannot parse XML).
  node .ci/prism-spec.js "$official/candescent-di-api.subset.yaml" "$out/official.prism.json" > /dev/null
  start_prism "$out/official.prism.json" "$out/prism-official.log" "$sandbox_url"
  node .ci/official.js "$official" "$prism_url" "$out" prism > "$out/official-prism.log" 2>&1 \
    || { cat "$out/official-prism.log" >&2; die "the official collections failed through Prism (official spec)"; }
  tail -1 "$out/official-prism.log"
else
  step "official collections: SKIPPED, $official not found (set CUSTREG_OFFICIAL_DIR)"
fi

# ---------------------------------------------------------------------------------------------
step "/docs in headless Chromium"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
CHROMIUM=$(command -v chromium) node .ci/docs-check.js "$base" build || die "the /docs page did not render as expected"

# ---------------------------------------------------------------------------------------------
step "the reference registration app (/sample/register) in headless Chromium"
CHROMIUM=$(command -v chromium) node .ci/sample-check.js "$base" build "$out/server.log" || die "the sample registration app check failed"

step "integration checks passed"
