package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLoopbackURL(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 9090}, "http://127.0.0.1:9090"},
		{&net.TCPAddr{Port: 9090}, "http://127.0.0.1:9090"},
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 80}, "http://192.0.2.7:80"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "http://[::1]:8080"},
	} {
		if got := loopbackURL(tc.addr); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.addr, got, tc.want)
		}
	}
}

// TestSandboxServesTheSample: `custreg --sandbox` serves the reference registration app at
// /sample/register, with FI 01111's policy from its record, and the app reaches the API at the
// server's own address (choosing sandbox-app asks the V1 token service).
func TestSandboxServesTheSample(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--sandbox", "--db", filepath.Join(t.TempDir(), "c.db"), "--addr", addr}, env(nil), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := "http://" + addr
	waitFor(t, base+"/readyz")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	page := func(res *http.Response, err error) (string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", res.Request.URL, res.StatusCode, body)
		}
		return res.Request.URL.Path, string(body)
	}
	path, body := page(browser.Get(base + "/sample/register"))
	if path != "/sample/register/keys" || !strings.Contains(body, "Sandbox Federal Credit Union") {
		t.Fatalf("%s:\n%s", path, body)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)[1]
	path, body = page(browser.PostForm(base+"/sample/register/keys", url.Values{"csrf": {csrf}, "use": {"suggested"}}))
	if path != "/sample/register/account" || !strings.Contains(body, "Username: 8 to 20 characters.") {
		t.Fatalf("after choosing sandbox-app: %s:\n%s", path, body)
	}
}
