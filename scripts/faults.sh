#!/usr/bin/env bash
# Runs the fault tests against real processes and real databases, ROUNDS times (default 1):
#   - SIGKILL in the middle of a registration load, then a restart on the same database
#     (TestKillDuringRegistrationLoad: the built binary on a SQLite file, and on PostgreSQL when
#     CUSTREG_TEST_POSTGRES_DSN is set);
#   - a private PostgreSQL cluster (started in a temporary directory, never the shared server)
#     frozen, stopped and restarted under traffic, and connections left over by a freeze;
#   - locks held past the database budget, a registration cut off by its deadline, an idle
#     transaction, on SQLite and PostgreSQL.
# The fast ones also run in `go test ./...` (and so in .ci/run); this script runs them alone,
# verbosely and as often as asked:  scripts/faults.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
for i in $(seq "$rounds"); do
  echo "== round $i of $rounds"
  go test -count=1 -v -run '^TestKillDuringRegistrationLoad$' .
  go test -count=1 -v -run '^(TestFrozenPostgresAnswersQuicklyAndRecovers|TestRestartedPostgresIsUsedAgainAtOnce|TestLockedDatabaseAnswersUnavailableWithinTheBudget|TestRegistrationCutOffDoesNotCommitLater)$' ./handlers
  go test -count=1 -v -run '^(TestFrozenServerAnswersWithinTheBudgetAndRecovers|TestServerRestartIsUnavailableAndRecovers|TestLockedSQLiteAnswersWithinTheBudget|TestLockedPostgresTableAnswersWithinTheBudget|TestIdleTransactionEndsWithinTheBudget)$' ./db
done 2>&1 | grep -E '^(=== RUN|--- |ok|FAIL|PASS|panic)|_test\.go:'
