package apikey_test

import (
	"net/http"
	"testing"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/servicekey"
)

// benchFixture is a server with one unlimited key (no rate limit, no
// remaining count), so every verification succeeds and writes.
func benchFixture(b *testing.B) (f *fixture, key string) {
	b.Helper()
	srv := authtest.New(b, nil)
	user := srv.SignUp(authtest.UniqueEmail("ak-bench"), password)
	_, token, err := servicekey.Create(b.Context(), srv.App.Store.Pool, "bench-"+authtest.UniqueEmail("sk"), srv.Clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	f = &fixture{Server: srv, user: user, service: token}
	resp := f.asService("POST", "/api-key/create", map[string]any{"userId": user.ID, "rateLimitEnabled": false})
	if resp.Status != http.StatusOK {
		b.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	return f, resp.JSON(b)["key"].(string)
}

// BenchmarkVerifyHTTP is POST /api-key/verify with a service key: the
// service key lookup plus the verification statement, two round trips.
func BenchmarkVerifyHTTP(b *testing.B) {
	f, key := benchFixture(b)
	client := f.Client()
	b.ResetTimer()
	for b.Loop() {
		if out := send(client, verifyRequest(f.Server, f.service, key)); out != "VALID" {
			b.Fatalf("verify: %s", out)
		}
	}
}

// BenchmarkVerifyHTTPParallel verifies one key from many goroutines: the
// row lock serialises the statements of one key.
func BenchmarkVerifyHTTPParallel(b *testing.B) {
	f, key := benchFixture(b)
	client := f.Client()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if out := send(client, verifyRequest(f.Server, f.service, key)); out != "VALID" {
				b.Errorf("verify: %s", out)
				return
			}
		}
	})
}

// BenchmarkVerifySession is GET /get-session with x-api-key: one round
// trip, which also loads the owner.
func BenchmarkVerifySession(b *testing.B) {
	f, key := benchFixture(b)
	client := f.Client()
	b.ResetTimer()
	for b.Loop() {
		if out := send(client, sessionRequest(f.Server, key)); out != "VALID" {
			b.Fatalf("get-session: %s", out)
		}
	}
}
