package secure

import "testing"

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"sam.sandbox@example.com": "s***@example.com",
		"a@b.co":                  "a***@b.co",
		"émile@example.fr":        "é***@example.fr",
		"@example.com":            "***",
		"nobody@":                 "***",
		"no-at-sign":              "***",
		"":                        "***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
