package rules

import "testing"

func TestIPAddress(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"203.0.113.7", true},
		{"0.0.0.0", true},
		{"2001:db8::1", true},
		{"::1", true},
		{"::ffff:203.0.113.7", true},
		{"", false},
		{"localhost", false},
		{"203.0.113", false},
		{"203.0.113.256", false},
		{"203.0.113.07", false}, // leading zeros are ambiguous (octal in some parsers)
		{" 203.0.113.7", false},
		{"203.0.113.7 ", false},
		{"203.0.113.7:443", false},
		{"[2001:db8::1]", false},
		{"fe80::1%eth0", false}, // zones name an interface of the sender, not an address
		{"203.0.113.7/24", false},
		{"203.0.113.7\x00", false},
		{"2001:db8::1\u202e", false},
	}
	for _, tt := range tests {
		if got := IPAddress(tt.in); got != tt.want {
			t.Errorf("IPAddress(%+q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
