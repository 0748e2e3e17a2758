package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestOutageLogIsRateLimited(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := newOutageLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	o.now = func() time.Time { return clock }
	ctx := context.Background()
	lines := func() []map[string]any {
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if l == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		buf.Reset()
		return out
	}
	expect := func(step string, want ...string) []map[string]any {
		t.Helper()
		got := lines()
		var msgs []string
		for _, m := range got {
			msgs = append(msgs, m["level"].(string)+" "+m["msg"].(string))
		}
		if strings.Join(msgs, "|") != strings.Join(want, "|") {
			t.Errorf("%s: logged %q, want %q", step, msgs, want)
		}
		return got
	}

	o.success(ctx)
	expect("healthy")

	o.failure(ctx, "SQLSTATE 57P01")
	if got := expect("first failure", "ERROR database unavailable"); len(got) == 1 && got[0]["cause"] != "SQLSTATE 57P01" {
		t.Errorf("cause %v", got[0]["cause"])
	}
	for range 99 {
		clock = clock.Add(50 * time.Millisecond)
		o.failure(ctx, "connection refused")
	}
	expect("within the interval") // 99 failures over 4.95 s: nothing more

	clock = clock.Add(6 * time.Second)
	if got := expect("still nothing before the next failure"); len(got) != 0 {
		t.Fatal(got)
	}
	o.failure(ctx, "connection refused")
	if got := expect("after the interval", "ERROR database still unavailable"); len(got) == 1 && got[0]["suppressed"] != float64(99) {
		t.Errorf("suppressed %v, want 99", got[0]["suppressed"])
	}

	clock = clock.Add(time.Second)
	o.success(ctx)
	if got := expect("recovery", "INFO database available again"); len(got) == 1 && got[0]["failures"] != float64(101) {
		t.Errorf("failures %v, want 101", got[0]["failures"])
	}
	o.success(ctx)
	expect("recovered once")

	// A blip soon after the last line is counted, not logged, and reported with the next line.
	o.failure(ctx, "timeout")
	o.success(ctx)
	expect("blip")
	clock = clock.Add(outageInterval)
	o.failure(ctx, "timeout")
	if got := expect("next outage", "ERROR database unavailable"); len(got) == 1 && got[0]["suppressed"] != float64(1) {
		t.Errorf("suppressed %v, want the blip's 1", got[0]["suppressed"])
	}
}
