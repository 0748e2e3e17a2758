package rules

import (
	"strings"
	"testing"
)

func TestUSState(t *testing.T) {
	states := strings.Fields(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD
		MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA
		WA WV WI WY`)
	if len(states) != 50 {
		t.Fatalf("test list has %d states, want 50", len(states))
	}
	extra := strings.Fields("DC AS GU MP PR VI FM MH PW AA AE AP")
	for _, s := range append(states, extra...) {
		if !USState(s) {
			t.Errorf("USState(%q) = false, want true", s)
		}
	}
	if got, want := len(usStates), len(states)+len(extra); got != want {
		t.Errorf("len(usStates) = %d, want %d", got, want)
	}
	for _, s := range []string{"", "ny", "Ny", "nY", "XX", "CZ", "UM", "NYC", "N", " NY", "NY ", "N.Y."} {
		if USState(s) {
			t.Errorf("USState(%q) = true, want false", s)
		}
	}
}

func TestUSPostalCode(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"12345", true},
		{"00000", true},
		{"123456789", true},
		{"12345-6789", true},
		{"1234", false},
		{"123456", false},
		{"1234567", false},
		{"12345678", false},
		{"12345-678", false},
		{"12345-67890", false},
		{"1234567890", false},
		{"12345 6789", false},
		{"1234-56789", false},
		{"12345--6789", false},
		{"-12345", false},
		{"12345-", false},
		{"1234a", false},
		{"١٢٣٤٥", false}, // Arabic-Indic digits
		{"", false},
	}
	for _, tt := range tests {
		if got := USPostalCode(tt.in); got != tt.want {
			t.Errorf("USPostalCode(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIsUS(t *testing.T) {
	for _, s := range []string{"US", "USA", "us", "usa"} {
		if !IsUS(s) {
			t.Errorf("IsUS(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "Us", "uS", "Usa", "U.S.", "U", "USAA", " US", "CA", "UM", "United States"} {
		if IsUS(s) {
			t.Errorf("IsUS(%q) = true, want false", s)
		}
	}
}

func TestCountry(t *testing.T) {
	if len(alpha2Codes) != 249 || len(alpha3Codes) != 249 {
		t.Errorf("code tables have %d alpha-2 and %d alpha-3 codes, want 249 each",
			len(alpha2Codes), len(alpha3Codes))
	}
	for c := range alpha2Codes {
		if len(c) != 2 || strings.ToUpper(c) != c {
			t.Errorf("bad alpha-2 table entry %q", c)
		}
	}
	for c := range alpha3Codes {
		if len(c) != 3 || strings.ToUpper(c) != c {
			t.Errorf("bad alpha-3 table entry %q", c)
		}
	}
	tests := []struct {
		in   string
		want bool
	}{
		{"US", true},
		{"USA", true},
		{"us", true},
		{"usa", true},
		{"Us", true},
		{"CA", true},
		{"CAN", true},
		{"DE", true},
		{"DEU", true},
		{"deu", true},
		{"GB", true},
		{"GBR", true},
		{"SS", true},  // South Sudan
		{"SSD", true}, // South Sudan
		{"SX", true},
		{"BQ", true},
		{"AX", true},
		{"XK", false}, // user-assigned, not official
		{"UK", false}, // exceptionally reserved
		{"EU", false},
		{"AN", false},  // withdrawn
		{"ANT", false}, // withdrawn
		{"YU", false},
		{"ZZ", false},
		{"XXX", false},
		{"U", false},
		{"USAA", false},
		{"", false},
		{"U1", false},
		{" US", false},
		{"uſ", false}, // U+017F upper-cases to S; must not pass
		{"ÜS", false},
	}
	for _, tt := range tests {
		if got := Country(tt.in); got != tt.want {
			t.Errorf("Country(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
