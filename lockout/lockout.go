// Package lockout decides what one password login may do, given the FI's lockout policy and the
// user's lockout state: succeed, be refused, or be refused and counted — and whether a lockout
// whose cool-down has passed ends first. The store applies the decision atomically; this package
// is plain policy, tested without a database.
package lockout

import (
	"time"

	"github.com/custreg/custreg/models"
)

// DefaultThreshold is the number of consecutive failures that locks a user when the FI sets none.
const DefaultThreshold = models.DefaultLockoutThreshold

// Policy is an FI's lockout policy.
type Policy struct {
	Threshold int           // consecutive failed logins that lock the user
	Cooldown  time.Duration // how long a lockout lasts; 0 until an operator unlocks
}

// PolicyOf reads an FI's policy.
func PolicyOf(fi models.Institution) Policy {
	p := Policy{Threshold: fi.LockoutThreshold, Cooldown: time.Duration(fi.LockoutCooldown) * time.Second}
	if p.Threshold <= 0 {
		p.Threshold = DefaultThreshold
	}
	return p
}

// State is a user's lockout state.
type State struct {
	Locked   bool
	LockedAt *time.Time // nil for locks recorded before the start was kept: they wait for an operator
}

// Decision is what one login does.
type Decision struct {
	Allow        bool // the login succeeds (and resets the failure count)
	EndLockout   bool // the lockout's cool-down has passed: unlock with a fresh count first
	CountFailure bool // count a failure, which locks the user at the threshold
}

// Decide applies the policy to a login whose password did or did not match. A locked user is
// refused whatever the password, and the attempt is not counted (it cannot extend the lockout).
func Decide(p Policy, st State, passwordOK bool, now time.Time) Decision {
	over := st.Locked && p.Cooldown > 0 && st.LockedAt != nil && !now.Before(st.LockedAt.Add(p.Cooldown))
	if st.Locked && !over {
		return Decision{}
	}
	return Decision{Allow: passwordOK, EndLockout: over, CountFailure: !passwordOK}
}
