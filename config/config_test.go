package config

import (
	"log/slog"
	"strings"
	"testing"
)

func TestParsePrecedence(t *testing.T) {
	env := map[string]string{"CUSTREG_ADDR": "127.0.0.1:9000", "CUSTREG_DB": "env.db", "CUSTREG_SANDBOX": "true", "CUSTREG_LOG_LEVEL": "debug"}
	cfg, err := Parse([]string{"--db", "flag.db"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9000" || cfg.DB != "flag.db" || !cfg.Sandbox || cfg.LogLevel != slog.LevelDebug {
		t.Errorf("got %+v", cfg)
	}
	if d := Defaults(); d.Addr != "127.0.0.1:8080" || d.DB != "custreg.db" || d.Sandbox {
		t.Errorf("defaults %+v", d)
	}
}

func TestParseRejectsBadValues(t *testing.T) {
	for _, env := range []map[string]string{
		{"CUSTREG_SANDBOX": "maybe"}, {"CUSTREG_LOG_LEVEL": "loud"}, {"CUSTREG_MAX_BODY_BYTES": "-1"}, {"CUSTREG_SHUTDOWN_TIMEOUT": "soon"},
	} {
		if _, err := Parse(nil, func(k string) string { return env[k] }); err == nil {
			t.Errorf("%v: want an error", env)
		}
	}
	if _, err := Parse([]string{"--pii-key-id", "a.b"}, func(string) string { return "" }); err == nil {
		t.Errorf("a dotted key id must be refused")
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	cfg := Defaults()
	cfg.PIIKey = "c2VjcmV0LWtleS1tYXRlcmlhbC1oZXJlLTMyYnl0ZXM="
	cfg.DB = "postgres://custreg:hunter2@db.internal:5432/custreg?sslmode=require"
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("start", "config", cfg)
	out := b.String()
	if strings.Contains(out, "hunter2") || strings.Contains(out, cfg.PIIKey) {
		t.Errorf("secret leaked: %s", out)
	}
	if !strings.Contains(out, "db.internal") || !strings.Contains(out, "********") {
		t.Errorf("expected a masked DSN: %s", out)
	}
	if !cfg.IsPostgres() || Defaults().IsPostgres() {
		t.Errorf("IsPostgres")
	}
}

func TestTrustedProxies(t *testing.T) {
	cfg, err := Parse([]string{"--trusted-proxies", "10.0.0.0/8, 192.168.1.0/24"}, func(string) string { return "" })
	if err != nil || len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[0].String() != "10.0.0.0/8" {
		t.Fatalf("%v %v", cfg.TrustedProxies, err)
	}
	if _, err := Parse(nil, func(k string) string {
		if k == "CUSTREG_TRUSTED_PROXIES" {
			return "not-a-cidr"
		}
		return ""
	}); err == nil {
		t.Error("a malformed CIDR must be refused")
	}
}

// TestErrorsNameTheirSource: a bad value is reported under the flag or the variable it came
// from, once, and durations are logged as written ("20s"), not in nanoseconds.
func TestErrorsNameTheirSource(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		env       map[string]string
		want, not string
	}{
		{args: []string{"--shutdown-timeout", "5"}, want: "--shutdown-timeout", not: "CUSTREG_SHUTDOWN_TIMEOUT"},
		{env: map[string]string{"CUSTREG_SHUTDOWN_TIMEOUT": "5"}, want: `CUSTREG_SHUTDOWN_TIMEOUT="5"`, not: "--shutdown-timeout"},
		{env: map[string]string{"CUSTREG_DB_TIMEOUT": "10s"}, want: "CUSTREG_DB_TIMEOUT (10s) must be shorter than --request-timeout"},
		{env: map[string]string{"CUSTREG_TRUSTED_PROXIES": "x"}, want: "CUSTREG_TRUSTED_PROXIES"},
		{args: []string{"--trusted-proxies", "x"}, want: "--trusted-proxies"},
	} {
		_, err := Parse(tc.args, func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.not != "" && strings.Contains(err.Error(), tc.not)) {
			t.Errorf("%v %v: want an error naming %s, got %v", tc.args, tc.env, tc.want, err)
		}
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("start", "config", Defaults())
	if !strings.Contains(b.String(), `"shutdown_timeout":"20s"`) {
		t.Errorf("durations in the log: %s", b.String())
	}
}

func TestNotifySettings(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := Parse(nil, none)
	if err != nil || cfg.SMTPHost != "" || cfg.SMTPTLS != "starttls" || cfg.SMTPPort != 0 || cfg.NotifyTimeout.String() != "3s" {
		t.Fatalf("defaults %+v %v", cfg, err)
	}
	env := map[string]string{"CUSTREG_SMTP_HOST": "mail.fcu.example", "CUSTREG_SMTP_PORT": "2525", "CUSTREG_SMTP_TLS": "tls",
		"CUSTREG_SMTP_USERNAME": "relay", "CUSTREG_SMTP_PASSWORD": "hunter2-smtp", "CUSTREG_SMTP_FROM": "FCU <no-reply@fcu.example>",
		"CUSTREG_NOTIFY_TIMEOUT": "2s"}
	cfg, err = Parse(nil, func(k string) string { return env[k] })
	if err != nil || cfg.SMTPHost != "mail.fcu.example" || cfg.SMTPPort != 2525 || cfg.SMTPTLS != "tls" || cfg.SMTPUsername != "relay" ||
		cfg.SMTPPassword != "hunter2-smtp" || cfg.SMTPFrom != "FCU <no-reply@fcu.example>" || cfg.NotifyTimeout.String() != "2s" {
		t.Fatalf("from the environment %+v %v", cfg, err)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("start", "config", cfg)
	if strings.Contains(b.String(), "hunter2-smtp") || !strings.Contains(b.String(), `"smtp_password":"********"`) || !strings.Contains(b.String(), "mail.fcu.example") {
		t.Errorf("start-up log: %s", b.String())
	}
	for name, args := range map[string][]string{
		"host without from":      {"--smtp-host", "mail.fcu.example"},
		"bad from":               {"--smtp-host", "mail.fcu.example", "--smtp-from", "nobody"},
		"user without password":  {"--smtp-username", "relay"},
		"bad TLS mode":           {"--smtp-tls", "ssl"},
		"bad port":               {"--smtp-port", "70000"},
		"timeout past request's": {"--notify-timeout", "10s"},
		"zero timeout":           {"--notify-timeout", "0s"},
	} {
		if _, err := Parse(args, none); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err = Parse(nil, func(k string) string { return map[string]string{"CUSTREG_SMTP_HOST": "mail.fcu.example"}[k] })
	if err == nil || !strings.Contains(err.Error(), "CUSTREG_SMTP_HOST") || !strings.Contains(err.Error(), "--smtp-from") {
		t.Errorf("the error names where each value came from: %v", err)
	}
}

// TestPprofAddrIsLoopbackOnly: the unauthenticated profiler listens only on a loopback address.
func TestPprofAddrIsLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"": true, "127.0.0.1:6060": true, "[::1]:6060": true,
		"0.0.0.0:6060": false, ":6060": false, "10.1.2.3:6060": false, "localhost:6060": false, "127.0.0.1": false} {
		cfg, err := Parse([]string{"--pprof-addr", addr}, func(string) string { return "" })
		if (err == nil) != ok {
			t.Errorf("%q: got %v", addr, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--pprof-addr") {
			t.Errorf("%q: the error must name the flag: %v", addr, err)
		}
		if ok && cfg.PprofAddr != addr {
			t.Errorf("%q: got %q", addr, cfg.PprofAddr)
		}
	}
}
