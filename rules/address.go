package rules

import "strings"

// MaxAddressLen is the greatest number of runes accepted in an address line.
const MaxAddressLen = 128

// usStates is the set of USPS codes: the 50 states, DC, the inhabited
// territories, the freely associated states and the armed forces codes.
var usStates = map[string]struct{}{
	"AL": {}, "AK": {}, "AZ": {}, "AR": {}, "CA": {}, "CO": {}, "CT": {}, "DE": {}, "FL": {}, "GA": {},
	"HI": {}, "ID": {}, "IL": {}, "IN": {}, "IA": {}, "KS": {}, "KY": {}, "LA": {}, "ME": {}, "MD": {},
	"MA": {}, "MI": {}, "MN": {}, "MS": {}, "MO": {}, "MT": {}, "NE": {}, "NV": {}, "NH": {}, "NJ": {},
	"NM": {}, "NY": {}, "NC": {}, "ND": {}, "OH": {}, "OK": {}, "OR": {}, "PA": {}, "RI": {}, "SC": {},
	"SD": {}, "TN": {}, "TX": {}, "UT": {}, "VT": {}, "VA": {}, "WA": {}, "WV": {}, "WI": {}, "WY": {},
	"DC": {},
	"AS": {}, "GU": {}, "MP": {}, "PR": {}, "VI": {},
	"FM": {}, "MH": {}, "PW": {},
	"AA": {}, "AE": {}, "AP": {},
}

// USState reports whether s is a USPS state or territory code in upper case
// (case-sensitive): the 50 states, DC, AS, GU, MP, PR, VI, FM, MH, PW, AA,
// AE and AP.
func USState(s string) bool {
	_, ok := usStates[s]
	return ok
}

// USPostalCode reports whether s matches ^\d{5}(-?\d{4})?$ with ASCII
// digits only: a ZIP code or ZIP+4 with or without the dash.
func USPostalCode(s string) bool {
	switch len(s) {
	case 5, 9:
		return allASCIIDigits(s)
	case 10:
		return s[5] == '-' && allASCIIDigits(s[:5]) && allASCIIDigits(s[6:])
	}
	return false
}

// IsUS reports whether country names the United States. Exactly "US",
// "USA", "us" and "usa" are accepted; mixed case such as "Us" is not.
func IsUS(country string) bool {
	switch country {
	case "US", "USA", "us", "usa":
		return true
	}
	return false
}

// Country reports whether s is an officially assigned ISO 3166-1 alpha-2 or
// alpha-3 code. Input is matched case-insensitively over ASCII letters only
// ("de" and "deu" pass); anything else fails.
func Country(s string) bool {
	if (len(s) != 2 && len(s) != 3) || !allASCIILetters(s) {
		return false
	}
	s = strings.ToUpper(s)
	if len(s) == 2 {
		_, ok := alpha2Codes[s]
		return ok
	}
	_, ok := alpha3Codes[s]
	return ok
}

// allASCIILetters reports whether every byte of s is an ASCII letter.
func allASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIILetter(s[i]) {
			return false
		}
	}
	return true
}
