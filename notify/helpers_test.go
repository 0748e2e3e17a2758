package notify_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/custreg/custreg/notify"
)

// assertNoSecrets fails when text shows the message's destination (or its user part, or a
// phone's digits), subject, body or passcode, in any case.
func assertNoSecrets(t *testing.T, what, text string, m notify.Message) {
	t.Helper()
	lower := strings.ToLower(text)
	values := map[string]string{"destination": m.To, "body": m.Body, "passcode": m.Passcode, "subject": m.Subject}
	if local, _, ok := strings.Cut(m.To, "@"); ok {
		values["destination's user"] = local
	}
	if d := digits(m.To); len(d) >= 7 {
		values["destination's digits"] = d[len(d)-7:]
	}
	for name, v := range values {
		if v != "" && strings.Contains(lower, strings.ToLower(v)) {
			t.Errorf("%s shows the %s: %s", what, name, text)
		}
	}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// closedPort is a loopback port nothing listens on (it was free a moment ago).
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

func itoa(n int) string { return strconv.Itoa(n) }
