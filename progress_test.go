package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLineProgress: off a terminal, progress is a plain line every progressEvery with count,
// percentage, rate and time left, and a closing line; work that ends sooner writes nothing.
func TestLineProgress(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	p := &lineProgress{w: &out, label: "rekey", unit: "rows", now: func() time.Time { return clock }}
	p.Total(100)
	for range 10 {
		clock = clock.Add(time.Second) // 10 rows in 10 s at 1 row/s
		p.Add(1)
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || lines[0] != "rekey: 5/100 rows (5%), 1 rows/s, about 1m35s left" ||
		lines[1] != "rekey: 10/100 rows (10%), 1 rows/s, about 1m30s left" || lines[2] != "rekey: 10 rows in 10s" {
		t.Errorf("progress lines:\n%s", out.String())
	}

	out.Reset()
	quick := &lineProgress{w: &out, label: "provision", unit: "records", now: time.Now}
	quick.Total(3)
	quick.Add(3)
	quick.Done()
	if out.Len() != 0 {
		t.Errorf("quick work wrote %q", out.String())
	}
}

// TestCommandsReportProgressOffATerminal: rekey and provision FILE report on standard error
// (standard output keeps the result) when it is not a terminal.
func TestCommandsReportProgressOffATerminal(t *testing.T) {
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0 // a line per unit
	dbPath := filepath.Join(t.TempDir(), "r.db")
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	keyB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	var stdout, stderr bytes.Buffer
	vars := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyA})
	if err := run(context.Background(), []string{"provision", "db/sandbox.yaml"}, vars, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^provision: 1/\d+ records \(\d+%\), \d+ records/s`)
	if !want.MatchString(stderr.String()) || !regexp.MustCompile(`(?m)^provision: \d+ records in `).MatchString(stderr.String()) ||
		strings.Contains(stdout.String(), "provision:") {
		t.Errorf("provision progress:\n%s", stderr.String())
	}

	stderr.Reset()
	rotate := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyB, "CUSTREG_PII_KEY_ID": "k2", "CUSTREG_PII_OLD_KEYS": "k1:" + keyA})
	if err := run(context.Background(), []string{"rekey", "--yes"}, rotate, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	// The sandbox user, the sandbox's five accounts and FI 01111's gateway secret.
	if !regexp.MustCompile(`(?m)^rekey: 1/7 rows \(14%\), \d+ rows/s`).MatchString(stderr.String()) ||
		!regexp.MustCompile(`(?m)^rekey: 7 rows in `).MatchString(stderr.String()) {
		t.Errorf("rekey progress:\n%s", stderr.String())
	}
}
