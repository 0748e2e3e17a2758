package config

import (
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/limits"
)

// TestLimitsDefaultsEnvironmentAndFlags: the abuse limits default as docs/security.md says, read
// rates from CUSTREG_* variables and flags (flags win), and "none" turns one off.
func TestLimitsDefaultsEnvironmentAndFlags(t *testing.T) {
	cfg, err := Parse(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AppQuota != (limits.Rate{N: 50000, Per: time.Hour}) || cfg.AppSpikeArrest != (limits.Rate{N: 100, Per: time.Second}) ||
		cfg.TokenRatePerAddress != (limits.Rate{N: 50, Per: time.Second}) || cfg.FailedLoginsPerAddress != (limits.Rate{N: 60, Per: time.Minute}) ||
		cfg.HashConcurrency != 0 || cfg.HashQueue != 16 || cfg.HashWait != time.Second || cfg.MaxConnections != 1024 ||
		cfg.MaxBodyBytesInFlight != 16<<20 {
		t.Errorf("defaults: %+v", cfg)
	}
	env := map[string]string{"CUSTREG_APP_QUOTA": "1000/d", "CUSTREG_APP_SPIKE_ARREST": "none", "CUSTREG_FAILED_LOGINS_PER_ADDRESS": "5/m"}
	cfg, err = Parse([]string{"--app-quota", "20/m", "--max-connections", "64"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AppQuota.String() != "20/m" || !cfg.AppSpikeArrest.None() || cfg.FailedLoginsPerAddress.String() != "5/m" || cfg.MaxConnections != 64 {
		t.Errorf("got %v %v %v %d", cfg.AppQuota, cfg.AppSpikeArrest, cfg.FailedLoginsPerAddress, cfg.MaxConnections)
	}
}

func TestLimitsRefuseBadValuesNamingTheirSource(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"CUSTREG_APP_QUOTA": "lots"}, "CUSTREG_APP_QUOTA"},
		{[]string{"--token-rate-per-address", "0/s"}, nil, "token-rate-per-address"},
		{[]string{"--hash-queue", "-1"}, nil, "--hash-queue"},
		{[]string{"--hash-wait", "10s"}, nil, "--hash-wait"},
		{[]string{"--max-connections", "0"}, nil, "--max-connections"},
		{[]string{"--max-body-bytes-in-flight", "1048576"}, nil, "--max-body-bytes-in-flight"},
		{[]string{"--tls-cert", "cert.pem"}, nil, "--tls-key"},
		{[]string{"--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"}, nil, "do not load"},
	} {
		_, err := Parse(tc.args, func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want an error naming %s", tc.args, tc.env, err, tc.want)
		}
	}
	if _, err := Parse([]string{"--max-body-bytes-in-flight", "0"}, func(string) string { return "" }); err != nil {
		t.Errorf("0 (no bound): %v", err)
	}
}
