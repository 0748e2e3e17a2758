package rules

import (
	"net/url"
	"strings"
	"unicode"
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

// SafeText reports whether s is valid UTF-8 holding one line of text that shows what it
// stores. It refuses control characters (C0 including NUL, tab, CR and LF; DEL; C1), format
// characters (category Cf: bidi embeddings, overrides, isolates and marks, zero-width
// characters, the byte-order mark, soft hyphen, tags), line and paragraph separators, and the
// other default-ignorable code points (combining grapheme joiner, Hangul fillers), which render
// as nothing and so let two different values look the same. The empty string is safe.
func SafeText(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false // invalid UTF-8
		}
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Other_Default_Ignorable_Code_Point) {
			return false
		}
		i += size
	}
	return true
}
