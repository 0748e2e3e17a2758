package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/models"
)

// TestGroupCommitGroupsAndHandsOver: calls that arrive while a group is being written are
// written together in the next group, every call gets exactly its own answer, and the writer
// of a group returns to its caller instead of writing later groups for ever.
func TestGroupCommitGroupsAndHandsOver(t *testing.T) {
	var g groupCommit
	release := make(chan struct{})
	var mu sync.Mutex
	var groups [][]string
	writers := map[string]int{} // caller -> groups it wrote
	write := func(group []*tokenWrite) {
		names := make([]string, len(group))
		for i, w := range group {
			names[i] = w.tokens[0].Hash
		}
		mu.Lock()
		first := len(groups) == 0
		groups = append(groups, names)
		writer := fmt.Sprint(group[0].ctx.Value(callerKey{}))
		writers[writer]++
		mu.Unlock()
		if first {
			<-release // hold the first group until the others have queued
		}
		for _, w := range group {
			var err error
			if w.tokens[0].Hash == "bad" {
				err = errors.New("bad")
			}
			w.done <- tokenWriteResult{err: err}
		}
	}
	call := func(name string) error {
		ctx := context.WithValue(context.Background(), callerKey{}, name)
		return g.save(ctx, []*models.Token{{Hash: name}}, write)
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- call("first") }()
	for {
		mu.Lock()
		n := len(groups)
		mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	const others = 100
	var wg sync.WaitGroup
	errs := make([]error, others+1)
	for i := 0; i <= others; i++ {
		wg.Add(1)
		name := fmt.Sprintf("c%03d", i)
		if i == others {
			name = "bad"
		}
		go func() { defer wg.Done(); errs[i] = call(name) }()
	}
	for {
		g.mu.Lock()
		n := len(g.pending)
		g.mu.Unlock()
		if n == others+1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if (i == others) != (err != nil) {
			t.Errorf("call %d: %v", i, err)
		}
	}
	seen := map[string]bool{}
	for _, grp := range groups {
		if len(grp) > tokenGroupMax {
			t.Errorf("a group of %d", len(grp))
		}
		for _, n := range grp {
			if seen[n] {
				t.Errorf("%s written twice", n)
			}
			seen[n] = true
		}
	}
	if len(seen) != others+2 || len(groups) != 3 { // first alone, then 64 + 37
		t.Errorf("%d calls in %d groups: %v", len(seen), len(groups), groups)
	}
	if writers["first"] != 1 {
		t.Errorf("the first caller wrote %d groups; it must hand over after its own", writers["first"])
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.writing || len(g.pending) != 0 {
		t.Errorf("left writing=%v with %d pending", g.writing, len(g.pending))
	}
}

type callerKey struct{}
