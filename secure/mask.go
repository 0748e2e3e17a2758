package secure

import "strings"

// MaskLast4 replaces every rune of s except the last four with '*', e.g.
// "123456789" -> "*****6789". Strings of four runes or fewer are returned
// unchanged.
func MaskLast4(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return s
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}

// MaskEmail keeps of an email address the first character of its local part and its domain,
// hiding the rest of the local part and its length: "sam.sandbox@example.com" ->
// "s***@example.com". A value without a local part and domain is masked whole ("***").
func MaskEmail(s string) string {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 {
		return "***"
	}
	first := []rune(s[:i])[0]
	return string(first) + "***" + s[i:]
}
