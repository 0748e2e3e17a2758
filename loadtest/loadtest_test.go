package loadtest

import (
	"context"
	"testing"
)

// The argon2 scenario hashes with the server's parameters, in process, and counts every hash.
func TestArgon2ScenarioCountsHashes(t *testing.T) {
	rep, err := Run(context.Background(), Config{Scenario: "argon2", Workers: 2, Count: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 3 || rep.Answers["hash"] != 3 || rep.Throughput <= 0 || rep.P50ms <= 0 || rep.MaxMs < rep.P50ms {
		t.Fatalf("report: %+v", rep)
	}
}
