package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/examples/webapp"
	"github.com/custreg/custreg/handlers"
)

// The sandbox's sample app registers customers at FI 01111 and offers the sandbox's published
// client app as its one-click choice (db/sandbox.yaml provisions both).
const (
	sampleFI           = "01111"
	sampleClientID     = "sandbox-app"
	sampleClientSecret = "sandbox-secret"
)

// sampleApp builds the reference registration app the sandbox serves at handlers.SamplePath. It
// calls the API like any integrator, over HTTP at the service's own address, and asks each
// session for the keys to use. The FI's username and password limits come from the FI's record,
// which this service has at hand (an integrator's app has them from its configuration).
func sampleApp(ctx context.Context, store *db.Store, addr net.Addr, log *slog.Logger) (http.Handler, error) {
	fi, err := store.Institution(ctx, sampleFI)
	if err != nil {
		return nil, fmt.Errorf("sample app: FI %s: %w", sampleFI, err)
	}
	return webapp.New(webapp.Config{
		APIBaseURL:            loopbackURL(addr),
		FIID:                  fi.ID,
		FIName:                fi.Name,
		SuggestedClientID:     sampleClientID,
		SuggestedClientSecret: sampleClientSecret,
		Policy: webapp.Policy{UsernameMin: fi.UsernameMin, UsernameMax: fi.UsernameMax,
			PasswordMin: fi.PasswordMin, PasswordMax: fi.PasswordMax},
		BasePath:     handlers.SamplePath,
		InspectorURL: "/portal/requests",
		PortalURL:    "/portal",
		OfferingID:   "custreg-sandbox-sample",
		HTTPClient:   &http.Client{Timeout: 15 * time.Second},
		Log:          log,
	})
}

// loopbackURL is the base URL at which this process reaches its own listener: 127.0.0.1 for a
// listener on every address, else the address itself.
func loopbackURL(addr net.Addr) string {
	host, port := "127.0.0.1", "0"
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
		if tcp.IP != nil && !tcp.IP.IsUnspecified() {
			host = tcp.IP.String()
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}
