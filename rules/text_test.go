package rules

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/custreg/custreg/internal/fuzzcorpus"
)

func TestNameLengths(t *testing.T) {
	if MaxNameLen != 39 {
		t.Fatalf("MaxNameLen = %d, want 39", MaxNameLen)
	}
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"Ann", false},
		{strings.Repeat("a", 39), false},
		{strings.Repeat("a", 40), true},
		{strings.Repeat("é", 39), false}, // 78 bytes, 39 runes
		{strings.Repeat("é", 40), true},
	}
	for _, tt := range tests {
		if got := NameTooLong(tt.in); got != tt.want {
			t.Errorf("NameTooLong(%d runes) = %v, want %v", len([]rune(tt.in)), got, tt.want)
		}
	}

	combined := []struct {
		first, last string
		want        bool
	}{
		{"", "", false},
		{"John", "Smith", false},
		{strings.Repeat("a", 20), strings.Repeat("b", 19), false},
		{strings.Repeat("a", 20), strings.Repeat("b", 20), true},
		{strings.Repeat("a", 39), "", false},
		{"", strings.Repeat("b", 40), true},
		{strings.Repeat("ü", 20), strings.Repeat("ß", 19), false},
		{strings.Repeat("ü", 20), strings.Repeat("ß", 20), true},
	}
	for _, tt := range combined {
		if got := CombinedNameTooLong(tt.first, tt.last); got != tt.want {
			t.Errorf("CombinedNameTooLong(%d, %d runes) = %v, want %v",
				len([]rune(tt.first)), len([]rune(tt.last)), got, tt.want)
		}
	}
}

func TestTooLong(t *testing.T) {
	if MaxAddressLen != 128 {
		t.Fatalf("MaxAddressLen = %d, want 128", MaxAddressLen)
	}
	tests := []struct {
		in   string
		max  int
		want bool
	}{
		{"", 0, false},
		{"a", 0, true},
		{strings.Repeat("a", 128), MaxAddressLen, false},
		{strings.Repeat("a", 129), MaxAddressLen, true},
		{strings.Repeat("日", 128), MaxAddressLen, false},
		{strings.Repeat("日", 129), MaxAddressLen, true},
	}
	for _, tt := range tests {
		if got := TooLong(tt.in, tt.max); got != tt.want {
			t.Errorf("TooLong(%d runes, %d) = %v, want %v", len([]rune(tt.in)), tt.max, got, tt.want)
		}
	}
}

func TestBlank(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{" ", true},
		{"   ", true},
		{"\t\n ", true},
		{"\u00a0", true}, // no-break space
		{"a", false},
		{" a ", false},
		{".", false},
	}
	for _, tt := range tests {
		if got := Blank(tt.in); got != tt.want {
			t.Errorf("Blank(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{" ", true},
		{"~", true},
		{"Hello, World! 123 {}[]<>@#$%^&*()_+-=|\\/'\"`?", true},
		{"\x1f", false},
		{"\x7f", false},
		{"tab\there", false},
		{"new\nline", false},
		{"café", false},
		{"\x00", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDisclosureDataURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://example.com", true},
		{"http://example.com", true},
		{"https://example.com/disclosures/v1?id=42#top", true},
		{"https://example.com:8443/path", true},
		{"HTTPS://EXAMPLE.COM/", true},
		{"https://127.0.0.1/x", true},
		{"", false},
		{"example.com", false},
		{"/relative/path", false},
		{"//example.com/path", false},
		{"ftp://example.com", false},
		{"mailto:john@example.com", false},
		{"javascript:alert(1)", false},
		{"https:example.com", false}, // opaque, no host
		{"https://", false},
		{"https:///path", false},
		{"https://exa mple.com", false},
		{"https://example.com/\tx", false},
		{"https://exämple.com", false},
		{"https://example.com/\x7f", false},
		{"https://example.com/%zz", false},
	}
	for _, tt := range tests {
		if got := DisclosureDataURL(tt.in); got != tt.want {
			t.Errorf("DisclosureDataURL(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSafeText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"empty", "", true},
		{"ASCII", "Jane O'Brien-Smith, Apt. #4 \"B\"", true},
		{"OData filter", `accountType eq 'CHECKING' and nickName ne "x y"`, true},
		{"Latin", "Zoë Ångström-Nuñez", true},
		{"CJK", "山田太郎", true},
		{"Arabic", "محمد", true},
		{"Hebrew", "שרה", true},
		{"emoji", "😀", true},
		{"emoji with variation selector", "\u2764\ufe0f", true},
		{"no-break space", "a\u00a0b", true},
		{"replacement character", "\ufffd", true},
		{"private use", "\ue000", true},
		{"max rune", "\U0010fffd", true},

		{"NUL", "a\x00b", false},
		{"C0 bell", "\x07", false},
		{"tab", "a\tb", false},
		{"LF", "a\nb", false},
		{"CR", "a\rb", false},
		{"escape", "\x1b[31m", false},
		{"DEL", "a\x7fb", false},
		{"C1 NEL", "a\u0085b", false},
		{"C1 first", "\u0080", false},
		{"C1 last", "\u009f", false},
		{"LRM", "a\u200eb", false},
		{"RLM", "a\u200fb", false},
		{"ALM", "a\u061cb", false},
		{"LRE", "\u202a", false},
		{"RLE", "\u202b", false},
		{"PDF", "\u202c", false},
		{"LRO", "\u202d", false},
		{"RLO", "invoice\u202efdp.exe", false},
		{"LRI", "\u2066", false},
		{"RLI", "\u2067", false},
		{"FSI", "\u2068", false},
		{"PDI", "\u2069", false},
		{"zero-width space", "ad\u200bmin", false},
		{"ZWNJ", "a\u200cb", false},
		{"ZWJ", "a\u200db", false},
		{"word joiner", "a\u2060b", false},
		{"BOM", "\ufeffJane", false},
		{"soft hyphen", "Ja\u00adne", false},
		{"Mongolian vowel separator", "a\u180eb", false},
		{"interlinear annotation", "\ufff9", false},
		{"tag character", "\U000e0041", false},
		{"line separator", "a\u2028b", false},
		{"paragraph separator", "a\u2029b", false},
		{"combining grapheme joiner", "a\u034fb", false},
		{"Hangul filler", "\u3164", false},
		{"halfwidth Hangul filler", "\uffa0", false},
		{"invalid byte", "a\xffb", false},
		{"truncated rune", "\xe2\x80", false},
		{"lone continuation", "\x80", false},
		{"overlong NUL", "\xc0\x80", false},
		{"encoded surrogate", "\xed\xa0\x80", false},
		{"beyond U+10FFFF", "\xf4\x90\x80\x80", false},
	}
	for _, tt := range tests {
		if got := SafeText(tt.in); got != tt.want {
			t.Errorf("%s: SafeText(%+q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

// safeTextOracle restates SafeText rune by rune with the unicode predicates, so the fuzz
// target checks the byte-level loop against an independent reading of the rule.
func safeTextOracle(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point) {
			return false
		}
	}
	return true
}

func FuzzSafeText(f *testing.F) {
	fuzzcorpus.Check(f, textSeeds("Jane", "Zoë", "山田", "\ufffd", "\ue000", "\U0010fffd"))
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeText(s)
		if want := safeTextOracle(s); got != want {
			t.Fatalf("SafeText(%+q) = %v, oracle says %v", s, got, want)
		}
		if !got {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("SafeText accepted invalid UTF-8 %+q", s)
		}
		if strings.ContainsAny(s, "\x00\t\n\r\x7f\u0085\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff\u2028\u2029") {
			t.Fatalf("SafeText accepted %+q", s)
		}
		// Safe text survives PostgreSQL's text input (valid UTF-8, no NUL) unchanged.
		if strings.ToValidUTF8(s, "") != s || strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("SafeText accepted %+q", s)
		}
	})
}
