package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/custreg/custreg/internal/fuzzcorpus"
)

func TestCheckUsername(t *testing.T) {
	const minLen, maxLen = 8, 20
	rep := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		login  string
		member string
		want   UsernameProblem
	}{
		{"ok", "johnsmith", "12345", UsernameOK},
		{"5 chars", rep(5), "", UsernameInvalid},
		{"6 chars, below FI range", rep(6), "", UsernameOutOfRange},
		{"7 chars, below FI range", rep(7), "", UsernameOutOfRange},
		{"8 chars, FI minimum", rep(8), "", UsernameOK},
		{"20 chars, FI maximum", rep(20), "", UsernameOK},
		{"21 chars, above FI range", rep(21), "", UsernameOutOfRange},
		{"256 chars", rep(256), "", UsernameOutOfRange},
		{"257 chars", rep(257), "", UsernameInvalid},
		{"empty", "", "", UsernameInvalid},
		{"all digits", "12345678", "", UsernameInvalid},
		{"all digits, 5", "12345", "", UsernameInvalid},
		{"digits and letter", "1234567a", "", UsernameOK},
		{"inner space", "john smith", "", UsernameInvalid},
		{"leading space", " johnsmith", "", UsernameInvalid},
		{"trailing space", "johnsmith ", "", UsernameInvalid},
		{"tab", "john\tsmith", "", UsernameInvalid},
		{"disallowed special #", "john#smith", "", UsernameInvalid},
		{"disallowed special +", "john+smith", "", UsernameInvalid},
		{"disallowed special %", "john%smith", "", UsernameInvalid},
		{"disallowed quote", "john'smith", "", UsernameInvalid},
		{"non-ASCII letter", "jöhnsmith", "", UsernameInvalid},
		{"full-width digit", "johnsmith１", "", UsernameInvalid},
		{"only specials", "@$*_-=.!~", "", UsernameOK},
		{"digits and special", "1234567.", "", UsernameOK},
		{"equals member", "Member1234", "Member1234", UsernameEqualsMember},
		{"equals member ignoring case", "MEMBER1234", "member1234", UsernameEqualsMember},
		{"differs from member", "Member12345", "Member1234", UsernameOK},
		{"member all digits still invalid", "12345678", "12345678", UsernameInvalid},
		{"out of range beats equals member", "abc123", "abc123", UsernameOutOfRange},
		{"invalid beats out of range", "ab cd", "", UsernameInvalid},
		{"member fold non-ASCII not equal", "kkkkkkkk", "\u212akkkkkkk", UsernameOK},
	}
	for _, c := range UsernameSpecials {
		login := "john" + string(c) + "smith"
		tests = append(tests, struct {
			name   string
			login  string
			member string
			want   UsernameProblem
		}{"special " + string(c), login, "", UsernameOK})
	}
	for _, tt := range tests {
		if got := CheckUsername(tt.login, minLen, maxLen, tt.member); got != tt.want {
			t.Errorf("%s: CheckUsername(%q) = %v, want %v", tt.name, tt.login, got, tt.want)
		}
	}
}

func TestCheckUsernameWideRange(t *testing.T) {
	// With the widest FI range, only syntax and member equality matter.
	if got := CheckUsername("abcdef", 6, 20, ""); got != UsernameOK {
		t.Errorf("6-char username with range 6-20 = %v, want UsernameOK", got)
	}
	if got := CheckUsername("abcde", 6, 20, ""); got != UsernameInvalid {
		t.Errorf("5-char username with range 6-20 = %v, want UsernameInvalid", got)
	}
}

func TestUsernameProblemString(t *testing.T) {
	for p, want := range map[UsernameProblem]string{
		UsernameOK:           "UsernameOK",
		UsernameInvalid:      "UsernameInvalid",
		UsernameOutOfRange:   "UsernameOutOfRange",
		UsernameEqualsMember: "UsernameEqualsMember",
		UsernameProblem(99):  "UsernameProblem(unknown)",
	} {
		if got := p.String(); got != want {
			t.Errorf("UsernameProblem(%d).String() = %q, want %q", int(p), got, want)
		}
	}
}

func TestValidUsernameRange(t *testing.T) {
	tests := []struct {
		min, max int
		want     bool
	}{
		{6, 20, true},
		{6, 6, true},
		{20, 20, true},
		{8, 16, true},
		{5, 20, false},
		{6, 21, false},
		{10, 9, false},
		{0, 0, false},
		{-1, 20, false},
	}
	for _, tt := range tests {
		if got := ValidUsernameRange(tt.min, tt.max); got != tt.want {
			t.Errorf("ValidUsernameRange(%d, %d) = %v, want %v", tt.min, tt.max, got, tt.want)
		}
	}
}

func TestNormalizeUsername(t *testing.T) {
	if got := NormalizeUsername("John.Smith_99"); got != "john.smith_99" {
		t.Errorf("NormalizeUsername = %q, want %q", got, "john.smith_99")
	}
	if NormalizeUsername("JOHNSMITH") != NormalizeUsername("johnsmith") {
		t.Error("usernames differing only in case must normalise equally")
	}
}

func TestCheckPassword(t *testing.T) {
	const login = "johnsmith99"
	tests := []struct {
		name     string
		password string
		login    string
		min, max int
		want     bool
	}{
		{"letters and digits", "abc123", login, 6, 128, true},
		{"letters and specials", "abc!def", login, 6, 128, true},
		{"digits and specials", "123!456", login, 6, 128, true},
		{"all three classes", "Abc!23xyz", login, 6, 128, true},
		{"letters only", "abcdefgh", login, 6, 128, false},
		{"digits only", "12345678", login, 6, 128, false},
		{"specials only", "!@#$%^&*", login, 6, 128, false},
		{"upper and lower only", "AbCdEfGh", login, 6, 128, false},
		{"substring of username", "Smith9", login, 6, 128, false},
		{"substring of username, same case", "smith99", login, 6, 128, false},
		{"whole username", "JohnSmith99", login, 6, 128, false},
		{"contains username", "johnsmith99!", login, 6, 128, true},
		{"not a substring", "Smith98", login, 6, 128, true},
		{"empty username", "abc123", "", 6, 128, true},
		{"space", "abc 123", login, 6, 128, false},
		{"leading space", " abc123", login, 6, 128, false},
		{"tab", "abc\t123", login, 6, 128, false},
		{"newline", "abc123\n", login, 6, 128, false},
		{"no-break space", "abc\u00a0123", login, 6, 128, false},
		{"ideographic space", "abc\u3000123", login, 6, 128, false},
		{"below min", "abc12", login, 6, 128, false},
		{"at min", "abc123", login, 6, 128, true},
		{"at max", "abc1234567", login, 6, 10, true},
		{"above max", "abc12345678", login, 6, 10, false},
		{"runes not bytes", "éééé12", login, 6, 6, true},
		{"non-ASCII letters and digits", "пароль1", login, 6, 128, true},
		{"non-ASCII digits count as digits", "abc١٢٣", login, 6, 128, true},
		{"empty", "", login, 0, 128, false},
	}
	for _, tt := range tests {
		if got := CheckPassword(tt.password, tt.login, tt.min, tt.max); got != tt.want {
			t.Errorf("%s: CheckPassword = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidPasswordRange(t *testing.T) {
	tests := []struct {
		min, max int
		want     bool
	}{
		{6, 128, true},
		{6, 6, true},
		{128, 128, true},
		{8, 64, true},
		{5, 128, false},
		{6, 129, false},
		{12, 8, false},
		{0, 0, false},
	}
	for _, tt := range tests {
		if got := ValidPasswordRange(tt.min, tt.max); got != tt.want {
			t.Errorf("ValidPasswordRange(%d, %d) = %v, want %v", tt.min, tt.max, got, tt.want)
		}
	}
}

func FuzzCheckUsername(f *testing.F) {
	seeds := []struct {
		login    string
		min, max int
		member   string
	}{
		{"johnsmith", 8, 20, "12345"},
		{"abcde", 6, 20, ""},
		{"12345678", 8, 20, "12345678"},
		{"Member1234", 6, 20, "member1234"},
		{"john smith", 6, 20, ""},
		{"@$*_-=.!~", 6, 20, ""},
		{strings.Repeat("a", 257), 6, 20, ""},
		{"jöhnsmith", 6, 20, ""},
		{"\xff\xfe\xfd\xfc\xfb\xfa", 6, 20, ""},
		{"abcdefgh", 20, 8, ""},
		{"abcdefgh", -1, 1 << 30, "ABCDEFGH"},
	}
	var corpus []fuzzcorpus.Seed
	for i, s := range seeds {
		corpus = append(corpus, fuzzcorpus.S(fmt.Sprintf("case-%02d", i+1), s.login, s.min, s.max, s.member))
	}
	for _, h := range fuzzcorpus.HostileText {
		corpus = append(corpus, fuzzcorpus.S("hostile-"+h.Name, h.Value, 6, 20, ""))
	}
	fuzzcorpus.Check(f, corpus)
	f.Fuzz(func(t *testing.T, login string, minLen, maxLen int, member string) {
		got := CheckUsername(login, minLen, maxLen, member)
		switch got {
		case UsernameOK, UsernameOutOfRange, UsernameEqualsMember:
			if len(login) < 6 || len(login) > 256 || allASCIIDigits(login) {
				t.Fatalf("syntactically invalid username classified as %v", got)
			}
			if NormalizeUsername(login) != strings.ToLower(login) {
				t.Fatal("NormalizeUsername differs from strings.ToLower")
			}
		case UsernameInvalid:
		default:
			t.Fatalf("unexpected result %d", int(got))
		}
		if got == UsernameOK && (len(login) < minLen || len(login) > maxLen) {
			t.Fatalf("username outside FI range classified as OK")
		}
		if got == UsernameOK && strings.EqualFold(login, member) && isASCII(member) {
			t.Fatalf("username equal to member number classified as OK")
		}
	})
}

// isASCII reports whether every byte of s is below 0x80.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
