package rules

import "time"

// MaxAgeYears is the greatest age, in whole years, a birth date may imply.
const MaxAgeYears = 125

// SSN reports whether s is exactly nine ASCII digits forming a number that
// could have been issued: the area (digits 1-3) is not 000, 666 or 900-999,
// the group (digits 4-5) is not 00 and the serial (digits 6-9) is not 0000.
func SSN(s string) bool {
	if len(s) != 9 || !allASCIIDigits(s) {
		return false
	}
	area, group, serial := s[0:3], s[3:5], s[5:9]
	return area != "000" && area != "666" && area[0] != '9' &&
		group != "00" && serial != "0000"
}

// BirthDate reports whether s is a strict yyyy-MM-dd calendar date (ten
// characters, zero-padded, e.g. 2024-02-29 but not 2023-02-29) that is not
// after now's UTC date and not more than MaxAgeYears years before it. Today
// and the date exactly MaxAgeYears years ago are both accepted. When that
// anniversary does not exist (now is 29 February) the earliest accepted date
// is the following 1 March.
func BirthDate(s string, now time.Time) bool {
	d, ok := parseDate(s)
	if !ok {
		return false
	}
	today := dateOnly(now.UTC())
	earliest := today.AddDate(-MaxAgeYears, 0, 0)
	return !d.After(today) && !d.Before(earliest)
}

// parseDate parses a strict yyyy-MM-dd string into a UTC midnight time and
// reports whether it names a real calendar date.
func parseDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' ||
		!allASCIIDigits(s[0:4]) || !allASCIIDigits(s[5:7]) || !allASCIIDigits(s[8:10]) {
		return time.Time{}, false
	}
	y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, false // normalised, e.g. 02-30 became 03-02
	}
	return t, true
}

// dateOnly truncates t to midnight of its calendar date in t's location.
func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// atoi converts a short string of ASCII digits to an int.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
