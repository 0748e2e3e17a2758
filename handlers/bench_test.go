package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// send issues a request without response validation (benchmarks measure the service, not the
// validator) and returns the status.
func (a *api) send(b *testing.B, method, path string, headers map[string]string, body string) int {
	req, err := http.NewRequest(method, a.base+path, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// BenchmarkTokenClientCredentialsV2 measures V2 client_credentials issuance through the whole
// stack over loopback HTTP (client secret verification is cached after the first request).
func BenchmarkTokenClientCredentialsV2(b *testing.B) {
	a := newAPI(b)
	h := map[string]string{"Authorization": basic(sandboxApp, sandboxSecret), "institutionId": fiCreditUnion, "Content-Type": formContentType}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h["transactionId"] = newTID()
		if st := a.send(b, http.MethodPost, "/oauth2/v1/token", h, "grant_type=client_credentials"); st != 200 {
			b.Fatalf("status %d", st)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkTokenClientCredentialsV1 is the same for the legacy XML endpoint.
func BenchmarkTokenClientCredentialsV1(b *testing.B) {
	a := newAPI(b)
	h := map[string]string{"Authorization": basic(sandboxApp, sandboxSecret), "di_fiid": fiCreditUnion, "Content-Type": formContentType}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h["di_tid"] = newTID()
		if st := a.send(b, http.MethodPost, "/v1/oauth/token", h, "grant_type=client_credentials"); st != 200 {
			b.Fatalf("status %d", st)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
