package auth_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

// limited starts authd with the rate limiter on. The test client connects
// from 127.0.0.1, which is a trusted proxy here, so X-Forwarded-For names
// the client as it would behind a reverse proxy.
func limited(t *testing.T) *authtest.Server {
	t.Helper()
	return start(t, authtest.Env{"AUTHD_RATE_LIMIT": "on", "AUTHD_TRUSTED_PROXIES": "127.0.0.1"})
}

func statuses(t *testing.T, n int, do func(i int) *authtest.Response) []int {
	t.Helper()
	out := make([]int, n)
	for i := range out {
		out[i] = do(i).Status
	}
	return out
}

func want429(t *testing.T, resp *authtest.Response, retryAfter string) {
	t.Helper()
	wantStatus(t, resp, 429)
	if string(resp.Body) != `{"message":"Too many requests. Please try again later."}` {
		t.Errorf("body %s", resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain;charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := resp.Header.Get("X-Retry-After"); got != retryAfter {
		t.Errorf("X-Retry-After %q, want %s", got, retryAfter)
	}
}

func TestRateLimit(t *testing.T) {
	t.Run("sign-in", func(t *testing.T) {
		srv := limited(t)
		u := signUp(t, srv, "rl1")
		creds := map[string]any{"email": u.Email, "password": testPassword}
		var last *authtest.Response
		got := statuses(t, 5, func(int) *authtest.Response {
			last = srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "198.51.100.1")
			return last
		})
		if fmt.Sprint(got) != "[200 200 200 429 429]" {
			t.Errorf("statuses %v", got)
		}
		want429(t, last, "10")

		t.Run("other client", func(t *testing.T) {
			wantStatus(t, srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "198.51.100.2"), 200)
		})
	})

	t.Run("default rule", func(t *testing.T) {
		srv := limited(t)
		got := statuses(t, 101, func(int) *authtest.Response { return srv.Do("GET", "/ok", nil, "X-Forwarded-For", "198.51.100.3") })
		for i, s := range got[:100] {
			if s != 200 {
				t.Fatalf("request %d: status %d", i+1, s)
			}
		}
		want429(t, srv.Do("GET", "/ok", nil, "X-Forwarded-For", "198.51.100.3"), "10")
		// Unknown paths are counted too, each path on its own.
		wantStatus(t, srv.Do("GET", "/nope", nil, "X-Forwarded-For", "198.51.100.3"), 404)
	})

	t.Run("mail rule", func(t *testing.T) {
		srv := limited(t)
		body := map[string]any{"email": "ghost@example.com"}
		got := statuses(t, 3, func(int) *authtest.Response {
			return srv.Do("POST", "/request-password-reset", body, "X-Forwarded-For", "198.51.100.4")
		})
		if fmt.Sprint(got) != "[400 400 400]" {
			t.Errorf("statuses %v", got)
		}
		want429(t, srv.Do("POST", "/request-password-reset", body, "X-Forwarded-For", "198.51.100.4"), "60")
	})

	t.Run("IPv6 subnet", func(t *testing.T) {
		srv := limited(t)
		got := statuses(t, 4, func(i int) *authtest.Response {
			return srv.Do("POST", "/sign-in/email", map[string]any{"email": "ghost@example.com", "password": "x"},
				"X-Forwarded-For", fmt.Sprintf("2001:db8:1:2::%d", i+1))
		})
		if got[3] != 429 {
			t.Errorf("statuses %v: the fourth request from the same /64 must be limited", got)
		}
	})

	// Better Auth puts every client without a usable X-Forwarded-For into
	// one "no-trusted-ip" bucket. authd takes the client address from
	// trusted proxies only and otherwise uses the socket address.
	t.Run("without trusted proxies", func(t *testing.T) {
		srv := start(t, authtest.Env{"AUTHD_RATE_LIMIT": "on"})
		creds := map[string]any{"email": "ghost@example.com", "password": "x"}
		got := statuses(t, 4, func(int) *authtest.Response { return srv.Do("POST", "/sign-in/email", creds) })
		if got[3] != 429 {
			t.Errorf("statuses %v", got)
		}
		// The header is ignored, so a client cannot pick another bucket.
		wantStatus(t, srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "1.1.1.1, 2.2.2.2"), 429)
		wantStatus(t, srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "203.0.113.9"), 429)
	})
	t.Run("behind a trusted proxy", func(t *testing.T) {
		srv := limited(t)
		creds := map[string]any{"email": "ghost@example.com", "password": "x"}
		got := statuses(t, 4, func(int) *authtest.Response { return srv.Do("POST", "/sign-in/email", creds) })
		if got[3] != 429 {
			t.Errorf("statuses %v", got)
		}
		// The rightmost untrusted hop is the client: 2.2.2.2 has its own bucket.
		wantCode(t, srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "1.1.1.1, 2.2.2.2"), 401, "INVALID_EMAIL_OR_PASSWORD")
	})

	t.Run("retry after", func(t *testing.T) {
		srv := limited(t)
		creds := map[string]any{"email": "ghost@example.com", "password": "x"}
		for i := 0; i < 3; i++ {
			wantStatus(t, srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "198.51.100.7"), 401)
		}
		srv.Clock.Advance(3 * time.Second)
		want429(t, srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "198.51.100.7"), "7")
		// A rejected request does not extend the window.
		srv.Clock.Advance(7 * time.Second)
		wantStatus(t, srv.Do("POST", "/sign-in/email", creds, "X-Forwarded-For", "198.51.100.7"), 401)
	})
}
