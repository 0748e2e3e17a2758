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
