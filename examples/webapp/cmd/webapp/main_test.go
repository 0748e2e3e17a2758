package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/examples/webapp"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestDefaultsAreTheSandboxes(t *testing.T) {
	o, err := parse(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.config
	if o.addr != "127.0.0.1:8081" || c.APIBaseURL != "http://127.0.0.1:8080" || c.FIID != "01111" || c.ClientID != "sandbox-app" ||
		c.ClientSecret != "sandbox-secret" || c.Policy != webapp.SandboxPolicies["01111"] || c.InspectorURL != "http://127.0.0.1:8080/portal/requests" {
		t.Errorf("defaults: %s %+v", o.addr, c)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	vars := env(map[string]string{"WEBAPP_FI": "02222", "WEBAPP_CLIENT_SECRET": "from-env", "WEBAPP_PASSWORD_LENGTH": "10-40",
		"CUSTREG_BASE_URL": "https://api.fcu.example"})
	o, err := parse([]string{"-fi", "00016", "-username-length", "6-12"}, vars, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := webapp.Policy{UsernameMin: 6, UsernameMax: 12, PasswordMin: 10, PasswordMax: 40}
	if c := o.config; c.FIID != "00016" || c.ClientSecret != "from-env" || c.Policy != want || c.APIBaseURL != "https://api.fcu.example" {
		t.Errorf("%+v", c)
	}
	// Without length flags an FI the table does not know gets the service's defaults.
	o, _ = parse([]string{"-fi", "00016"}, env(nil), io.Discard)
	if o.config.Policy != webapp.DefaultPolicy {
		t.Errorf("policy %+v", o.config.Policy)
	}
	for _, bad := range []string{"8", "20-8", "a-b", "0-5"} {
		if _, err := parse([]string{"-username-length", bad}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "-username-length") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestServesUntilCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", addr}, env(nil), io.Discard) }()
	var res *http.Response
	for range 100 {
		if res, err = http.Get("http://" + addr + "/static/app.css"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("app.css: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
