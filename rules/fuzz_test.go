package rules

// Fuzz targets for every field validator of the package. Each checks the rule against an
// independent reading of it (a regular expression, time.Parse, net.ParseIP, net/url) or, where
// the rule is a judgement rather than a grammar, against the properties it promises. Their seed
// corpora are in testdata/fuzz (declared here, see package fuzzcorpus).

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/custreg/custreg/internal/fuzzcorpus"
)

// textSeeds are the valid examples given plus every hostile text value.
func textSeeds(valid ...string) []fuzzcorpus.Seed {
	var seeds []fuzzcorpus.Seed
	for i, v := range valid {
		seeds = append(seeds, fuzzcorpus.S("valid-"+strconv.Itoa(i+1), v))
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, h.Value))
	}
	return seeds
}

var (
	nineDigits  = regexp.MustCompile(`^[0-9]{9}$`)
	nanpPattern = regexp.MustCompile(`^[2-9][0-9]{2}[2-9][0-9]{6}$`)
	memberChars = regexp.MustCompile(`^[A-Za-z0-9]{1,16}$`)
	fiPattern   = regexp.MustCompile(`^[0-9]{5}$`)
	zipPattern  = regexp.MustCompile(`^[0-9]{5}(-?[0-9]{4})?$`)
	upperPair   = regexp.MustCompile(`^[A-Z]{2}$`)
	letters23   = regexp.MustCompile(`^[A-Za-z]{2,3}$`)
	secretChars = regexp.MustCompile(`^[!-~]{16,256}$`)
)

// ssnOracle: nine ASCII digits; area 001-899 except 666, group 01-99, serial 0001-9999.
func ssnOracle(s string) bool {
	if !nineDigits.MatchString(s) {
		return false
	}
	area, _ := strconv.Atoi(s[:3])
	group, _ := strconv.Atoi(s[3:5])
	serial, _ := strconv.Atoi(s[5:])
	return area >= 1 && area <= 899 && area != 666 && group >= 1 && serial >= 1
}

// birthDateOracle reads the date with time.Parse and compares calendar dates.
func birthDateOracle(s string, now time.Time) bool {
	d, err := time.Parse("2006-01-02", s)
	if err != nil || d.Format("2006-01-02") != s {
		return false
	}
	y, m, day := now.UTC().Date()
	today := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	return !d.After(today) && !d.Before(today.AddDate(-MaxAgeYears, 0, 0))
}

func FuzzIdentity(f *testing.F) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).Unix()
	leap := time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC).Unix()
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("ssn-valid", "123456789", now),
		fuzzcorpus.S("ssn-area-666", "666123456", now),
		fuzzcorpus.S("ssn-area-9xx", "912345678", now),
		fuzzcorpus.S("ssn-group-00", "123006789", now),
		fuzzcorpus.S("ssn-serial-0000", "123450000", now),
		fuzzcorpus.S("ssn-dashes", "123-45-6789", now),
		fuzzcorpus.S("ssn-arabic-digits", "١٢٣٤٥٦٧٨٩", now),
		fuzzcorpus.S("birth-date-valid", "1989-10-09", now),
		fuzzcorpus.S("birth-date-today", "2025-03-01", now),
		fuzzcorpus.S("birth-date-tomorrow", "2025-03-02", now),
		fuzzcorpus.S("birth-date-125-years", "1900-03-01", now),
		fuzzcorpus.S("birth-date-leap-now", "1899-03-01", leap),
		fuzzcorpus.S("birth-date-not-leap", "2023-02-29", now),
		fuzzcorpus.S("birth-date-year-zero", "0000-01-01", now),
		fuzzcorpus.S("birth-date-unpadded", "1989-1-9", now),
		fuzzcorpus.S("birth-date-datetime", "1989-10-09T00:00:00Z", now),
		fuzzcorpus.S("birth-date-far-future-now", "9999-12-31", int64(1)<<40),
		fuzzcorpus.S("birth-date-negative-now", "1969-12-31", int64(-1)<<40),
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, h.Value, now))
	}
	fuzzcorpus.Check(f, seeds)
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		if got, want := SSN(s), ssnOracle(s); got != want {
			t.Fatalf("SSN(%+q) = %v, oracle %v", s, got, want)
		}
		now := time.Unix(unix, 0)
		if got, want := BirthDate(s, now), birthDateOracle(s, now); got != want {
			t.Fatalf("BirthDate(%+q, %v) = %v, oracle %v", s, now.UTC(), got, want)
		}
	})
}

func FuzzContact(f *testing.F) {
	fuzzcorpus.Check(f, textSeeds("2125550123", "1234567890", "212-555-0123", "john@example.com",
		"J.O'Brien@example.com", `"john"@example.com`, "John <john@example.com>", "john@example", "a@b.c,d@e.f",
		"jöhn@example.com", strings.Repeat("a", 52)+"@example.com", "100200300", "ABCdef123", "12345", "01111",
		"１２３", "123_456"))
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := NANPPhone(s), nanpPattern.MatchString(s); got != want {
			t.Fatalf("NANPPhone(%+q) = %v, want %v", s, got, want)
		}
		if got, want := MemberNumber(s), memberChars.MatchString(s); got != want {
			t.Fatalf("MemberNumber(%+q) = %v, want %v", s, got, want)
		}
		if got, want := FIID(s), fiPattern.MatchString(s); got != want {
			t.Fatalf("FIID(%+q) = %v, want %v", s, got, want)
		}
		if Email(s) {
			local, domain, _ := strings.Cut(s, "@")
			a, err := mail.ParseAddress(s)
			switch {
			case len(s) > MaxEmailLen, strings.Count(s, "@") != 1, local == "", !strings.Contains(domain, "."):
				t.Fatalf("Email accepted %+q", s)
			case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f }), !SafeText(s):
				t.Fatalf("Email accepted %+q with a space, control or non-ASCII character", s)
			case err != nil || a.Address != s || a.Name != "":
				t.Fatalf("Email accepted %+q, which net/mail reads as %v, %v", s, a, err)
			}
		}
	})
}

func FuzzAddress(f *testing.F) {
	fuzzcorpus.Check(f, textSeeds("IL", "il", "DC", "AE", "XX", "62701", "62701-1234", "627011234", "62701-123",
		"US", "USA", "usa", "Us", "DEU", "deu", "uſ", "ÜS", "100 Main St", " \t\u00a0\u3000"))
	f.Fuzz(func(t *testing.T, s string) {
		if USState(s) && !upperPair.MatchString(s) {
			t.Fatalf("USState accepted %+q", s)
		}
		if got, want := USPostalCode(s), zipPattern.MatchString(s); got != want {
			t.Fatalf("USPostalCode(%+q) = %v, want %v", s, got, want)
		}
		if Country(s) {
			if !letters23.MatchString(s) {
				t.Fatalf("Country accepted %+q", s)
			}
			if !Country(strings.ToUpper(s)) || !Country(strings.ToLower(s)) {
				t.Fatalf("Country(%+q) depends on case", s)
			}
		}
		if IsUS(s) && !Country(s) {
			t.Fatalf("IsUS(%+q) but not a country", s)
		}
		if got, want := Blank(s), strings.TrimFunc(s, unicode.IsSpace) == ""; got != want {
			t.Fatalf("Blank(%+q) = %v, want %v", s, got, want)
		}
		n := utf8.RuneCountInString(s)
		if TooLong(s, n) || (n > 0 && !TooLong(s, n-1)) {
			t.Fatalf("TooLong(%+q) disagrees with its %d runes", s, n)
		}
		if NameTooLong(s) != (n > MaxNameLen) || CombinedNameTooLong(s, s) != (2*n > MaxNameLen) {
			t.Fatalf("name length rules disagree on %+q (%d runes)", s, n)
		}
		printable := !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e })
		if Printable(s) != printable {
			t.Fatalf("Printable(%+q) = %v", s, Printable(s))
		}
	})
}

func FuzzCheckPassword(f *testing.F) {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("valid", "Blue!Sky42", "jane.doe", 8, 32),
		fuzzcorpus.S("one-class", "abcdefgh", "jane.doe", 8, 32),
		fuzzcorpus.S("space", "Blue Sky42", "jane.doe", 8, 32),
		fuzzcorpus.S("in-login", "Jane.D", "jane.doe1", 6, 32),
		fuzzcorpus.S("unicode-letters-digits", "Zoë١٢٣٤٥", "x", 6, 32),
		fuzzcorpus.S("no-break-space", "Blue\u00a0Sky42", "x", 6, 32),
		fuzzcorpus.S("nul", "Blue\x00Sky42", "x", 6, 32),
		fuzzcorpus.S("invalid-utf8", "Blue\xffSky42", "x", 6, 32),
		fuzzcorpus.S("empty-range", "Blue!Sky42", "x", 0, 0),
		fuzzcorpus.S("inverted-range", "Blue!Sky42", "x", 32, 8),
		fuzzcorpus.S("huge-range", strings.Repeat("a1", 200), "x", -1<<62, 1<<62),
	}
	fuzzcorpus.Check(f, seeds)
	f.Fuzz(func(t *testing.T, password, login string, minLen, maxLen int) {
		if got, want := ValidUsernameRange(minLen, maxLen), 6 <= minLen && minLen <= maxLen && maxLen <= 20; got != want {
			t.Fatalf("ValidUsernameRange(%d, %d) = %v", minLen, maxLen, got)
		}
		if got, want := ValidPasswordRange(minLen, maxLen), 6 <= minLen && minLen <= maxLen && maxLen <= 128; got != want {
			t.Fatalf("ValidPasswordRange(%d, %d) = %v", minLen, maxLen, got)
		}
		if !CheckPassword(password, login, minLen, maxLen) {
			return
		}
		n := utf8.RuneCountInString(password)
		switch {
		case n == 0 || n < minLen || n > maxLen:
			t.Fatalf("accepted %d runes outside [%d, %d]", n, minLen, maxLen)
		case strings.ContainsFunc(password, unicode.IsSpace):
			t.Fatalf("accepted white space in %+q", password)
		case strings.Contains(strings.ToLower(login), strings.ToLower(password)):
			t.Fatalf("accepted %+q, part of the login %+q", password, login)
		case !CheckPassword(password, login, 0, max(maxLen, n)):
			t.Fatalf("accepted %+q in [%d, %d] but not in a wider range", password, minLen, maxLen)
		}
		var classes int
		for _, has := range []func(rune) bool{unicode.IsLetter, unicode.IsDigit,
			func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }} {
			if strings.ContainsFunc(password, has) {
				classes++
			}
		}
		if classes < 2 {
			t.Fatalf("accepted %+q with one character class", password)
		}
	})
}

func FuzzNetwork(f *testing.F) {
	fuzzcorpus.Check(f, textSeeds("203.0.113.7", "::1", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1%eth0", "1.2.3.4:80",
		"[::1]", "01.2.3.4", "1.2.3", "https://gateway.example/sms", "http://127.0.0.1:9/sms", "http://localhost/x",
		"http://LOCALHOST./x", "http://10.0.0.1/x", "https://user:pass@gateway.example/", "https://gateway.example/#frag",
		"https:opaque", "HTTPS://GATEWAY.EXAMPLE/", "https://[::1]:8443/x", "0123456789abcdef", "short-secret",
		"javascript:alert(1)", "http://example.com/disclosure.pdf"))
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IPAddress(s), net.ParseIP(s) != nil; got != want {
			t.Fatalf("IPAddress(%+q) = %v, net.ParseIP says %v", s, got, want)
		}
		if got, want := WebhookSecret(s), secretChars.MatchString(s); got != want {
			t.Fatalf("WebhookSecret(%+q) = %v, want %v", s, got, want)
		}
		if WebhookURL(s) {
			u, err := url.Parse(s)
			switch {
			case err != nil, len(s) > MaxWebhookURLLen, u.Host == "", u.User != nil, u.Fragment != "":
				t.Fatalf("WebhookURL accepted %+q", s)
			case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
				t.Fatalf("WebhookURL accepted %+q with a space, control or non-ASCII character", s)
			case u.Scheme != "https" && !(u.Scheme == "http" && LoopbackHost(u.Hostname())):
				t.Fatalf("WebhookURL accepted %+q: plain http to %q", s, u.Hostname())
			}
		}
		if LoopbackHost(s) {
			ip := net.ParseIP(s)
			if !strings.EqualFold(s, "localhost") && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("LoopbackHost accepted %+q", s)
			}
		}
		if DisclosureDataURL(s) {
			u, err := url.Parse(s)
			if err != nil || !Printable(s) || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("DisclosureDataURL accepted %+q", s)
			}
		}
	})
}
