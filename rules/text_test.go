package rules

import (
	"strings"
	"testing"
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
