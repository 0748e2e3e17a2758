// Package loadtest drives a running custreg server with a scenario of real requests (on the
// vegeta load library) and summarises what came back: throughput, latency percentiles, and
// answers by status and contract code. It is what `custreg loadtest` runs; results are recorded
// in docs/benchmarks.md, never asserted in tests.
package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/crypto/argon2"

	"github.com/custreg/custreg/secure"
	"github.com/custreg/custreg/xmlcodec"
)

// Scenarios lists what Run can drive.
// The flood scenarios (bad-secret, unknown-user, oversized-body) are the abuse a server must
// shrug off while legitimate requests go on (docs/benchmarks.md).
// argon2 sends nothing: it times the bare password hash with the server's parameters at the
// given concurrency, in this process, which is the ceiling a registration's throughput is
// compared with in the same run.
var Scenarios = []string{"token-v1", "token-v2", "password", "accounts", "bad-secret", "unknown-user", "oversized-body",
	"register", "register-xml", "register-v2", "healthz", "argon2"}

// Config is one load run.
type Config struct {
	Target   string        // base URL of the server, e.g. http://127.0.0.1:8080
	Scenario string        // one of Scenarios
	Rate     int           // requests per second; 0 sends as fast as Workers allow
	Workers  int           // concurrent clients (connections)
	Duration time.Duration // how long to send; 0 means until Count requests
	Count    int           // stop after this many requests (0: no limit)
	ClientID string        // the app to authenticate as
	Secret   string
	FI       string // the FI to act for
	// Source is the local address to send from ("": the system's choice). On Linux every
	// 127.0.0.0/8 address reaches a server on 127.0.0.1, so a flood can come from 127.0.0.2
	// while legitimate load comes from 127.0.0.1, as from two machines.
	Source string
	// BodyBytes is the size of the oversized-body scenario's bodies (0: 1 MiB + 1, just over
	// the default --max-body-bytes).
	BodyBytes int
	// Username and Password are the registered user of the password and accounts scenarios
	// ("": the sandbox's sandboxuser1).
	Username, Password string
}

// Report is the summary of a run.
type Report struct {
	Scenario   string         `json:"scenario"`
	Rate       int            `json:"rate"`
	Workers    int            `json:"workers"`
	Requests   uint64         `json:"requests"`
	Seconds    float64        `json:"seconds"`
	Throughput float64        `json:"throughput_per_s"` // answers per second, whatever their status
	Expected   uint64         `json:"expected"`         // answers the scenario expects (200; 401 or 400 for the floods)
	ServerErrs uint64         `json:"server_errors"`    // 5xx answers
	P50ms      float64        `json:"p50_ms"`
	P90ms      float64        `json:"p90_ms"`
	P99ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Answers    map[string]int `json:"answers"` // "200", "401 90001", "error: …"
}

// Run sends the scenario's requests and summarises them. progress, when not nil, receives a line
// a second while the run lasts.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Report, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Username == "" {
		cfg.Username, cfg.Password = "sandboxuser1", "Sandbox2024!"
	}
	if cfg.Duration <= 0 && cfg.Count <= 0 {
		return nil, errors.New("give a duration or a count")
	}
	if cfg.Scenario == "argon2" {
		return hashes(ctx, cfg), nil
	}
	base := strings.TrimRight(cfg.Target, "/")
	client := &http.Client{Timeout: 30 * time.Second}
	targeter, expect, err := targeterFor(ctx, client, base, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Count > 0 {
		targeter = limit(targeter, cfg.Count)
	}
	opts := []func(*vegeta.Attacker){
		vegeta.Workers(uint64(cfg.Workers)), vegeta.MaxWorkers(uint64(cfg.Workers)),
		vegeta.Connections(cfg.Workers), vegeta.MaxConnections(cfg.Workers), vegeta.KeepAlive(true),
		vegeta.Timeout(30 * time.Second), vegeta.MaxBody(4096)}
	if cfg.Source != "" {
		ip := net.ParseIP(cfg.Source)
		if ip == nil {
			return nil, fmt.Errorf("source %q is not an IP address", cfg.Source)
		}
		opts = append(opts, vegeta.LocalAddr(net.IPAddr{IP: ip}))
	}
	attacker := vegeta.NewAttacker(opts...)
	rate := vegeta.Rate{Freq: cfg.Rate, Per: time.Second}

	var metrics vegeta.Metrics
	answers := map[string]int{}
	var expected, serverErrs uint64
	var done atomic.Uint64
	stopProgress := make(chan struct{})
	var wg sync.WaitGroup
	if progress != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			start := time.Now()
			for {
				select {
				case <-stopProgress:
					return
				case <-tick.C:
					n := done.Load()
					elapsed := time.Since(start)
					rate := float64(n) / elapsed.Seconds()
					left := ""
					switch {
					case cfg.Duration > 0:
						left = fmt.Sprintf(", %s left", (cfg.Duration - elapsed).Round(time.Second))
					case cfg.Count > 0 && rate > 0:
						left = fmt.Sprintf(", about %s left", (time.Duration(float64(uint64(cfg.Count)-min(n, uint64(cfg.Count)))/rate) * time.Second).Round(time.Second))
					}
					fmt.Fprintf(progress, "%s %5.0fs  %d answers, %.0f/s%s\n", cfg.Scenario, elapsed.Seconds(), n, rate, left)
				}
			}
		}()
	}
	results := attacker.Attack(targeter, rate, cfg.Duration, cfg.Scenario)
loop:
	for {
		select {
		case <-ctx.Done():
			attacker.Stop()
		case r, ok := <-results:
			if !ok {
				break loop
			}
			if r.Error == errNoMoreTargets.Error() {
				continue
			}
			done.Add(1)
			metrics.Add(r)
			key := answerKey(r)
			answers[key]++
			if int(r.Code) == expect {
				expected++
			}
			if r.Code >= 500 {
				serverErrs++
			}
		}
	}
	close(stopProgress)
	wg.Wait()
	metrics.Close()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rep := &Report{Scenario: cfg.Scenario, Rate: cfg.Rate, Workers: cfg.Workers, Requests: metrics.Requests,
		Seconds: metrics.Duration.Seconds() + metrics.Wait.Seconds(), Expected: expected, ServerErrs: serverErrs,
		P50ms: ms(metrics.Latencies.P50), P90ms: ms(metrics.Latencies.P90), P99ms: ms(metrics.Latencies.P99), MaxMs: ms(metrics.Latencies.Max),
		Answers: answers}
	if rep.Seconds > 0 {
		rep.Throughput = float64(metrics.Requests) / rep.Seconds
	}
	return rep, nil
}

var errNoMoreTargets = vegeta.ErrNoTargets

// hashes runs the argon2 scenario: Workers goroutines each compute argon2id with the server's
// parameters (secure.DefaultArgon2Params) back to back, for the duration or the count.
func hashes(ctx context.Context, cfg Config) *Report {
	p := secure.DefaultArgon2Params()
	var mu sync.Mutex
	var took []time.Duration
	var n atomic.Int64
	deadline := time.Now().Add(cfg.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			salt := make([]byte, p.SaltLen)
			for ctx.Err() == nil && (cfg.Duration <= 0 || time.Now().Before(deadline)) {
				if cfg.Count > 0 && n.Add(1) > int64(cfg.Count) {
					return
				}
				_, _ = rand.Read(salt)
				t0 := time.Now()
				argon2.IDKey([]byte("a password of some length"), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
				d := time.Since(t0)
				mu.Lock()
				took = append(took, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	at := func(q float64) float64 {
		if len(took) == 0 {
			return 0
		}
		return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
	}
	rep := &Report{Scenario: cfg.Scenario, Workers: cfg.Workers, Requests: uint64(len(took)), Seconds: elapsed.Seconds(),
		Expected: uint64(len(took)), P50ms: at(0.5), P90ms: at(0.9), P99ms: at(0.99), MaxMs: at(1),
		Answers: map[string]int{"hash": len(took)}}
	if rep.Seconds > 0 {
		rep.Throughput = float64(len(took)) / rep.Seconds
	}
	return rep
}

// limit stops a targeter after n targets.
func limit(t vegeta.Targeter, n int) vegeta.Targeter {
	var sent atomic.Int64
	return func(tgt *vegeta.Target) error {
		if sent.Add(1) > int64(n) {
			return errNoMoreTargets
		}
		return t(tgt)
	}
}

// answerKey names an answer by status and, for errors, the contract code in its body.
func answerKey(r *vegeta.Result) string {
	if r.Code == 0 {
		msg := r.Error
		if len(msg) > 60 {
			msg = msg[:60]
		}
		return "error: " + msg
	}
	key := fmt.Sprint(r.Code)
	if r.Code >= 300 {
		if code := errorCode(r.Body); code != "" {
			key += " " + code
		}
	}
	return key
}

// errorCode reads the code of any of the contract's error envelopes.
func errorCode(body []byte) string {
	var js struct {
		Code      string `json:"code"`
		ErrorInfo []struct {
			ErrorCode string `json:"errorCode"`
		} `json:"errorInfo"`
	}
	if json.Unmarshal(body, &js) == nil {
		if js.Code != "" {
			return js.Code
		}
		if len(js.ErrorInfo) > 0 {
			return js.ErrorInfo[0].ErrorCode
		}
	}
	var x struct {
		ErrorInfo []struct {
			ErrorCode string `xml:"errorCode"`
		} `xml:"errorInfo"`
	}
	if xml.Unmarshal(body, &x) == nil && len(x.ErrorInfo) > 0 {
		return x.ErrorInfo[0].ErrorCode
	}
	return ""
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// tokenRequest makes t a token request with the given form: to the V1 service (its headers) or
// to the V2 one.
func tokenRequest(t *vegeta.Target, base, fi, auth string, form []byte, v1 bool) {
	t.Method, t.Body = http.MethodPost, form
	h := http.Header{"Authorization": {auth}, "Content-Type": {"application/x-www-form-urlencoded"}}
	if v1 {
		t.URL = base + "/v1/oauth/token"
		h["Di_tid"], h["Di_fiid"] = []string{newUUID()}, []string{fi}
	} else {
		t.URL = base + "/oauth2/v1/token"
		h["Transactionid"], h["Institutionid"] = []string{newUUID()}, []string{fi}
	}
	t.Header = h
}

// targeterFor builds the scenario's request generator and the status it expects.
func targeterFor(ctx context.Context, client *http.Client, base string, cfg Config) (vegeta.Targeter, int, error) {
	form := []byte("grant_type=client_credentials")
	switch cfg.Scenario {
	case "healthz":
		return func(t *vegeta.Target) error {
			t.Method, t.URL, t.Body, t.Header = http.MethodGet, base+"/healthz", nil, nil
			return nil
		}, http.StatusOK, nil
	case "token-v1", "token-v2", "bad-secret":
		secret, expect := cfg.Secret, http.StatusOK
		if cfg.Scenario == "bad-secret" {
			secret, expect = "not-the-secret-"+newUUID(), http.StatusUnauthorized
		}
		v1 := cfg.Scenario != "token-v2"
		auth := basic(cfg.ClientID, secret)
		var n atomic.Uint64
		return func(t *vegeta.Target) error {
			// bad-secret alternates the two generations.
			tokenRequest(t, base, cfg.FI, auth, form, v1 && (cfg.Scenario != "bad-secret" || n.Add(1)%2 == 0))
			return nil
		}, expect, nil
	case "unknown-user":
		// Password grants for users that do not exist, V1 and V2 alternately: each costs the
		// server a hash unless a limit refuses it first.
		auth := basic(cfg.ClientID, cfg.Secret)
		var n atomic.Uint64
		return func(t *vegeta.Target) error {
			i := n.Add(1)
			tokenRequest(t, base, cfg.FI, auth, []byte(url.Values{"grant_type": {"password"}, "username": {fmt.Sprintf("nobody%08d", i)},
				"password": {"Guess!" + newUUID()[:8]}}.Encode()), i%2 == 0)
			return nil
		}, http.StatusUnauthorized, nil
	case "oversized-body":
		// Register v4 bodies over the server's limit, with a made-up token: refused by size.
		size := cfg.BodyBytes
		if size <= 0 {
			size = 1<<20 + 1
		}
		body := []byte(strings.Repeat(" ", size))
		return func(t *vegeta.Target) error {
			t.Method, t.URL, t.Body = http.MethodPost, base+"/registration/v4/fis/"+cfg.FI+"/fiCustomers", body
			t.Header = http.Header{"Authorization": {"Bearer not-a-token"}, "Di_tid": {newUUID()}, "Content-Type": {"application/json"}}
			return nil
		}, http.StatusBadRequest, nil
	case "password":
		// Password grants of one registered user with the right password, V2 and V1 alternately:
		// each costs the server one hash verification.
		auth := basic(cfg.ClientID, cfg.Secret)
		body := []byte(url.Values{"grant_type": {"password"}, "username": {cfg.Username}, "password": {cfg.Password}}.Encode())
		var n atomic.Uint64
		return func(t *vegeta.Target) error {
			tokenRequest(t, base, cfg.FI, auth, body, n.Add(1)%2 == 0)
			return nil
		}, http.StatusOK, nil
	case "accounts":
		// The accounts list of the user's own V2 password token (one token for the run).
		token, err := v2Token(ctx, client, base, cfg, url.Values{"grant_type": {"password"},
			"username": {cfg.Username}, "password": {cfg.Password}, "scopes": {"accounts:read"}})
		if err != nil {
			return nil, 0, err
		}
		return func(t *vegeta.Target) error {
			t.Method, t.URL, t.Body = http.MethodGet, base+"/v1/accounts", nil
			t.Header = http.Header{"Authorization": {"Bearer " + token}, "Transactionid": {newUUID()}}
			return nil
		}, http.StatusOK, nil
	case "register", "register-xml":
		token, err := v1Token(ctx, client, base, cfg)
		if err != nil {
			return nil, 0, err
		}
		media := "application/json"
		if cfg.Scenario == "register-xml" {
			media = "application/xml"
		}
		run := newUUID()[:6]
		var n atomic.Uint64
		return func(t *vegeta.Target) error {
			i := n.Add(1)
			t.Method, t.URL = http.MethodPost, base+"/registration/v4/fis/"+cfg.FI+"/fiCustomers"
			t.Header = http.Header{"Authorization": {"Bearer " + token}, "Di_tid": {newUUID()},
				"Content-Type": {media}, "Accept": {media}}
			t.Body = registration(fmt.Sprintf("L%s%06d", run, i), fmt.Sprintf("load%s%06d", run, i), randomSSN())
			if media == "application/xml" {
				t.Body = asXML(t.Body)
			}
			return nil
		}, http.StatusOK, nil
	case "register-v2":
		token, err := v2Token(ctx, client, base, cfg, url.Values{"grant_type": {"client_credentials"},
			"scopes": {"institution-users:write"}})
		if err != nil {
			return nil, 0, err
		}
		run := newUUID()[:6]
		var n atomic.Uint64
		return func(t *vegeta.Target) error {
			i := n.Add(1)
			t.Method, t.URL = http.MethodPost, base+"/v1/customers/register"
			t.Header = http.Header{"Authorization": {"Bearer " + token}, "Correlationid": {newUUID()},
				"Content-Type": {"application/json"}, "Accept": {"application/json"}}
			t.Body = customerRegistration(cfg.FI, fmt.Sprintf("M%s%06d", run, i), fmt.Sprintf("cust%s%06d", run, i), randomSSN())
			return nil
		}, http.StatusCreated, nil
	}
	return nil, 0, fmt.Errorf("unknown scenario %q (known: %s)", cfg.Scenario, strings.Join(Scenarios, ", "))
}

// v1Token obtains a client-credentials V1 token for the run.
func v1Token(ctx context.Context, client *http.Client, base string, cfg Config) (string, error) {
	return runToken(ctx, client, base, cfg, false, url.Values{"grant_type": {"client_credentials"}})
}

// v2Token obtains a V2 token for the run with the given grant.
func v2Token(ctx context.Context, client *http.Client, base string, cfg Config, form url.Values) (string, error) {
	return runToken(ctx, client, base, cfg, true, form)
}

// runToken asks the V1 (XML) or V2 (JSON) token service for the run's token.
func runToken(ctx context.Context, client *http.Client, base string, cfg Config, v2 bool, form url.Values) (string, error) {
	path, tid, fi, decode, name := "/v1/oauth/token", "di_tid", "di_fiid", xml.Unmarshal, "V1"
	if v2 {
		path, tid, fi, decode, name = "/oauth2/v1/token", "transactionId", "institutionId", json.Unmarshal, "V2"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", basic(cfg.ClientID, cfg.Secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(tid, newUUID())
	req.Header.Set(fi, cfg.FI)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token" xml:"access_token"`
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK || decode(body, &tok) != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("%s %s token for %s: status %d %s", name, form.Get("grant_type"), cfg.ClientID, res.StatusCode, errorCode(body))
	}
	return tok.AccessToken, nil
}

// randomSSN is a random SSN that passes the registration rules (area 001–665 or 667–899, group
// 01–99, serial 0001–9999).
func randomSSN() string {
	pick := func(lo, hi int64) int64 {
		n, _ := rand.Int(rand.Reader, big.NewInt(hi-lo+1))
		return lo + n.Int64()
	}
	area := pick(1, 898)
	if area >= 666 {
		area++
	}
	return fmt.Sprintf("%03d%02d%04d", area, pick(1, 99), pick(1, 9999))
}

// registration is a valid Register v4 body for a new member of FI 01111's policy.
func registration(member, login, ssn string) []byte {
	return fmt.Appendf(nil, `{"FICustomer":{"memberNumber":%q,`+
		`"person":{"personName":{"firstName":"Load","lastName":"Tester"},`+
		`"contactInfo":{"emailAddress":"load.tester@example.com",`+
		`"postalAddress":[{"address1":"1 Bench St","city":"Springfield","state":"IL","postalCode":"62701","country":"US"}],`+
		`"phoneNumber":[{"number":"2175550100","countryCode":"0"}]},"birthDate":"1980-05-17"},`+
		`"channelInfos":{"channelInfo":[{"channelType":"TPV_API","credential":{"loginId":%q,"password":"Load!Pass42"}}]},`+
		`"acceptedDisclosure":"true","userType":"PRIMARY","ssn":%q,"motherMaidenName":"Bench"}}`, member, login, ssn)
}

// customerRegistration is a valid Customer v2 registration body for a new member of FI 01111's
// policy.
func customerRegistration(fi, member, login, ssn string) []byte {
	return fmt.Appendf(nil, `{"fiId":%q,"memberNumber":%q,"firstName":"Load","lastName":"Tester",`+
		`"emailAddress":"load.tester@example.com","contactInfo":{"contactInfo":"2175550100","telephoneCountryCode":"1","protocol":"VOICE"},`+
		`"birthDate":"1980-05-17","channelType":"TPV_API","loginId":%q,"password":"Load!Pass42","acceptedDisclosure":true,`+
		`"userType":"RETAIL","userRole":"PRIMARY","ssn":%q,"motherMaidenName":"Bench",`+
		`"postalAddress":{"address1":"1 Bench St","address2":"","address3":"","type":"PHYSICAL_HOME_ADDRESS","city":"Springfield","state":"IL","postalCode":"62701","country":"US"}}`,
		fi, member, login, ssn)
}

// asXML renders a JSON registration body in the OpenAPI XML rendering the server reads (root
// <FICustomer>, arrays as repeated elements), with the project's own codec.
func asXML(js []byte) []byte {
	var doc struct{ FICustomer json.RawMessage }
	if err := json.Unmarshal(js, &doc); err != nil {
		panic(err) // the bodies are this package's own
	}
	out, err := xmlcodec.Marshal("FICustomer", "", doc.FICustomer)
	if err != nil {
		panic(err)
	}
	return out
}

// Text renders a report as a few lines.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s, rate %s, %d workers: %d requests in %.1fs = %.1f/s (%d as expected, %d 5xx)\n",
		r.Scenario, rateText(r.Rate), r.Workers, r.Requests, r.Seconds, r.Throughput, r.Expected, r.ServerErrs)
	fmt.Fprintf(&b, "latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	keys := make([]string, 0, len(r.Answers))
	for k := range r.Answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-24s %d\n", k, r.Answers[k])
	}
	return b.String()
}

func rateText(rate int) string {
	if rate == 0 {
		return "max"
	}
	return fmt.Sprintf("%d/s", rate)
}
