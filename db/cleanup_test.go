package db

import (
	"context"
	"testing"
	"time"
)

// TestCleanupStepsShareOneBudget: clean-up after a failed request is bounded by the request's
// deadline plus cleanupBudget in all, not by a fresh budget per step.
func TestCleanupStepsShareOneBudget(t *testing.T) {
	now := time.Now()
	within := func(ctx context.Context, want time.Time) {
		t.Helper()
		got, ok := ctx.Deadline()
		if !ok || got.Before(want.Add(-time.Second)) || got.After(want.Add(time.Second)) {
			t.Errorf("deadline %v (set %v), want about %v", got, ok, want)
		}
	}

	// No request deadline: one budget from now.
	c, cancel := CleanupContext(context.Background())
	defer cancel()
	within(c, now.Add(cleanupBudget))

	// A request with time left: still one budget from now, and not cancelled with the request.
	req, cancelReq := context.WithTimeout(context.Background(), time.Hour)
	c, cancel = CleanupContext(req)
	defer cancel()
	cancelReq()
	within(c, now.Add(cleanupBudget))
	if c.Err() != nil {
		t.Errorf("clean-up ended with the request: %v", c.Err())
	}

	// A request whose deadline passed longer ago than the budget: nothing is left.
	late, cancelLate := context.WithDeadline(context.Background(), now.Add(-cleanupBudget-time.Second))
	defer cancelLate()
	c, cancel = CleanupContext(late)
	defer cancel()
	if c.Err() == nil {
		t.Error("a clean-up step after the request's deadline plus the budget still had time")
	}

	// A request whose deadline just passed: what is left of the budget after it.
	recent, cancelRecent := context.WithDeadline(context.Background(), now.Add(-time.Second))
	defer cancelRecent()
	c, cancel = CleanupContext(recent)
	defer cancel()
	within(c, now.Add(cleanupBudget-time.Second))
}
