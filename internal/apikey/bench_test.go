package apikey_test

import (
	"net/http"
	"testing"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/servicekey"
)

// benchFixture is a server with one unlimited key (no rate limit, no
// remaining count), so every verification succeeds. Its uses are counted in
// memory and written by the periodic flush.
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
// service key lookup plus the read of the unlimited key, two round trips.
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

// BenchmarkVerifyHTTPParallel verifies one key from many goroutines. The
// key is unlimited, so no row lock serialises them.
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
// trip, the read of the key, which also loads the owner.
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
