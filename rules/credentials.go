package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Absolute username and password length limits. An FI's configured ranges
// must lie within them (see ValidUsernameRange and ValidPasswordRange).
const (
	UsernameMinLen      = 6   // shortest username any FI may allow
	UsernameMaxLen      = 256 // longest syntactically valid username
	UsernameMaxRangeLen = 20  // greatest maximum an FI may configure
	PasswordMinLen      = 6   // least minimum an FI may configure
	PasswordMaxLen      = 128 // greatest maximum an FI may configure
)

// UsernameSpecials lists the non-alphanumeric characters allowed in a
// username.
const UsernameSpecials = "@$*_-=.!~"

// UsernameProblem classifies the first rule a username breaks.
type UsernameProblem int

// Username problems, in order of precedence.
const (
	// UsernameOK means the username passed every rule.
	UsernameOK UsernameProblem = iota
	// UsernameInvalid means the length is outside 6-256, a character is not
	// an ASCII letter, digit or one of UsernameSpecials, or it is all digits
	// (caller code 220015).
	UsernameInvalid
	// UsernameOutOfRange means the length is outside the FI's configured
	// range (caller code 220019).
	UsernameOutOfRange
	// UsernameEqualsMember means the username equals the member number,
	// ignoring ASCII case (caller code 220016).
	UsernameEqualsMember
)

// String returns the constant's name; it never includes a username.
func (p UsernameProblem) String() string {
	switch p {
	case UsernameOK:
		return "UsernameOK"
	case UsernameInvalid:
		return "UsernameInvalid"
	case UsernameOutOfRange:
		return "UsernameOutOfRange"
	case UsernameEqualsMember:
		return "UsernameEqualsMember"
	}
	return "UsernameProblem(unknown)"
}

// CheckUsername returns the first rule login breaks, in this order:
// UsernameInvalid (syntax), UsernameOutOfRange (outside [minLen, maxLen]),
// UsernameEqualsMember (equal to memberNumber ignoring ASCII case); or
// UsernameOK.
func CheckUsername(login string, minLen, maxLen int, memberNumber string) UsernameProblem {
	switch {
	case !usernameSyntax(login):
		return UsernameInvalid
	case len(login) < minLen || len(login) > maxLen:
		return UsernameOutOfRange
	case asciiEqualFold(login, memberNumber):
		return UsernameEqualsMember
	}
	return UsernameOK
}

// usernameSyntax reports whether login is 6-256 characters drawn from ASCII
// letters, digits and UsernameSpecials, and not made only of digits.
func usernameSyntax(login string) bool {
	if len(login) < UsernameMinLen || len(login) > UsernameMaxLen || allASCIIDigits(login) {
		return false
	}
	for i := 0; i < len(login); i++ {
		c := login[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && strings.IndexByte(UsernameSpecials, c) < 0 {
			return false
		}
	}
	return true
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case only.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases an ASCII upper-case letter and returns other bytes
// unchanged.
func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// ValidUsernameRange reports whether an FI's configured username length
// range satisfies 6 <= min <= max <= 20.
func ValidUsernameRange(min, max int) bool {
	return UsernameMinLen <= min && min <= max && max <= UsernameMaxRangeLen
}

// NormalizeUsername returns the form used for per-FI uniqueness checks:
// usernames are unique case-insensitively, so it lower-cases login.
func NormalizeUsername(login string) string { return strings.ToLower(login) }

// CheckPassword reports whether password is acceptable for login: its rune
// count is within [minLen, maxLen], it contains no white space, it mixes at
// least two of letters, digits and specials (anything else), and it is not
// a substring of login ignoring case.
func CheckPassword(password, login string, minLen, maxLen int) bool {
	n := utf8.RuneCountInString(password)
	if n < minLen || n > maxLen || n == 0 {
		return false
	}
	if passwordClasses(password) < 2 {
		return false
	}
	return !strings.Contains(strings.ToLower(login), strings.ToLower(password))
}

// passwordClasses counts how many of letters, digits and specials appear in
// password, returning 0 if it contains any white space.
func passwordClasses(password string) int {
	var letter, digit, special bool
	for _, r := range password {
		switch {
		case unicode.IsSpace(r):
			return 0
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		default:
			special = true
		}
	}
	return btoi(letter) + btoi(digit) + btoi(special)
}

// btoi returns 1 for true and 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ValidPasswordRange reports whether an FI's configured password length
// range satisfies 6 <= min <= max <= 128.
func ValidPasswordRange(min, max int) bool {
	return PasswordMinLen <= min && min <= max && max <= PasswordMaxLen
}
