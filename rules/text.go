package rules

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxNameLen is the greatest number of runes accepted in a first name, a
// last name, and the two combined.
const MaxNameLen = 39

// NameTooLong reports whether s has more than MaxNameLen runes.
func NameTooLong(s string) bool { return TooLong(s, MaxNameLen) }

// CombinedNameTooLong reports whether first and last together have more
// than MaxNameLen runes.
func CombinedNameTooLong(first, last string) bool {
	return utf8.RuneCountInString(first)+utf8.RuneCountInString(last) > MaxNameLen
}

// TooLong reports whether s has more than max runes.
func TooLong(s string, max int) bool { return utf8.RuneCountInString(s) > max }

// Blank reports whether s is empty once leading and trailing white space
// (as defined by unicode.IsSpace) is trimmed.
func Blank(s string) bool { return strings.TrimSpace(s) == "" }

// Printable reports whether every byte of s is printable ASCII (0x20-0x7E).
// The empty string is printable.
func Printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// DisclosureDataURL reports whether s is printable ASCII and parses with
// net/url as an absolute http or https URL (scheme matched
// case-insensitively) with a non-empty host.
func DisclosureDataURL(s string) bool {
	if s == "" || !Printable(s) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
