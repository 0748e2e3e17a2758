package limits

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseRate: a rate from a flag, an environment variable or the provisioning file either
// parses to a limit that writes back to the same text, or is refused with an error that quotes
// it; it never panics, and a parsed rate is always within MaxEvents.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"none", "1/s", "60/m", "1000/h", "5/d", "0/s", "-1/s", "01/s", "1/S", "1/ms",
		"9999999999999999999/s", "1e3/s", "+5/m", " 5/m", "5/m ", "5//m", "/s", "5/", "", "none/s", "\x00/s",
		"5/m\x00", "\u202e5/m", "\xff\xfe", "1/s/s", "١/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "not a rate") {
				t.Fatalf("ParseRate(%q): unexpected error %v", s, err)
			}
			if (Rate{}) != r {
				t.Fatalf("ParseRate(%q) refused but returned %v", s, r)
			}
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("ParseRate accepted invalid UTF-8 %q", s)
		}
		if r.N > MaxEvents || (!r.None() && r.N < 1) {
			t.Fatalf("ParseRate(%q) = %v: out of range", s, r)
		}
		if got := r.String(); got != s {
			t.Fatalf("ParseRate(%q) writes back as %q", s, got)
		}
		var back Rate
		if err := back.UnmarshalText([]byte(r.String())); err != nil || back != r {
			t.Fatalf("round trip of %q: %v %v", s, back, err)
		}
	})
}
