package limits

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rate
	}{
		{"100/s", Rate{100, time.Second}},
		{"600/m", Rate{600, time.Minute}},
		{"20000/h", Rate{20000, time.Hour}},
		{"1/d", Rate{1, 24 * time.Hour}},
		{"none", Rate{}},
	} {
		got, err := ParseRate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("%q prints as %q", tc.in, got.String())
		}
	}
	for _, bad := range []string{"", "0/s", "-1/s", "10", "10/", "10/w", "1e3/s", "010/s", " 10/s", "10/s ", "1000000001/s", "none/s", "10/S"} {
		if r, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", bad, r)
		}
	}
	var r Rate
	if err := r.UnmarshalText([]byte("30/m")); err != nil || r != (Rate{30, time.Minute}) {
		t.Errorf("UnmarshalText: %v %v", r, err)
	}
}

// TestTableBurstThenRefill: a key gets N at once, then one per period/N; other keys are apart.
func TestTableBurstThenRefill(t *testing.T) {
	tab := NewTable(Rate{3, 3 * time.Second}, 10) // not a unit of ParseRate, but the arithmetic is the same
	now := time.Unix(1000, 0)
	for i := range 3 {
		if ok, _ := tab.Allow("a", now); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait := tab.Allow("a", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th: ok=%v wait=%v, want refused for at most 1s", ok, wait)
	}
	if ok, _ := tab.Allow("b", now); !ok {
		t.Fatal("another key is refused")
	}
	if ok, _ := tab.Allow("a", now.Add(wait)); !ok {
		t.Fatalf("refused again after waiting %v", wait)
	}
}

// TestTableIsBounded: however many keys arrive, the table holds at most its size, forgetting the
// least recently used (a spoofed-address flood cannot grow memory).
func TestTableIsBounded(t *testing.T) {
	tab := NewTable(Rate{1, time.Hour}, 100)
	now := time.Unix(1000, 0)
	tab.Allow("kept", now)
	for i := range 10_000 {
		tab.Allow("addr-"+strconv.Itoa(i), now)
		if i%50 == 0 {
			tab.Exhausted("kept", now) // used recently: stays
		}
	}
	if n := tab.Len(); n != 100 {
		t.Fatalf("table holds %d keys, want 100", n)
	}
	if blocked, _ := tab.Exhausted("kept", now); !blocked {
		t.Fatal("a recently used key was forgotten")
	}
}

func TestTableExhausted(t *testing.T) {
	tab := NewTable(Rate{2, time.Minute}, 10)
	now := time.Unix(1000, 0)
	if blocked, _ := tab.Exhausted("a", now); blocked {
		t.Fatal("an unknown key is exhausted")
	}
	tab.Allow("a", now)
	if blocked, _ := tab.Exhausted("a", now); blocked {
		t.Fatal("exhausted after one of two")
	}
	tab.Allow("a", now)
	tab.Allow("a", now) // refused: nothing left to take, and no debt either
	blocked, wait := tab.Exhausted("a", now)
	if !blocked || wait != 30*time.Second {
		t.Fatalf("after two: blocked=%v wait=%v, want 30s", blocked, wait)
	}
	if blocked, _ := tab.Exhausted("a", now.Add(30*time.Second)); blocked {
		t.Fatal("still exhausted after the refill")
	}
	var none *Table
	if ok, _ := none.Allow("a", now); !ok {
		t.Fatal("a nil table refuses")
	}
	if NewTable(Rate{}, 10) != nil {
		t.Fatal("no limit makes a table")
	}
}

func TestAppsSpikeArrestThenQuota(t *testing.T) {
	apps := NewApps()
	now := time.Unix(1000, 0)
	quota, spike := Rate{5, time.Hour}, Rate{2, time.Second}
	for i := range 2 {
		if k, _ := apps.Allow(1, quota, spike, now); k != "" {
			t.Fatalf("request %d refused by %s", i+1, k)
		}
	}
	k, wait := apps.Allow(1, quota, spike, now)
	if k != SpikeArrest || wait <= 0 || wait > time.Second {
		t.Fatalf("3rd in the same instant: %q %v, want spike arrest", k, wait)
	}
	if k, _ := apps.Allow(2, quota, spike, now); k != "" {
		t.Fatalf("another app refused by %s", k)
	}
	// Three more a second apart: the quota of 5 is then used up (the refused one did not count).
	for i := range 3 {
		now = now.Add(time.Second)
		if k, _ := apps.Allow(1, quota, spike, now); k != "" {
			t.Fatalf("request %d refused by %s", i+3, k)
		}
	}
	now = now.Add(time.Second)
	k, wait = apps.Allow(1, quota, spike, now)
	if k != Quota || wait < 11*time.Minute || wait > 12*time.Minute {
		t.Fatalf("6th: %q %v, want the quota with about 12 minutes to wait", k, wait)
	}
	// The refused quota request took nothing from the spike arrest: two fit in the next instant.
	// New rates (a provisioning reload) start new buckets.
	if k, _ := apps.Allow(1, Rate{}, spike, now); k != "" {
		t.Fatalf("without a quota: refused by %s", k)
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(100)
	ctx := context.Background()
	if !b.Acquire(ctx, 60, 0) || !b.Acquire(ctx, 40, 0) {
		t.Fatal("the whole budget is not available")
	}
	start := time.Now()
	if b.Acquire(ctx, 1, 20*time.Millisecond) {
		t.Fatal("acquired beyond the budget")
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("did not wait")
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		b.Release(40)
	}()
	if !b.Acquire(ctx, 30, 5*time.Second) {
		t.Fatal("not acquired after a release")
	}
	if b.Acquire(ctx, 101, time.Second) {
		t.Fatal("more than the whole budget acquired")
	}
	var none *Budget
	if !none.Acquire(ctx, 1<<40, 0) {
		t.Fatal("a nil budget refuses")
	}
}

// TestTableTakeAndSettle: events set aside by Take count for every other Take at once, so
// concurrent callers cannot all pass on the last event; settling gives back what did not count
// and takes what did.
func TestTableTakeAndSettle(t *testing.T) {
	tab := NewTable(Rate{2, time.Minute}, 10)
	now := time.Unix(1000, 0)
	ok1, _, settle1 := tab.Take("a", now)
	ok2, _, settle2 := tab.Take("a", now)
	ok3, wait, _ := tab.Take("a", now)
	if !ok1 || !ok2 || ok3 || wait != 30*time.Second {
		t.Fatalf("takes: %v %v %v (wait %v), want two then a 30s wait", ok1, ok2, ok3, wait)
	}
	settle1(false, now) // did not count: given back
	ok4, _, settle4 := tab.Take("a", now)
	if !ok4 {
		t.Fatal("an event given back cannot be taken again")
	}
	settle2(true, now)
	settle4(true, now)
	if ok, _, _ := tab.Take("a", now); ok {
		t.Fatal("more than the burst")
	}
	if blocked, _ := tab.Exhausted("a", now); !blocked {
		t.Fatal("two counted events did not empty a bucket of two")
	}
}
