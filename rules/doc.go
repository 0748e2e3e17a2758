// Package rules holds the pure field-validation rules used to validate a
// "Register customer v4" registration, and the text and address rules every
// operation applies to what it stores or records.
//
// Every rule is a small function that reports whether a value is
// acceptable. The package knows nothing about HTTP, error envelopes or
// error codes: callers map a failed rule to the appropriate code. No rule
// returns or formats the value it checks, because registration fields are
// personal data.
package rules

// isASCIIDigit reports whether b is one of '0'..'9'.
func isASCIIDigit(b byte) bool { return b >= '0' && b <= '9' }

// isASCIILetter reports whether b is one of 'A'..'Z' or 'a'..'z'.
func isASCIILetter(b byte) bool { return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') }

// allASCIIDigits reports whether s is non-empty and made only of '0'..'9'.
func allASCIIDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}

// allASCIIAlnum reports whether every byte of s is an ASCII letter or digit.
func allASCIIAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIILetter(s[i]) && !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}
