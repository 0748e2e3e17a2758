package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEWalkThrough runs the README's curl blocks, as written and in order, with bash against
// a fresh sandbox served by run on a free loopback port. Each runnable block is preceded by
// <!-- run: S S … -->, the HTTP status of each curl in the block ("status:code" where the answer
// must carry that code); every sh block that talks to $BASE must be marked, so a new step cannot
// go unchecked.
func TestREADMEWalkThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sandbox and curl")
	}
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range regexp.MustCompile("(?s)(<!-- run: [^>]*-->\n)?```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if b[1] == "" && strings.Contains(b[2], "$BASE") {
			t.Errorf("README sh block talks to $BASE but has no <!-- run: … --> line:\n%s", b[2])
		}
	}
	marked := regexp.MustCompile("(?s)<!-- run: ([^>]*?) -->\n```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(marked) == 0 {
		t.Fatal("no runnable block in the README")
	}

	base, _ := startSandbox(t, filepath.Join(t.TempDir(), "custreg.db"))
	var script strings.Builder
	// Each curl reports its status on stderr (-w %{stderr}), whatever its output is piped into.
	script.WriteString("set -eo pipefail\ncurl() { command curl -w '%{stderr}__STATUS__ %{http_code}\\n' \"$@\"; }\n")
	for i, m := range marked {
		fmt.Fprintf(&script, "echo __BLOCK__ %d; echo __BLOCK__ %d >&2\n", i, i)
		script.WriteString(strings.ReplaceAll(m[2], "BASE=http://127.0.0.1:8080", "BASE="+base) + "\necho\n")
	}
	cmd := exec.Command("bash", "-c", script.String())
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walk-through fails: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	outs := regexp.MustCompile(`(?m)^__BLOCK__ \d+\n`).Split(stdout.String(), -1)[1:]
	errs := regexp.MustCompile(`(?m)^__BLOCK__ \d+\n`).Split(stderr.String(), -1)[1:]
	if len(outs) != len(marked) || len(errs) != len(marked) {
		t.Fatalf("ran %d/%d of %d blocks", len(outs), len(errs), len(marked))
	}
	status := regexp.MustCompile(`(?m)^__STATUS__ (\d+)$`)
	for i, m := range marked {
		var got []string
		for _, s := range status.FindAllStringSubmatch(errs[i], -1) {
			got = append(got, s[1])
		}
		want := strings.Fields(m[1])
		var wantStatus []string
		for _, w := range want {
			st, code, _ := strings.Cut(w, ":")
			wantStatus = append(wantStatus, st)
			if code != "" && !strings.Contains(outs[i], code) {
				t.Errorf("block %d: no answer carries %s:\n%s", i+1, code, outs[i])
			}
		}
		if strings.Join(got, " ") != strings.Join(wantStatus, " ") {
			t.Errorf("block %d answered %v, the README says %v\n%s\noutput:\n%s", i+1, got, wantStatus, m[2], outs[i])
		}
	}
}
