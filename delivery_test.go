package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/openid"
)

// serveFor runs the server with args and vars until the test ends, and returns its base URL
// and its log.
func serveFor(t *testing.T, args []string, vars map[string]string) (string, *syncWriter) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncWriter{}
	go func() { done <- run(ctx, append(args, "--addr", addr), env(vars), io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("no shutdown")
		}
	})
	waitFor(t, "http://"+addr+"/readyz")
	return "http://" + addr, logs
}

func getStatus(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

// TestSandboxOutboxServedAndPrinted: custreg --sandbox serves GET /sandbox/outbox and says at
// start that messages go to the outbox only; custreg sandbox outbox prints the same messages,
// as text or JSON.
func TestSandboxOutboxServedAndPrinted(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "custreg.db")
	vars := map[string]string{"CUSTREG_DB": dbPath}
	base, logs := serveFor(t, []string{"--sandbox"}, vars)
	if status, body := getStatus(t, base+"/sandbox/outbox"); status != http.StatusOK || string(body) != `{"messages":[]}`+"\n" {
		t.Fatalf("empty outbox: %d %s", status, body)
	}
	if !strings.Contains(logs.String(), "notify: sandbox mode") {
		t.Errorf("start-up log does not say where messages go:\n%s", logs.String())
	}
	// A message as the sandbox's notifier keeps it (nothing sends one yet in this test).
	conn, err := db.Open(context.Background(), dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.New(conn, nil, nil).SaveOutboxMessage(context.Background(), &models.OutboxMessage{MessageID: "m1", InstitutionID: "01111",
		To: "alex.morgan@example.com", Channel: "EMAIL", Subject: "Your passcode", Body: "Your passcode is 551177.", Passcode: "551177", SentAt: time.Now().UTC()})
	_ = db.Close(conn)
	if err != nil {
		t.Fatal(err)
	}
	status, body := getStatus(t, base+"/sandbox/outbox?to=ALEX.MORGAN@example.com")
	if status != http.StatusOK || !strings.Contains(string(body), `"passcode":"551177"`) {
		t.Fatalf("outbox: %d %s", status, body)
	}

	sandbox := env(map[string]string{"CUSTREG_DB": dbPath, "CUSTREG_SANDBOX": "true"})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sandbox", "outbox", "--to", "alex.morgan@example.com"}, sandbox, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if text := out.String(); !strings.Contains(text, "EMAIL  alex.morgan@example.com  FI 01111  passcode 551177") ||
		!strings.Contains(text, "    Subject: Your passcode") || !strings.Contains(text, "    Your passcode is 551177.") {
		t.Errorf("text:\n%s", text)
	}
	out.Reset()
	if err := run(context.Background(), []string{"sandbox", "outbox", "--json"}, sandbox, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Messages) != 1 || doc.Messages[0]["passcode"] != "551177" || doc.Messages[0]["to"] != "alex.morgan@example.com" {
		t.Errorf("json: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"sandbox", "outbox", "--to", "5550000000"}, sandbox, &out, io.Discard); err != nil || !strings.Contains(out.String(), "no messages to 5550000000") {
		t.Errorf("unknown destination: %v %q", err, out.String())
	}
	missing := env(map[string]string{"CUSTREG_DB": filepath.Join(t.TempDir(), "none.db")})
	if err := run(context.Background(), []string{"sandbox", "outbox"}, missing, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("outbox of no database: %v", err)
	}
}

// TestServeWithSMTPOutsideSandbox: outside sandbox mode the outbox path is an unknown one, and
// the SMTP settings are logged at start with the password masked.
func TestServeWithSMTPOutsideSandbox(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	signing, err := openid.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(signing)
	if err != nil {
		t.Fatal(err)
	}
	base, logs := serveFor(t, nil, map[string]string{"CUSTREG_DB": filepath.Join(t.TempDir(), "p.db"), "CUSTREG_PII_KEY": key,
		"CUSTREG_OIDC_SIGNING_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"CUSTREG_SMTP_HOST":        "127.0.0.1", "CUSTREG_SMTP_PORT": "2525", "CUSTREG_SMTP_USERNAME": "relay", "CUSTREG_SMTP_PASSWORD": "smtp-hunter2",
		"CUSTREG_SMTP_FROM": "FCU <no-reply@fcu.example>"})
	status, body := getStatus(t, base+"/sandbox/outbox")
	unknownStatus, unknownBody := getStatus(t, base+"/no/such/path")
	if status != http.StatusNotFound || status != unknownStatus || string(body) != string(unknownBody) {
		t.Errorf("outbox outside sandbox: %d %s, unknown path: %d %s", status, body, unknownStatus, unknownBody)
	}
	text := logs.String()
	if strings.Contains(text, "smtp-hunter2") || !strings.Contains(text, `"smtp_password":"********"`) ||
		!strings.Contains(text, "notify: email through SMTP") || !strings.Contains(text, `"smtp":"127.0.0.1:2525"`) {
		t.Errorf("start-up log:\n%s", text)
	}
}
