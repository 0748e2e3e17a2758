package registration

import (
	"strings"
	"testing"
)

func TestPasswordAcceptable(t *testing.T) {
	for pw, want := range map[string]bool{
		"NewPass#2026":                    true,
		"abc12":                           false, // under the FI's minimum
		strings.Repeat("a1", 17):          false, // over the FI's maximum
		"onlyletters":                     false, // one character class
		"with space1":                     false,
		"boxUser1":                        false, // part of the login id (any case)
		"pass\u202eword1":                 false, // not safe text
		strings.Repeat("é1", 16):          true,  // 32 runes, 48 bytes
		strings.Repeat("\U0001F600a", 16): true,
	} {
		if got := PasswordAcceptable(fi01111, "sandboxuser1", pw); got != want {
			t.Errorf("PasswordAcceptable(%q) = %v", pw, got)
		}
	}
}
