package rules

import (
	"net"
	"net/url"
	"strings"
)

// Bounds of an FI's messaging-gateway settings.
const (
	MaxWebhookURLLen    = 2048
	MinWebhookSecretLen = 16
	MaxWebhookSecretLen = 256
)

// WebhookURL reports whether s may be an FI's messaging-gateway URL: an absolute https URL of at
// most MaxWebhookURLLen printable characters, without user info or fragment; plain http only to
// a loopback host (localhost, 127.0.0.0/8, ::1), for tests and the sandbox, since the body it
// carries is a passcode.
func WebhookURL(s string) bool {
	if s == "" || len(s) > MaxWebhookURLLen || !printableNoSpace(s) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return LoopbackHost(u.Hostname())
	}
	return false
}

// LoopbackHost reports whether host (without port) names this machine: "localhost" or a
// loopback IP literal.
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WebhookSecret reports whether s may sign an FI's webhook calls: printable ASCII without
// spaces, MinWebhookSecretLen to MaxWebhookSecretLen bytes.
func WebhookSecret(s string) bool {
	return len(s) >= MinWebhookSecretLen && len(s) <= MaxWebhookSecretLen && printableNoSpace(s)
}
