package main

// Real custreg processes for the fault and multi-instance tests: the binary is built once per
// test run (go build), started on loopback on a free port, and stopped, killed or restarted
// like any service.

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/openid"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  string
)

// TestMain removes the binary built for the process tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		_ = os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// custregBinary builds the service once (skipped under -short: it builds a program).
func custregBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the custreg binary")
	}
	if raceDetector {
		// The code under test runs in the built processes, not in this race-instrumented
		// binary: the run without -race (.ci/run has both) is the one that counts.
		t.Skip("the processes are not built with the race detector; runs without -race")
	}
	binaryOnce.Do(func() {
		if binaryDir, binaryErr = os.MkdirTemp("", "custreg-bin-"); binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "custreg")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// testPIIKey is the PII key every process of a test shares (as instances behind one load
// balancer must).
var testPIIKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))

// instance is one running custreg process.
type instance struct {
	t    testing.TB
	name string
	args []string
	env  []string
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	logs *syncWriter
	done chan struct{}
}

// startInstance starts `custreg --sandbox` on db (a SQLite file or a postgres:// DSN) on a free
// loopback port, with extra flags, and waits until it is ready. It is stopped when the test
// ends.
func startInstance(t *testing.T, name, database string, extra ...string) *instance {
	t.Helper()
	return startInstances(t, []string{name}, database, extra...)[0]
}

// startInstances starts one process per name on the same database at the same moment (so their
// start-up work, seeding the sandbox included, races as it does when a deployment starts), and
// waits until every one is ready.
func startInstances(t *testing.T, names []string, database string, extra ...string) []*instance {
	t.Helper()
	var out []*instance
	for _, name := range names {
		addr := freeAddr(t)
		in := &instance{t: t, name: name, base: "http://" + addr, logs: &syncWriter{},
			args: append([]string{"--sandbox", "--db", database, "--addr", addr, "--auth-failure-delay", "0s"}, extra...),
			env:  append(os.Environ(), "CUSTREG_PII_KEY="+testPIIKey, "CUSTREG_OIDC_SIGNING_KEY="+testOIDCKey(t))}
		in.launch()
		t.Cleanup(in.stop)
		out = append(out, in)
	}
	for _, in := range out {
		in.waitReady()
	}
	return out
}

// start starts the process again (after kill or stop) and waits until it is ready.
func (in *instance) start() {
	in.t.Helper()
	in.launch()
	in.waitReady()
}

func (in *instance) launch() {
	in.t.Helper()
	in.cmd = exec.Command(custregBinary(in.t), in.args...)
	in.cmd.Env = in.env
	in.cmd.Stdout, in.cmd.Stderr = io.Discard, in.logs
	if err := in.cmd.Start(); err != nil {
		in.t.Fatalf("%s: start: %v", in.name, err)
	}
	in.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(in.cmd, in.done)
}

func (in *instance) waitReady() {
	in.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-in.done:
			in.t.Fatalf("%s exited before it was ready:\n%s", in.name, in.logs.String())
		default:
		}
		if res, err := http.Get(in.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("%s never became ready:\n%s", in.name, in.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL, as a crash or an out-of-memory kill would.
func (in *instance) kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
}

// stop ends the process with SIGTERM (a graceful shutdown), then SIGKILL after a grace period.
func (in *instance) stop() {
	if in.cmd == nil || in.cmd.Process == nil {
		return
	}
	select {
	case <-in.done:
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		in.kill()
	}
}

// reply is an HTTP answer of a process.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request; err is a transport failure (the process is gone, say).
func (in *instance) send(method, path string, headers map[string]string, body string) (*reply, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, in.base+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header[k] = []string{v} // exactly as given: di_tid keeps its underscore
	}
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &reply{status: res.StatusCode, header: res.Header, body: data}, nil
}

// must is send for requests that have to be answered.
func (in *instance) must(method, path string, headers map[string]string, body string) *reply {
	in.t.Helper()
	r, err := in.send(method, path, headers, body)
	if err != nil {
		in.t.Fatalf("%s: %s %s: %v", in.name, method, path, err)
	}
	return r
}

// Sandbox credentials (db/sandbox.yaml).
const (
	sandboxApp      = "sandbox-app"
	sandboxSecret   = "sandbox-secret"
	sandboxUser     = "sandboxuser1"
	sandboxPassword = "Sandbox2024!"
	sandboxUserGUID = "8fe733f4e27246908f92e8f7c0b96847"
	fiCreditUnion   = "01111"
)

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// v1Token is a client-credentials V1 token of the sandbox app.
func (in *instance) v1Token() string {
	in.t.Helper()
	r := in.must(http.MethodPost, "/v1/oauth/token", map[string]string{"Authorization": basicAuth(sandboxApp, sandboxSecret),
		"di_tid": uuid.NewString(), "di_fiid": fiCreditUnion, "Content-Type": "application/x-www-form-urlencoded"}, "grant_type=client_credentials")
	_, rest, _ := strings.Cut(string(r.body), "<access_token>")
	tok, _, _ := strings.Cut(rest, "</access_token>")
	if r.status != http.StatusOK || tok == "" {
		in.t.Fatalf("%s: V1 token: %d %s", in.name, r.status, r.body)
	}
	return tok
}

// v2Token obtains a V2 token with form (the sandbox app at FI 01111); its access and refresh
// tokens, or the failed answer.
func (in *instance) v2Token(form string) (access, refresh string, r *reply) {
	in.t.Helper()
	r = in.must(http.MethodPost, "/oauth2/v1/token", map[string]string{"Authorization": basicAuth(sandboxApp, sandboxSecret),
		"transactionId": uuid.NewString(), "institutionId": fiCreditUnion, "Content-Type": "application/x-www-form-urlencoded"}, form)
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal(r.body, &tok)
	return tok.AccessToken, tok.RefreshToken, r
}

// registrationSeq makes every registration body of a test run unique.
var registrationSeq atomic.Int64

// registration is a Register v4 JSON body for FI 01111 with the given member, login and SSN
// ("" for fresh unique ones), and its secrets.
type registration struct {
	member, login, ssn string
	body               string
}

const (
	regPassword  = "Blue!Sky42"
	regHostPIN   = "8642"
	regMaiden    = "Quellenberg"
	regBirthDate = "1989-10-09"
)

func newRegistration(prefix, member, login, ssn string) registration {
	n := registrationSeq.Add(1) + time.Now().UnixNano()%100000*1000
	if member == "" {
		member = fmt.Sprintf("K%09d", n%1000000000)
	}
	if login == "" {
		login = fmt.Sprintf("%s%08d", prefix, n%100000000)
	}
	if ssn == "" {
		ssn = fmt.Sprintf("%03d44%04d", 100+(n/9999)%500, 1+n%9999)
	}
	body := map[string]any{"FICustomer": map[string]any{
		"id": map[string]any{"value": "0", "type": "GUID"}, "fiId": map[string]any{"value": fiCreditUnion}, "memberNumber": member,
		"person": map[string]any{"personName": map[string]any{"firstName": "Jane", "lastName": "Doe"},
			"contactInfo": map[string]any{"emailAddress": login + "@example.com",
				"postalAddress": []any{map[string]any{"address1": "100 Main St", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"}},
				"phoneNumber":   []any{map[string]any{"number": "2175550123", "countryCode": "0"}}},
			"birthDate": regBirthDate},
		"channelInfos": map[string]any{"channelInfo": []any{map[string]any{"channelType": "TPV_API",
			"credential": map[string]any{"loginId": login, "password": regPassword}}}},
		"acceptedDisclosure": "true", "userType": "PRIMARY", "ssn": ssn, "motherMaidenName": regMaiden,
		"hostCredential": map[string]any{"password": regHostPIN},
	}}
	b, _ := json.Marshal(body)
	return registration{member: member, login: login, ssn: ssn, body: string(b)}
}

// register posts a registration under the di_tid tid with a V1 token.
func (in *instance) register(token, tid string, reg registration) (*reply, error) {
	return in.send(http.MethodPost, "/registration/v4/fis/"+fiCreditUnion+"/fiCustomers", map[string]string{
		"Authorization": "Bearer " + token, "di_tid": tid, "Content-Type": "application/json", "Accept": "application/json"}, reg.body)
}

// errorCode is the first error code of a legacy Status or ErrorResponse JSON answer.
func errorCode(body []byte) string {
	var e struct {
		Code      string `json:"code"`
		ErrorInfo []struct {
			ErrorCode string `json:"errorCode"`
		} `json:"errorInfo"`
	}
	_ = json.Unmarshal(body, &e)
	if len(e.ErrorInfo) > 0 {
		return e.ErrorInfo[0].ErrorCode
	}
	return e.Code
}

// processDatabases are the databases the process tests run on: a SQLite file always, a fresh
// PostgreSQL schema when CUSTREG_TEST_POSTGRES_DSN is set (its subtest skipped otherwise).
func processDatabases() []dbtest.Target {
	return []dbtest.Target{
		{Name: "sqlite", DSN: func(t testing.TB) string { return filepath.Join(t.TempDir(), "custreg.db") }},
		{Name: "postgres", DSN: dbtest.PostgresSchema},
	}
}

var (
	oidcKeyOnce sync.Once
	oidcKeyPEM  string
	oidcKeyErr  error
)

// testOIDCKey is one ID-token signing key (PEM) for every process a test starts: on PostgreSQL
// the sandbox generates none, and instances sharing a database must share it.
func testOIDCKey(t *testing.T) string {
	t.Helper()
	oidcKeyOnce.Do(func() {
		key, err := openid.GenerateKey()
		if err != nil {
			oidcKeyErr = err
			return
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			oidcKeyErr = err
			return
		}
		oidcKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	if oidcKeyErr != nil {
		t.Fatal(oidcKeyErr)
	}
	return oidcKeyPEM
}
