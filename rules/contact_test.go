package rules

import (
	"strings"
	"testing"
)

func TestNANPPhone(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"2125550123", true},
		{"2022222222", true},  // lowest area and exchange first digits
		{"9999999999", true},  // highest
		{"1234567890", false}, // area starts with 1
		{"0125550123", false}, // area starts with 0
		{"2121550123", false}, // exchange starts with 1
		{"2120550123", false}, // exchange starts with 0
		{"212555012", false},  // 9 digits
		{"21255501234", false},
		{"12125550123", false}, // leading country code
		{"212-555-0123", false},
		{"(212)5550123", false},
		{"212 5550123", false},
		{"+2125550123", false},
		{"212555012a", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := NANPPhone(tt.in); got != tt.want {
			t.Errorf("NANPPhone(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEmail(t *testing.T) {
	// local@ + domain ".com" gives exactly n characters.
	ofLen := func(n int) string {
		return strings.Repeat("a", n-len("@example.com")) + "@example.com"
	}
	tests := []struct {
		in   string
		want bool
	}{
		{"john@example.com", true},
		{"john.smith+tag@mail.example.co.uk", true},
		{"a_b-c@ex-ample.org", true},
		{"J.O'Brien@example.com", true},
		{ofLen(64), true},
		{ofLen(65), false},
		{"", false},
		{"john", false},
		{"john@", false},
		{"@example.com", false},
		{"john@example", false}, // no dot in domain
		{"john.smith@localhost", false},
		{"john@@example.com", false},
		{"john@doe@example.com", false},
		{`"john@doe"@example.com`, false}, // two @
		{`"john"@example.com`, false},     // parsed form differs
		{"John <john@example.com>", false},
		{"<john@example.com>", false},
		{"john@example.com (John)", false},
		{"john@example.com(John)", false},
		{"john smith@example.com", false},
		{" john@example.com", false},
		{"john@example.com ", false},
		{"john\t@example.com", false},
		{"john@example.com\n", false},
		{"jöhn@example.com", false},
		{"john@exämple.com", false},
		{"john..smith@example.com", false},
		{".john@example.com", false},
		{"john.@example.com", false},
		{"john@example..com", false},
		{"john@.example.com", false},
		{"a@b.com,c@d.com", false},
	}
	for _, tt := range tests {
		if got := Email(tt.in); got != tt.want {
			t.Errorf("Email(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMemberNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"1", true},
		{"A", true},
		{"abc123XYZ", true},
		{strings.Repeat("9", 16), true},
		{strings.Repeat("9", 17), false},
		{"", false},
		{"123-456", false},
		{"123 456", false},
		{"123_456", false},
		{"12345é", false},
		{"１２３", false},
	}
	for _, tt := range tests {
		if got := MemberNumber(tt.in); got != tt.want {
			t.Errorf("MemberNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
