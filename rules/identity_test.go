package rules

import (
	"testing"
	"time"
)

func TestSSN(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"123456789", true},
		{"001010001", true},
		{"899999999", true},  // highest valid area
		{"665123456", true},  // next to 666
		{"667123456", true},  // next to 666
		{"123016789", true},  // lowest valid group
		{"123450001", true},  // lowest valid serial
		{"000123456", false}, // area 000
		{"666123456", false}, // area 666
		{"900123456", false}, // area 900
		{"999123456", false}, // area 999
		{"123006789", false}, // group 00
		{"123450000", false}, // serial 0000
		{"12345678", false},  // 8 digits
		{"1234567890", false},
		{"12345678a", false},
		{"abcdefghi", false},
		{"123-45-6789", false},
		{"123 45 678", false},
		{"", false},
		{"１２３４５６７８９", false}, // full-width digits
		{"+12345678", false},
		{"-12345678", false},
	}
	for _, tt := range tests {
		if got := SSN(tt.in); got != tt.want {
			t.Errorf("SSN(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBirthDate(t *testing.T) {
	now := time.Date(2025, 6, 15, 13, 45, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		now  time.Time
		want bool
	}{
		{"ordinary", "1989-10-09", now, true},
		{"today", "2025-06-15", now, true},
		{"yesterday", "2025-06-14", now, true},
		{"tomorrow", "2025-06-16", now, false},
		{"next year", "2026-01-01", now, false},
		{"exactly 125 years", "1900-06-15", now, true},
		{"125 years plus one day", "1900-06-14", now, false},
		{"125 years minus one day", "1900-06-16", now, true},
		{"leap day in leap year", "2024-02-29", now, true},
		{"leap day in 2000", "2000-02-29", now, true},
		{"leap day in non-leap year", "2023-02-29", now, false},
		{"leap day in 1900 (not leap)", "1900-02-29", now, false},
		{"Feb 30", "2020-02-30", now, false},
		{"Apr 31", "2020-04-31", now, false},
		{"Dec 31", "2020-12-31", now, true},
		{"month 00", "2020-00-10", now, false},
		{"month 13", "2020-13-10", now, false},
		{"day 00", "2020-01-00", now, false},
		{"day 32", "2020-01-32", now, false},
		{"year 0000", "0000-01-01", now, false},
		{"unpadded month", "1989-1-09", now, false},
		{"unpadded day", "1989-10-9", now, false},
		{"with time", "1989-10-09T00:00:00", now, false},
		{"with zone", "1989-10-09Z", now, false},
		{"slashes", "1989/10/09", now, false},
		{"US order", "10-09-1989", now, false},
		{"compact", "19891009", now, false},
		{"signed", "+989-10-09", now, false},
		{"space", " 989-10-09", now, false},
		{"letters", "198a-10-09", now, false},
		{"empty", "", now, false},
		// now late in its local day but already tomorrow in UTC.
		{"UTC date is used for today", "2025-06-16",
			time.Date(2025, 6, 15, 22, 0, 0, 0, time.FixedZone("EDT", -4*3600)), true},
		{"UTC date is used for tomorrow", "2025-06-17",
			time.Date(2025, 6, 15, 22, 0, 0, 0, time.FixedZone("EDT", -4*3600)), false},
		// now on 29 February: the 125th anniversary does not exist.
		{"anniversary of leap day, day after", "1899-03-01",
			time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"anniversary of leap day, day before", "1899-02-28",
			time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{"today is leap day", "2024-02-29",
			time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if got := BirthDate(tt.in, tt.now); got != tt.want {
			t.Errorf("%s: BirthDate(%q) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}
