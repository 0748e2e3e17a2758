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
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Scenarios lists what Run can drive.
var Scenarios = []string{"token-v1", "token-v2", "bad-secret", "register", "healthz"}

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
}

// Report is the summary of a run.
type Report struct {
	Scenario   string         `json:"scenario"`
	Rate       int            `json:"rate"`
	Workers    int            `json:"workers"`
	Requests   uint64         `json:"requests"`
	Seconds    float64        `json:"seconds"`
	Throughput float64        `json:"throughput_per_s"` // answers per second, whatever their status
	Expected   uint64         `json:"expected"`         // answers the scenario expects (200, or 401 for bad-secret)
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
	if cfg.Duration <= 0 && cfg.Count <= 0 {
		return nil, errors.New("give a duration or a count")
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
	attacker := vegeta.NewAttacker(
		vegeta.Workers(uint64(cfg.Workers)), vegeta.MaxWorkers(uint64(cfg.Workers)),
		vegeta.Connections(cfg.Workers), vegeta.MaxConnections(cfg.Workers), vegeta.KeepAlive(true),
		vegeta.Timeout(30*time.Second), vegeta.MaxBody(4096))
	rate := vegeta.Rate{Freq: cfg.Rate, Per: time.Second}

	var metrics vegeta.Metrics
	answers := map[string]int{}
	var expected uint64
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
		}
	}
	close(stopProgress)
	wg.Wait()
	metrics.Close()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rep := &Report{Scenario: cfg.Scenario, Rate: cfg.Rate, Workers: cfg.Workers, Requests: metrics.Requests,
		Seconds: metrics.Duration.Seconds() + metrics.Wait.Seconds(), Expected: expected,
		P50ms: ms(metrics.Latencies.P50), P90ms: ms(metrics.Latencies.P90), P99ms: ms(metrics.Latencies.P99), MaxMs: ms(metrics.Latencies.Max),
		Answers: answers}
	if rep.Seconds > 0 {
		rep.Throughput = float64(metrics.Requests) / rep.Seconds
	}
	return rep, nil
}

var errNoMoreTargets = vegeta.ErrNoTargets

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
			t.Method, t.Body = http.MethodPost, form
			h := http.Header{"Authorization": {auth}, "Content-Type": {"application/x-www-form-urlencoded"}}
			// bad-secret alternates the two generations.
			if v1 && (cfg.Scenario != "bad-secret" || n.Add(1)%2 == 0) {
				t.URL = base + "/v1/oauth/token"
				h["Di_tid"], h["Di_fiid"] = []string{newUUID()}, []string{cfg.FI}
			} else {
				t.URL = base + "/oauth2/v1/token"
				h["Transactionid"], h["Institutionid"] = []string{newUUID()}, []string{cfg.FI}
			}
			t.Header = h
			return nil
		}, expect, nil
	case "register":
		token, err := v1Token(ctx, client, base, cfg)
		if err != nil {
			return nil, 0, err
		}
		run := newUUID()[:6]
		var n atomic.Uint64
		return func(t *vegeta.Target) error {
			i := n.Add(1)
			t.Method, t.URL = http.MethodPost, base+"/registration/v4/fis/"+cfg.FI+"/fiCustomers"
			t.Header = http.Header{"Authorization": {"Bearer " + token}, "Di_tid": {newUUID()},
				"Content-Type": {"application/json"}, "Accept": {"application/json"}}
			t.Body = registration(fmt.Sprintf("L%s%06d", run, i), fmt.Sprintf("load%s%06d", run, i), randomSSN())
			return nil
		}, http.StatusOK, nil
	}
	return nil, 0, fmt.Errorf("unknown scenario %q (known: %s)", cfg.Scenario, strings.Join(Scenarios, ", "))
}

// v1Token obtains a client-credentials V1 token for the run.
func v1Token(ctx context.Context, client *http.Client, base string, cfg Config) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", basic(cfg.ClientID, cfg.Secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("di_tid", newUUID())
	req.Header.Set("di_fiid", cfg.FI)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `xml:"access_token"`
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK || xml.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("V1 token for %s: status %d", cfg.ClientID, res.StatusCode)
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

// Text renders a report as a few lines.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s, rate %s, %d workers: %d requests in %.1fs = %.1f/s (%d as expected)\n",
		r.Scenario, rateText(r.Rate), r.Workers, r.Requests, r.Seconds, r.Throughput, r.Expected)
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
