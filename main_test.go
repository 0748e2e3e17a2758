package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestStartWithoutPIIKeyFailsNamingTheVariable(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "x.db")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--db", dbPath}, env(nil), io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "CUSTREG_PII_KEY") {
		t.Fatalf("want an error naming CUSTREG_PII_KEY, got %v", err)
	}
	if _, statErr := os.Stat(dbPath); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("nothing should be created before the configuration is complete")
	}
	err = run(context.Background(), []string{"--db", dbPath}, env(map[string]string{"CUSTREG_PII_KEY": "c2hvcnQ="}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "CUSTREG_PII_KEY") || strings.Contains(err.Error(), "c2hvcnQ=") {
		t.Fatalf("malformed key: want an error naming the variable but not the value, got %v", err)
	}
}

func TestProvisionCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "p.db")
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	vars := env(map[string]string{"CUSTREG_PII_KEY": key, "CUSTREG_DB": dbPath})

	good := filepath.Join(dir, "good.yaml")
	writeFile(t, good, "institutions:\n  - id: \"00016\"\n    name: First Bank\n")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"provision", good}, vars, &out, io.Discard); err != nil {
		t.Fatalf("provision: %v", err)
	}
	if !strings.Contains(out.String(), "provisioned 1 institution") {
		t.Errorf("output %q", out.String())
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "institutions:\n  - id: \"00017\"\n    name: Second Bank\n  - id: \"12\"\n    name: Broken\n")
	err := run(context.Background(), []string{"provision", bad}, vars, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "line 4") || !strings.Contains(err.Error(), "institutions[1].id") {
		t.Fatalf("want an error naming line 4 and institutions[1].id, got %v", err)
	}
	// The valid first institution of the bad file must not have been applied.
	conn, err := db.Open(context.Background(), dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	conn.Model(&models.Institution{}).Where("id = ?", "00017").Count(&n)
	_ = db.Close(conn)
	if n != 0 {
		t.Errorf("a rejected file was partially applied")
	}
	if err := run(context.Background(), []string{"provision", filepath.Join(dir, "missing.yaml")}, vars, io.Discard, io.Discard); err == nil {
		t.Errorf("a missing file must fail")
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestSandboxServesAndShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "custreg.db")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncWriter
	go func() {
		done <- run(ctx, []string{"--sandbox", "--db", dbPath, "--addr", addr}, env(nil), io.Discard, &logs)
	}()
	base := "http://" + addr
	waitFor(t, base+"/readyz")
	for _, p := range []string{"/healthz", "/readyz", "/openapi.yaml", "/docs", "/metrics"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	info, err := os.Stat(dbPath + ".key")
	if err != nil {
		t.Fatalf("sandbox key file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no shutdown")
	}
	key, _ := os.ReadFile(dbPath + ".key")
	if len(key) == 0 || strings.Contains(logs.String(), strings.TrimSpace(string(key))) {
		t.Errorf("the PII key must exist and never reach the log")
	}
	// A second start reuses the key and reloads the sandbox idempotently.
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() {
		done <- run(ctx2, []string{"--sandbox", "--db", dbPath, "--addr", addr}, env(nil), io.Discard, io.Discard)
	}()
	waitFor(t, base+"/readyz")
	cancel2()
	if err := <-done; err != nil {
		t.Fatalf("second run: %v", err)
	}
}

func waitFor(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became ready", url)
}

type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestUnlockCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "u.db")
	vars := env(map[string]string{"CUSTREG_SANDBOX": "true", "CUSTREG_DB": dbPath})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"unlock", "--fi", "01111", "--login", "SandboxUser1"}, vars, &out, io.Discard); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if !strings.Contains(out.String(), "unlocked") {
		t.Errorf("output %q", out.String())
	}
	if err := run(context.Background(), []string{"unlock", "--fi", "01111", "--login", "nobody"}, vars, io.Discard, io.Discard); err == nil {
		t.Errorf("unknown user must fail")
	}
}

func TestDisclosuresExportCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "e.db")
	vars := env(map[string]string{"CUSTREG_SANDBOX": "true", "CUSTREG_DB": dbPath})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"disclosures", "export", "--fi", "01111", "--login", "sandboxuser1"}, vars, &out, io.Discard); err != nil {
		t.Fatalf("export: %v", err)
	}
	var export struct {
		LoginID string `json:"loginId"`
		History []struct {
			DisclosureName string `json:"institutionDisclosureName"`
			Status         string `json:"status"`
			Channel        string `json:"channel"`
		} `json:"history"`
	}
	if err := json.Unmarshal(out.Bytes(), &export); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if export.LoginID != "sandboxuser1" || len(export.History) != 2 || export.History[0].Status != "ACCEPTED" || export.History[0].Channel != "PROVISIONING" {
		t.Errorf("export %+v", export)
	}
	if err := run(context.Background(), []string{"disclosures", "export", "--fi", "01111", "--login", "nobody"}, vars, io.Discard, io.Discard); err == nil {
		t.Errorf("unknown user must fail")
	}
}

func TestKeyRotationWithRekey(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "r.db")
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	keyB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	oldVars := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_SANDBOX": "true", "CUSTREG_PII_KEY": keyA})
	// Load the sandbox under key k1 (the unlock command is just a way to run a command).
	if err := run(context.Background(), []string{"unlock", "--fi", "01111", "--login", "sandboxuser1"}, oldVars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	rotate := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyB, "CUSTREG_PII_KEY_ID": "k2", "CUSTREG_PII_OLD_KEYS": "k1:" + keyA})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rekey"}, rotate, &out, io.Discard); err != nil {
		t.Fatalf("rekey: %v", err)
	}
	if !strings.Contains(out.String(), "1 customers, 5 accounts") || !strings.Contains(out.String(), "2 client apps still hold a secret digest under an earlier key") {
		t.Fatalf("rekey output %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"rekey"}, rotate, &out, io.Discard); err != nil || !strings.Contains(out.String(), "0 customers, 0 accounts") {
		t.Fatalf("second rekey: %v %q", err, out.String())
	}
	// Only the new key from here on: values decrypt, blind indexes match, and reloading the
	// sandbox finds its accounts again instead of duplicating them.
	newOnly := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_SANDBOX": "true", "CUSTREG_PII_KEY": keyB, "CUSTREG_PII_KEY_ID": "k2"})
	if err := run(context.Background(), []string{"unlock", "--fi", "01111", "--login", "sandboxuser1"}, newOnly, io.Discard, io.Discard); err != nil {
		t.Fatalf("sandbox reload under the new key: %v", err)
	}
	conn, err := db.Open(context.Background(), dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(conn)
	raw, _ := secure.ParseKey(keyB)
	ring, _ := secure.NewKeyring("k2", map[string][]byte{"k2": raw})
	var c models.Customer
	conn.Where("login_id_norm = ?", "sandboxuser1").Take(&c)
	ssn, err := ring.DecryptString(c.SSNEnc, db.AAD(c.InstitutionID, c.ID, "ssn"))
	if err != nil || ssn != "123456789" || c.SSNIndex != ring.BlindIndex("ssn:01111", ssn) {
		t.Errorf("customer after rotation: %v", err)
	}
	var n int64
	conn.Model(&models.Account{}).Count(&n)
	if n != 5 {
		t.Errorf("%d accounts after reloading the sandbox, want 5", n)
	}
	bad := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyB, "CUSTREG_PII_OLD_KEYS": "k1"})
	if err := run(context.Background(), []string{"rekey"}, bad, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "CUSTREG_PII_OLD_KEYS") {
		t.Errorf("malformed old keys: %v", err)
	}
}
