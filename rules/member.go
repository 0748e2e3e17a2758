package rules

// MaxMemberNumberLen is the greatest number of characters in a member number.
const MaxMemberNumberLen = 16

// MemberNumber reports whether s is 1 to MaxMemberNumberLen characters, each
// an ASCII letter or digit.
func MemberNumber(s string) bool {
	return len(s) >= 1 && len(s) <= MaxMemberNumberLen && allASCIIAlnum(s)
}
