package handlers_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/secure"
)

// newProductionHashAPI is the stack with the production argon2id parameters (tests use cheaper ones).
func newProductionHashAPI(b *testing.B) *api {
	store := dbtest.With(dbtest.SQLite(b), nil, secure.NewPasswordHasher(secure.DefaultArgon2Params(), 0))
	return newAPIOn(b, store)
}

// BenchmarkRegister measures complete registrations through the HTTP handler (validation,
// argon2id, PII encryption, one transaction) with production hashing parameters; the parallel
// variant shows the effect of the CPU-count cap on concurrent hashes.
func BenchmarkRegister(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			a := newProductionHashAPI(b)
			tok := a.v1Token(b, fiCreditUnion)
			one := func() {
				h := map[string]string{"Authorization": "Bearer " + tok, "di_tid": newTID(), "Content-Type": "application/json"}
				if st := a.send(b, http.MethodPost, "/registration/v4/fis/01111/fiCustomers", h, newRegistration(b, fiCreditUnion).json(b)); st != 200 {
					b.Errorf("status %d", st)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			if parallel {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						one()
					}
				})
			} else {
				for i := 0; i < b.N; i++ {
					one()
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
		})
	}
}

// BenchmarkArgon2idHash measures bare password hashes with the same parameters, for the ratio.
func BenchmarkArgon2idHash(b *testing.B) {
	h := secure.NewPasswordHasher(secure.DefaultArgon2Params(), 0)
	b.Run("serial", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := h.Hash(context.Background(), "Blue!Sky42"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := h.Hash(context.Background(), "Blue!Sky42"); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
	})
}
