package rules

import (
	"strings"
	"testing"
)

func TestWebhookURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://gateway.fi.example/messages":                        true,
		"https://gateway.fi.example:8443/v1/send?x":                  true,
		"http://127.0.0.1:9/custreg":                                 true,
		"http://127.8.9.10/x":                                        true,
		"http://localhost:8080/hook":                                 true,
		"http://[::1]:8080/hook":                                     true,
		"http://gateway.fi.example/messages":                         false, // clear text off the machine
		"http://10.0.0.1/hook":                                       false,
		"http://localhost.fi.example/hook":                           false,
		"https://user:pw@gateway.fi.example/":                        false,
		"https://gateway.fi.example/#frag":                           false,
		"ftp://gateway.fi.example/":                                  false,
		"https:///nohost":                                            false,
		"gateway.fi.example/messages":                                false,
		"https://gateway.fi.example/a b":                             false,
		"":                                                           false,
		"https://x.example/" + strings.Repeat("a", MaxWebhookURLLen): false,
	} {
		if got := WebhookURL(s); got != want {
			t.Errorf("WebhookURL(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestWebhookSecret(t *testing.T) {
	for s, want := range map[string]bool{
		"0123456789abcdef":                         true,
		"0123456789abcde":                          false,
		strings.Repeat("s", MaxWebhookSecretLen):   true,
		strings.Repeat("s", MaxWebhookSecretLen+1): false,
		"0123456789 abcdef":                        false,
		"0123456789abcdef\n":                       false,
	} {
		if got := WebhookSecret(s); got != want {
			t.Errorf("WebhookSecret(%q) = %v, want %v", s, got, want)
		}
	}
}
