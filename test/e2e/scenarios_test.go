package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// forwardAuthLimit is AUTHD_FORWARD_AUTH_RATE_LIMIT_MAX of the proxy
// tests: high enough for the scenarios, low enough to reach at the end.
const forwardAuthLimit = 40

// proxySettings are the authd settings of the proxy tests.
var proxySettings = map[string]string{
	"AUTHD_FORWARD_AUTH_RATE_LIMIT_MAX":    "40",
	"AUTHD_FORWARD_AUTH_RATE_LIMIT_WINDOW": "1m",
}

// runProxyScenarios drives a proxy at base that serves authd under
// /api/auth/, an application under /app/ for any signed-in caller, and the
// same application under /admin/ for callers granted user:list.
func runProxyScenarios(t *testing.T, base string, a *authd) {
	email := "e2e-" + time.Now().Format("150405.000000") + "@example.com"
	// A client-supplied X-Forwarded-For must not become the session's IP
	// address: the proxy replaces the header.
	signUp := do(t, "POST", base+"/api/auth/sign-up/email",
		map[string]string{"name": "E2E", "email": email, "password": "password-123"},
		"X-Forwarded-For", "203.0.113.9")
	if signUp.Status != http.StatusOK {
		t.Fatalf("sign-up through the proxy: %d %s", signUp.Status, signUp.Body)
	}
	var created struct {
		Token string
		User  struct{ ID string }
	}
	if err := json.Unmarshal(signUp.Body, &created); err != nil || created.Token == "" {
		t.Fatalf("sign-up response: %v: %s", err, signUp.Body)
	}
	bearer := []string{"Authorization", "Bearer " + created.Token}
	cookie := sessionCookie(t, signUp.Header)
	calls := 0 // forward-auth requests so far, against forwardAuthLimit

	t.Run("client ip", func(t *testing.T) {
		resp := do(t, "GET", base+"/api/auth/get-session", nil, bearer...)
		var s struct{ Session struct{ IPAddress string } }
		if err := json.Unmarshal(resp.Body, &s); err != nil {
			t.Fatalf("get-session: %d %s", resp.Status, resp.Body)
		}
		if s.Session.IPAddress != "127.0.0.1" {
			t.Errorf("session ipAddress = %q, want 127.0.0.1 (the proxy must replace X-Forwarded-For)", s.Session.IPAddress)
		}
	})

	t.Run("allowed", func(t *testing.T) {
		calls += 2
		resp := do(t, "GET", base+"/app/hello", nil, append(bearer,
			"X-Auth-User-Id", "forged", "X-Auth-User-Role", "admin")...)
		if resp.Status != http.StatusOK {
			t.Fatalf("bearer token: %d %s", resp.Status, resp.Body)
		}
		echo := resp.echo(t)
		want := map[string]string{
			"path":                       "/app/hello",
			"X-Auth-User-Id":             created.User.ID,
			"X-Auth-User-Email":          email,
			"X-Auth-User-Email-Verified": "false",
			"X-Auth-User-Role":           "user",
			"X-Auth-Api-Key-Id":          "",
			"X-Auth-Permissions":         "",
			"X-Forwarded-For":            "127.0.0.1",
		}
		for k, v := range want {
			if echo[k] != v {
				t.Errorf("the application got %s = %q, want %q", k, echo[k], v)
			}
		}
		if echo["X-Auth-Session-Id"] == "" {
			t.Error("the application got no X-Auth-Session-Id")
		}

		resp = do(t, "GET", base+"/app/cookie", nil, "Cookie", cookie)
		if resp.Status != http.StatusOK || resp.echo(t)["X-Auth-User-Id"] != created.User.ID {
			t.Fatalf("session cookie: %d %s", resp.Status, resp.Body)
		}
	})

	t.Run("refused", func(t *testing.T) {
		calls += 3
		for name, headers := range map[string][]string{
			"anonymous":     nil,
			"forged header": {"X-Auth-User-Id", created.User.ID},
			"unknown token": {"Authorization", "Bearer not-a-session"},
		} {
			resp := do(t, "GET", base+"/app/hello", nil, headers...)
			if resp.Status != http.StatusUnauthorized {
				t.Errorf("%s: %d %s, want 401", name, resp.Status, resp.Body)
			}
			if strings.Contains(string(resp.Body), `"path"`) {
				t.Errorf("%s: the request reached the application", name)
			}
		}
	})

	t.Run("permissions", func(t *testing.T) {
		calls += 2
		if resp := do(t, "GET", base+"/admin/users", nil, bearer...); resp.Status != http.StatusForbidden {
			t.Fatalf("user without user:list: %d %s, want 403", resp.Status, resp.Body)
		}
		a.exec(t, `UPDATE "user" SET "role" = 'admin' WHERE "id" = $1`, created.User.ID)
		resp := do(t, "GET", base+"/admin/users", nil, bearer...)
		if resp.Status != http.StatusOK {
			t.Fatalf("admin: %d %s", resp.Status, resp.Body)
		}
		if got := resp.echo(t)["X-Auth-Permissions"]; got != "user:list" {
			t.Errorf("X-Auth-Permissions = %q, want user:list", got)
		}
	})

	t.Run("api key rate limited", func(t *testing.T) {
		serviceKey := a.serviceKey(t)
		resp := do(t, "POST", base+"/api/auth/api-key/create", map[string]any{
			"userId": created.User.ID, "rateLimitEnabled": true, "rateLimitMax": 1, "rateLimitTimeWindow": 60_000,
		}, "Authorization", "Bearer "+serviceKey)
		if resp.Status == http.StatusNotFound {
			t.Skip("POST /api-key/create returns 404: the API Key plugin is not mounted")
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("create API key: %d %s", resp.Status, resp.Body)
		}
		var key struct{ ID, Key string }
		if err := json.Unmarshal(resp.Body, &key); err != nil {
			t.Fatal(err)
		}
		calls += 2
		first := do(t, "GET", base+"/app/by-key", nil, "x-api-key", key.Key)
		if first.Status != http.StatusOK || first.echo(t)["X-Auth-Api-Key-Id"] != key.ID {
			t.Fatalf("first use of the key: %d %s", first.Status, first.Body)
		}
		second := do(t, "GET", base+"/app/by-key", nil, "x-api-key", key.Key)
		if second.Status != http.StatusTooManyRequests {
			t.Fatalf("second use within the key's window: %d %s, want 429", second.Status, second.Body)
		}
		if second.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})

	t.Run("banned", func(t *testing.T) {
		calls++
		a.exec(t, `UPDATE "user" SET "banned" = true, "banReason" = 'e2e' WHERE "id" = $1`, created.User.ID)
		if resp := do(t, "GET", base+"/app/hello", nil, bearer...); resp.Status != http.StatusForbidden {
			t.Fatalf("banned user: %d %s, want 403", resp.Status, resp.Body)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get(a.AdminURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, series := range []string{
			`authd_http_requests_total{method="GET",route="/api/auth/forward-auth",status="200"}`,
			`authd_http_requests_total{method="GET",route="/api/auth/forward-auth",status="401"}`,
			`authd_http_requests_total{method="GET",route="/api/auth/forward-auth",status="403"}`,
		} {
			if !strings.Contains(string(body), series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
	})

	// Last, because it uses up the forward-auth budget of 127.0.0.1.
	t.Run("client rate limited", func(t *testing.T) {
		var last *response
		for i := calls; i <= forwardAuthLimit+5; i++ {
			last = do(t, "GET", base+"/app/hello", nil)
			if last.Status == http.StatusTooManyRequests {
				break
			}
		}
		if last.Status != http.StatusTooManyRequests {
			t.Fatalf("no 429 after %d forward-auth requests in a window: last status %d", forwardAuthLimit+5, last.Status)
		}
		if ra := last.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After = %q, want the seconds until the window ends", ra)
		}
	})
}

// sessionCookie returns the session cookie of a sign-up response as a
// Cookie header value.
func sessionCookie(t *testing.T, h http.Header) string {
	t.Helper()
	for _, line := range h.Values("Set-Cookie") {
		pair, _, _ := strings.Cut(line, ";")
		if strings.HasPrefix(pair, "better-auth.session_token=") {
			return pair
		}
	}
	t.Fatalf("no session cookie in %q", h.Values("Set-Cookie"))
	return ""
}
