package lockout

import (
	"testing"
	"time"

	"github.com/custreg/custreg/models"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	p := Policy{Threshold: 10, Cooldown: 30 * time.Minute}
	noAuto := Policy{Threshold: 10}
	cases := []struct {
		name       string
		p          Policy
		st         State
		passwordOK bool
		want       Decision
	}{
		{"not locked, right password", p, State{}, true, Decision{Allow: true}},
		{"not locked, wrong password", p, State{}, false, Decision{CountFailure: true}},
		{"locked, right password, within the cool-down", p, State{Locked: true, LockedAt: at(29 * time.Minute)}, true, Decision{}},
		{"locked, wrong password, within the cool-down: not counted", p, State{Locked: true, LockedAt: at(time.Minute)}, false, Decision{}},
		{"locked, right password, cool-down over", p, State{Locked: true, LockedAt: at(30 * time.Minute)}, true, Decision{Allow: true, EndLockout: true}},
		{"locked, wrong password, cool-down over: counted afresh", p, State{Locked: true, LockedAt: at(time.Hour)}, false,
			Decision{EndLockout: true, CountFailure: true}},
		{"no automatic unlock", noAuto, State{Locked: true, LockedAt: at(720 * time.Hour)}, true, Decision{}},
		{"lock without a recorded start waits for an operator", p, State{Locked: true}, true, Decision{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.p, tc.st, tc.passwordOK, now); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPolicyOf(t *testing.T) {
	if p := PolicyOf(models.Institution{LockoutThreshold: 3, LockoutCooldown: 60}); p.Threshold != 3 || p.Cooldown != time.Minute {
		t.Errorf("%+v", p)
	}
	if p := PolicyOf(models.Institution{}); p.Threshold != DefaultThreshold || p.Cooldown != 0 {
		t.Errorf("defaults %+v", p)
	}
}
