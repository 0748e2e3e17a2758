package rules

import "testing"

func TestFIID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"01111", true},
		{"00000", true},
		{"99999", true},
		{"1111", false},   // four digits
		{"011111", false}, // six digits
		{"16", false},     // an unquoted YAML number
		{"0111a", false},
		{" 0111", false},
		{"01111\n", false},
		{"０１１１１", false}, // full-width digits
		{"", false},
	}
	for _, tt := range tests {
		if got := FIID(tt.in); got != tt.want {
			t.Errorf("FIID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
