package rules

// FIID reports whether s is an FI id: exactly five ASCII digits, such as "01111".
func FIID(s string) bool { return len(s) == 5 && allASCIIDigits(s) }
