package rules

import (
	"net/mail"
	"strings"
)

// MaxEmailLen is the greatest number of characters accepted in an email
// address.
const MaxEmailLen = 64

// NANPPhone reports whether s is a North American Numbering Plan number
// written as exactly ten ASCII digits with no separators, whose area code
// (digits 1-3) and exchange (digits 4-6) each start with 2-9.
func NANPPhone(s string) bool {
	return len(s) == 10 && allASCIIDigits(s) &&
		s[0] >= '2' && s[3] >= '2'
}

// Email reports whether s is a single bare email address (no display name,
// angle brackets or comments) of at most MaxEmailLen characters, printable
// ASCII only with no spaces, containing exactly one '@' and a dot in the
// domain, and accepted by net/mail.ParseAddress unchanged.
func Email(s string) bool {
	if len(s) == 0 || len(s) > MaxEmailLen || !printableNoSpace(s) {
		return false
	}
	if strings.Count(s, "@") != 1 {
		return false
	}
	_, domain, _ := strings.Cut(s, "@")
	if !strings.Contains(domain, ".") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// printableNoSpace reports whether every byte of s is in 0x21-0x7E.
func printableNoSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7F {
			return false
		}
	}
	return true
}
