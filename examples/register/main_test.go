package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
)

// sandbox serves the whole stack, built by handlers.New as main builds it, over a fresh SQLite
// database with the sandbox loaded.
func sandbox(t *testing.T) string {
	t.Helper()
	store := dbtest.SQLite(t)
	dbtest.Sandbox(t, store)
	e, err := handlers.New(handlers.Options{Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatalf("build stack: %v", err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRegisterThroughTheGeneratedClient(t *testing.T) {
	base := sandbox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := Options{BaseURL: base, FI: "01111", ClientID: "sandbox-app", ClientSecret: "sandbox-secret"}

	first, err := Register(ctx, opts)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(first.GUID) {
		t.Errorf("GUID %q is not 32 lower-case hex", first.GUID)
	}
	var out bytes.Buffer
	report(&out, first)
	if want := "customer GUID: " + first.GUID + "\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("output %q does not end with %q", out.String(), want)
	}

	// A second run registers somebody else: the example can run repeatedly against one sandbox.
	second, err := Register(ctx, opts)
	if err != nil {
		t.Fatalf("second Register: %v", err)
	}
	if second.GUID == first.GUID || second.LoginID == first.LoginID || second.MemberNumber == first.MemberNumber {
		t.Errorf("second run reused identifiers: %+v and %+v", first, second)
	}
}

// TestRegisterAtBothSandboxFIs: the example's identifiers fit FI 02222 (login ids 6–12,
// disclosures at first login) as well as 01111.
func TestRegisterAtBothSandboxFIs(t *testing.T) {
	base := sandbox(t)
	for _, fi := range []string{"01111", "02222"} {
		if _, err := Register(context.Background(), Options{BaseURL: base, FI: fi, ClientID: "sandbox-app", ClientSecret: "sandbox-secret"}); err != nil {
			t.Errorf("FI %s: %v", fi, err)
		}
	}
}

func TestRegisterReportsTheServiceError(t *testing.T) {
	base := sandbox(t)
	_, err := Register(context.Background(), Options{BaseURL: base, FI: "01111", ClientID: "sandbox-app", ClientSecret: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "90001") {
		t.Fatalf("want the 401 90001 answer of the token service, got %v", err)
	}
}
