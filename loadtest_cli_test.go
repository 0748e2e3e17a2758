package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/custreg/custreg/loadtest"
)

// TestLoadtestScenarios drives a real sandbox on loopback with every request scenario of
// `custreg loadtest`, a few requests each, and expects each answer the scenario expects: the
// registrations are created (JSON, XML, Customer v2), the user's token lists the accounts, and
// the floods are refused as they should be.
func TestLoadtestScenarios(t *testing.T) {
	base, _ := startSandbox(t, filepath.Join(t.TempDir(), "sb.db"))
	for _, scenario := range loadtest.Scenarios {
		if scenario == "argon2" { // sends nothing; its own package tests it
			continue
		}
		t.Run(scenario, func(t *testing.T) {
			var out bytes.Buffer
			args := []string{"loadtest", "--target", base, "--scenario", scenario, "--count", "4", "--duration", "0", "--json", "--quiet"}
			if err := run(context.Background(), args, env(nil), &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			var rep loadtest.Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%v: %s", err, out.String())
			}
			if rep.Requests != 4 || rep.Expected != 4 || rep.ServerErrs != 0 {
				t.Fatalf("%s: %+v", scenario, rep)
			}
		})
	}
}
