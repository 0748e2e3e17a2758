package config

import (
	"strings"
	"testing"
	"time"
)

func TestTimeoutsDefaultsEnvironmentAndFlags(t *testing.T) {
	d := Defaults()
	if d.RequestTimeout != 10*time.Second || d.DBTimeout != 5*time.Second || d.WriteTimeout != 30*time.Second {
		t.Errorf("defaults: request %v, db %v, write %v", d.RequestTimeout, d.DBTimeout, d.WriteTimeout)
	}
	env := map[string]string{"CUSTREG_REQUEST_TIMEOUT": "8s", "CUSTREG_DB_TIMEOUT": "3s", "CUSTREG_WRITE_TIMEOUT": "20s"}
	cfg, err := Parse(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RequestTimeout != 8*time.Second || cfg.DBTimeout != 3*time.Second || cfg.WriteTimeout != 20*time.Second {
		t.Errorf("from the environment: %+v", cfg)
	}
	cfg, err = Parse([]string{"--request-timeout", "4s", "--db-timeout", "1500ms", "--write-timeout", "6s"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RequestTimeout != 4*time.Second || cfg.DBTimeout != 1500*time.Millisecond || cfg.WriteTimeout != 6*time.Second {
		t.Errorf("flags should win: %+v", cfg)
	}
	var out strings.Builder
	for _, want := range []string{"request_timeout", "db_timeout", "write_timeout"} {
		if !strings.Contains(cfg.LogValue().String(), want) {
			out.WriteString(want + " ")
		}
	}
	if out.Len() > 0 {
		t.Errorf("the start-up log lacks %s", out.String())
	}
}

func TestTimeoutsMustNest(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{env: map[string]string{"CUSTREG_DB_TIMEOUT": "soon"}, want: "CUSTREG_DB_TIMEOUT"},
		{env: map[string]string{"CUSTREG_REQUEST_TIMEOUT": "-1s"}, want: "CUSTREG_REQUEST_TIMEOUT"},
		{env: map[string]string{"CUSTREG_WRITE_TIMEOUT": "x"}, want: "CUSTREG_WRITE_TIMEOUT"},
		{args: []string{"--db-timeout", "0s"}, want: "--db-timeout"},
		{args: []string{"--request-timeout", "30s"}, want: "--write-timeout"}, // not below the default write timeout
		{args: []string{"--request-timeout", "4s"}, want: "--db-timeout"},     // the default db timeout is not below it
		{args: []string{"--request-timeout", "10s", "--write-timeout", "10s"}, want: "--write-timeout"},
		{args: []string{"--db-timeout", "10s"}, want: "--request-timeout"},
	} {
		_, err := Parse(tc.args, func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: want an error naming %s, got %v", tc.args, tc.env, tc.want, err)
		}
	}
}
