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
	for _, p := range []string{"/healthz", "/readyz", "/openapi.yaml", "/docs", "/docs/", "/metrics", "/sample/register"} {
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
	if err := run(context.Background(), []string{"unlock", "--fi", "01111", "--login", "SandboxUser1"}, vars, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("unlock on a missing database: %v", err)
	}
	if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a maintenance command created the database")
	}
	if err := run(context.Background(), []string{"sandbox", "reset", "--yes"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
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
	if err := run(context.Background(), []string{"sandbox", "reset", "--yes"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
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
	// The sandbox under key k1.
	if err := run(context.Background(), []string{"sandbox", "reset", "--yes"}, oldVars, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	rotate := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyB, "CUSTREG_PII_KEY_ID": "k2", "CUSTREG_PII_OLD_KEYS": "k1:" + keyA})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rekey", "--yes"}, rotate, &out, io.Discard); err != nil {
		t.Fatalf("rekey: %v", err)
	}
	if !strings.Contains(out.String(), "1 customers, 5 accounts") || !strings.Contains(out.String(), "3 client apps still hold a secret digest under an earlier key") {
		t.Fatalf("rekey output %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"rekey", "--yes"}, rotate, &out, io.Discard); err != nil || !strings.Contains(out.String(), "0 customers, 0 accounts") {
		t.Fatalf("second rekey: %v %q", err, out.String())
	}
	// Only the new key from here on: values decrypt, blind indexes match, and provisioning the
	// sandbox file again finds its accounts instead of duplicating them.
	newOnly := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyB, "CUSTREG_PII_KEY_ID": "k2"})
	if err := run(context.Background(), []string{"provision", "db/sandbox.yaml"}, newOnly, io.Discard, io.Discard); err != nil {
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
	if err := run(context.Background(), []string{"rekey", "--yes"}, bad, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "CUSTREG_PII_OLD_KEYS") {
		t.Errorf("malformed old keys: %v", err)
	}
}

// startSandbox serves the sandbox at dbPath; it returns the base URL and a stop function (also
// called when the test ends).
func startSandbox(t *testing.T, dbPath string, extra ...string) (string, func()) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--sandbox", "--db", dbPath, "--addr", addr}, extra...), env(nil), io.Discard, io.Discard)
	}()
	waitFor(t, "http://"+addr+"/readyz")
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("sandbox run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + addr, stop
}

// openSandboxStore opens the sandbox database at dbPath with its key file, as the API would.
func openSandboxStore(t *testing.T, dbPath string) *db.Store {
	t.Helper()
	raw, err := os.ReadFile(dbPath + ".key")
	if err != nil {
		t.Fatal(err)
	}
	key, err := secure.ParseKey(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secure.NewKeyring("k1", map[string][]byte{"k1": key})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Open(context.Background(), dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := db.New(conn, ring, secure.NewPasswordHasher(secure.DefaultArgon2Params(), 0))
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func TestRekeyHelpChangesNothing(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "r.db")
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	keyB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	if err := run(context.Background(), []string{"provision", "db/sandbox.yaml"}, env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyA}), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	rotate := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_PII_KEY": keyB, "CUSTREG_PII_KEY_ID": "k2", "CUSTREG_PII_OLD_KEYS": "k1:" + keyA})
	for _, args := range [][]string{{"rekey", "--help"}, {"rekey", "-h"}, {"help", "rekey"}, {"rekey"}} { // the last: no --yes, no terminal
		var out bytes.Buffer
		_ = run(context.Background(), args, rotate, &out, &out)
		var stale int64
		conn, err := db.Open(context.Background(), dbPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		conn.Model(&models.Customer{}).Where("ssn_enc LIKE ?", "v1.k1.%").Count(&stale)
		_ = db.Close(conn)
		if stale != 1 {
			t.Fatalf("%v re-encrypted the database: %s", args, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rekey", "--yes"}, rotate, &out, io.Discard); err != nil || !strings.Contains(out.String(), "1 customers") {
		t.Fatalf("rekey --yes: %v %q", err, out.String())
	}
}

// TestSandboxCommandsKeepAPIEdits: a definition edited through the API keeps its content and
// version through every later sandbox command and restart, and a start that fails changes nothing.
func TestSandboxCommandsKeepAPIEdits(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "custreg.db")
	ctx := context.Background()
	_, stop := startSandbox(t, dbPath)
	stop()
	store := openSandboxStore(t, dbPath)
	ib, err := store.DisclosureByName(ctx, "01111", "IB")
	if err != nil {
		t.Fatal(err)
	}
	edited, err := store.UpdateDisclosure(ctx, "01111", ib.ID, &db.DisclosureSpec{Name: "IB", Data: "https://example.com/edited.html", Required: true})
	if err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	vars := env(map[string]string{"CUSTREG_SANDBOX": "true", "CUSTREG_DB": dbPath})
	for _, args := range [][]string{
		{"disclosures", "export", "--fi", "01111", "--login", "sandboxuser1"},
		{"unlock", "--fi", "01111", "--login", "sandboxuser1"},
		{"--addr", busy.Addr().String()}, // fails: the port is taken
		nil,                              // a restart
	} {
		if args == nil {
			_, stop := startSandbox(t, dbPath)
			stop()
		} else {
			_ = run(ctx, args, vars, io.Discard, io.Discard)
		}
		got, err := store.DisclosureByName(ctx, "01111", "IB")
		if err != nil {
			t.Fatal(err)
		}
		if got.Data != edited.Data || got.Version != edited.Version {
			t.Fatalf("after %v: data %q version %d, want %q version %d", args, got.Data, got.Version, edited.Data, edited.Version)
		}
	}
}

func TestBusyPortCreatesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dbPath := filepath.Join(t.TempDir(), "custreg.db")
	err = run(context.Background(), []string{"--sandbox", "--db", dbPath, "--addr", busy.Addr().String()}, env(nil), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Fatalf("want an error naming the address, got %v", err)
	}
	for _, p := range []string{dbPath, dbPath + ".key"} {
		if _, statErr := os.Stat(p); !errors.Is(statErr, os.ErrNotExist) {
			t.Errorf("%s exists after a failed start", p)
		}
	}
}

// TestHelpNeedsNoKeyAndTouchesNothing: one help tree, every --help and version without a key
// and without creating a database.
func TestHelpNeedsNoKeyAndTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "h.db")
	vars := env(map[string]string{"CUSTREG_DB": dbPath})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, vars, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"serve", "provision", "unlock", "disclosures export", "rekey", "sandbox reset", "sandbox outbox", "version", "loadtest"} {
		if !strings.Contains(out.String(), "  "+cmd+" ") {
			t.Errorf("--help does not list %q:\n%s", cmd, out.String())
		}
	}
	for _, args := range [][]string{
		{"serve", "--help"}, {"provision", "--help"}, {"unlock", "--help"}, {"disclosures", "export", "--help"},
		{"rekey", "--help"}, {"sandbox", "reset", "--help"}, {"sandbox", "outbox", "--help"}, {"loadtest", "--help"}, {"help"}, {"help", "provision"},
		{"--sandbox", "provision", "-h"}, {"version"}, {"--version"},
	} {
		out.Reset()
		if err := run(context.Background(), args, vars, &out, &out); err != nil || out.Len() == 0 {
			t.Errorf("%v: %v %q", args, err, out.String())
		}
	}
	if !strings.Contains(out.String(), "commit") || !strings.Contains(out.String(), "built") {
		t.Errorf("--version: %q", out.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("help created %v", entries)
	}
}

// TestSandboxResetAndWrongKey: a key that does not open the sandbox is named in one sentence
// with the fix, and sandbox reset starts over.
func TestSandboxResetAndWrongKey(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "custreg.db")
	sandbox := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_SANDBOX": "true"})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sandbox", "reset", "--yes"}, sandbox, &out, io.Discard); err != nil || !strings.Contains(out.String(), "sandbox reset") {
		t.Fatalf("reset on nothing: %v %q", err, out.String())
	}
	if err := run(context.Background(), []string{"sandbox", "reset"}, sandbox, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("reset without --yes off a terminal: %v", err)
	}
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32))
	withKey := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_SANDBOX": "true", "CUSTREG_PII_KEY": other})
	err := run(context.Background(), []string{"--addr", freeAddr(t)}, withKey, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "CUSTREG_PII_KEY") || !strings.Contains(err.Error(), "sandbox reset") || strings.Contains(err.Error(), "duplicated") {
		t.Fatalf("exported key over the key file: %v", err)
	}
	if err := os.Remove(dbPath + ".key"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // every later start says the same, not only the first
		err = run(context.Background(), []string{"unlock", "--fi", "01111", "--login", "sandboxuser1"}, sandbox, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "key file") || !strings.Contains(err.Error(), "sandbox reset") {
			t.Fatalf("deleted key file, try %d: %v", i, err)
		}
	}
	if err := run(context.Background(), []string{"sandbox", "reset", "--yes"}, sandbox, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"unlock", "--fi", "01111", "--login", "sandboxuser1"}, sandbox, io.Discard, io.Discard); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	// A database with other FIs is not a sandbox to delete.
	fi := filepath.Join(t.TempDir(), "fi.yaml")
	writeFile(t, fi, "institutions:\n  - id: \"00016\"\n    name: First Bank\n")
	if err := run(context.Background(), []string{"provision", fi}, sandbox, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"sandbox", "reset", "--yes"}, sandbox, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "not the sandbox's") {
		t.Fatalf("reset of a database with another FI: %v", err)
	}
}

// TestProvisionFaultsFoundInTheDatabaseHaveLineAndField: faults only the database can show (an
// app naming an FI that is neither in the file nor stored) are reported like the file's own,
// with line and field, and neither the answer nor the log carries SQL or source paths.
func TestProvisionFaultsFoundInTheDatabaseHaveLineAndField(t *testing.T) {
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	vars := env(map[string]string{"CUSTREG_PII_KEY": key, "CUSTREG_DB": filepath.Join(dir, "p.db")})
	f := filepath.Join(dir, "apps.yaml")
	writeFile(t, f, "clientApps:\n  - clientId: app-one\n    secret: app-one-secret-123456\n    grants: [client_credentials]\n    institutions:\n      - \"09999\"\n")
	var logs bytes.Buffer
	err := run(context.Background(), []string{"provision", f}, vars, io.Discard, &logs)
	if err == nil || !strings.Contains(err.Error(), "line 6: clientApps[0].institutions[0]") {
		t.Fatalf("want line 6 and clientApps[0].institutions[0], got %v", err)
	}
	for _, bad := range []string{"INSERT", "SELECT", ".go:", "constraint"} {
		if strings.Contains(err.Error(), bad) || strings.Contains(logs.String(), bad) {
			t.Errorf("%q in the answer or log:\n%v\n%s", bad, err, logs.String())
		}
	}
}

// TestPprofFlag: --pprof-addr serves the profiler on its own listener; the API's listener does
// not serve it, and without the flag nothing listens for it.
func TestPprofFlag(t *testing.T) {
	dir := t.TempDir()
	paddr := freeAddr(t)
	base, stop := startSandbox(t, filepath.Join(dir, "sb.db"), "--pprof-addr", paddr)
	res, err := http.Get("http://" + paddr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("profiler: %d %.200s", res.StatusCode, body)
	}
	res, err = http.Get(base + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == 200 {
		t.Error("the API listener must not serve the profiler")
	}
	stop()
	if c, err := net.DialTimeout("tcp", paddr, time.Second); err == nil {
		c.Close()
		t.Error("the profiler must stop with the server")
	}
}
