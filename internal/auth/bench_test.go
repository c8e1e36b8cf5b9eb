package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

// BenchmarkGetSessionBearer measures the whole handler path of get-session
// with a bearer token (routing, signature check, one Postgres round trip,
// JSON encoding) without the network.
func BenchmarkGetSessionBearer(b *testing.B) {
	srv := authtest.New(b, nil)
	u := srv.SignUp(authtest.UniqueEmail("bench"), "password123")
	h := srv.App.Handler
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/auth/get-session", nil)
			req.Header.Set("Authorization", "Bearer "+u.Token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}

// BenchmarkSignInEmail measures sign-in, dominated by one scrypt
// verification (N=16384, r=16).
func BenchmarkSignInEmail(b *testing.B) {
	srv := authtest.New(b, nil)
	email := authtest.UniqueEmail("bench-sign-in")
	srv.SignUp(email, "password123")
	body := `{"email":"` + email + `","password":"password123"}`
	h := srv.App.Handler
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/api/auth/sign-in/email", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
