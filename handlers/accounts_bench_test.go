package handlers_test

import (
	"net/http"
	"testing"
)

// BenchmarkAccountsList measures GET /v1/accounts (client-credentials token, member 468531842's
// three accounts, masked) through the whole stack over loopback HTTP: token lookup, validation,
// three reads, three decryptions.
func BenchmarkAccountsList(b *testing.B) {
	a := newAPI(b)
	for _, c := range []struct{ name, token, query string }{
		{"client-credentials", a.v2For(b, fiCreditUnion, scopeAccounts), "?hostUserId=" + memberAlex},
		{"user-token", a.v2Token(b, sandboxApp, sandboxSecret, fiCreditUnion, sandboxUserGrant+"&scopes="+scopeAccounts).AccessToken, ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := map[string]string{"Authorization": "Bearer " + c.token}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h["transactionId"] = newTID()
				if st := a.send(b, http.MethodGet, "/v1/accounts"+c.query, h, ""); st != http.StatusOK {
					b.Fatalf("status %d", st)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
