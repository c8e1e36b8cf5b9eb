package forwardauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/servicekey"
)

func TestAnonymous(t *testing.T) {
	srv := authtest.New(t, nil)
	resp := srv.Do("GET", "/forward-auth", nil)
	if resp.Status != http.StatusUnauthorized || resp.Code() != "UNAUTHORIZED" {
		t.Fatalf("anonymous: %d %s, want 401 UNAUTHORIZED", resp.Status, resp.Body)
	}
	if resp.Header.Get("X-Auth-User-Id") != "" {
		t.Fatal("401 carries an identity header")
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control = %q, want no-store", got)
	}
}

func TestInvalidToken(t *testing.T) {
	srv := authtest.New(t, nil)
	resp := srv.Do("GET", "/forward-auth", nil, authtest.Bearer("not-a-session")...)
	if resp.Status != http.StatusUnauthorized {
		t.Fatalf("unknown bearer token: %d %s, want 401", resp.Status, resp.Body)
	}
}

func TestSession(t *testing.T) {
	srv := authtest.New(t, nil)
	user := srv.SignUp(authtest.UniqueEmail("fa"), "password-123")

	resp := srv.Do("GET", "/forward-auth", nil, authtest.Bearer(user.Token)...)
	if resp.Status != http.StatusOK {
		t.Fatalf("bearer session: %d %s", resp.Status, resp.Body)
	}
	want := map[string]string{
		"X-Auth-User-Id":             user.ID,
		"X-Auth-User-Email":          user.Email,
		"X-Auth-User-Email-Verified": "false",
		"X-Auth-User-Role":           "user",
		"X-Auth-Api-Key-Id":          "",
		"X-Auth-Permissions":         "",
	}
	for name, v := range want {
		if got := resp.Header.Get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if resp.Header.Get("X-Auth-Session-Id") == "" {
		t.Error("X-Auth-Session-Id missing")
	}
	body := resp.JSON(t)
	if body["userId"] != user.ID || body["email"] != user.Email {
		t.Errorf("body = %v", body)
	}

	// The signed session cookie works as well as the bearer token.
	cookie := "better-auth.session_token=" + srv.App.Service.Cookies.Sign(user.Token)
	if resp := srv.Do("GET", "/forward-auth", nil, "Cookie", cookie); resp.Status != http.StatusOK {
		t.Fatalf("cookie session: %d %s", resp.Status, resp.Body)
	}
}

func TestBannedUser(t *testing.T) {
	srv := authtest.New(t, nil)
	user := srv.SignUp(authtest.UniqueEmail("fa-ban"), "password-123")
	srv.Exec(`UPDATE "user" SET "banned" = true WHERE "id" = $1`, user.ID)
	resp := srv.Do("GET", "/forward-auth", nil, authtest.Bearer(user.Token)...)
	if resp.Status != http.StatusForbidden || resp.Code() != "BANNED_USER" {
		t.Fatalf("banned user: %d %s, want 403 BANNED_USER", resp.Status, resp.Body)
	}
}

func TestServiceKey(t *testing.T) {
	srv := authtest.New(t, nil)
	_, token, err := servicekey.Create(context.Background(), srv.App.Store.Pool, "fa-test-"+authtest.UniqueEmail("sk"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp := srv.Do("GET", "/forward-auth", nil, authtest.Bearer(token)...)
	if resp.Status != http.StatusForbidden || resp.Code() != "SERVICE_KEY_NOT_ALLOWED" {
		t.Fatalf("service key: %d %s, want 403 SERVICE_KEY_NOT_ALLOWED", resp.Status, resp.Body)
	}
}

func TestRolePermissions(t *testing.T) {
	srv := authtest.New(t, nil)
	plain := srv.SignUp(authtest.UniqueEmail("fa-user"), "password-123")
	admin := srv.SignUp(authtest.UniqueEmail("fa-admin"), "password-123")
	srv.Exec(`UPDATE "user" SET "role" = 'admin' WHERE "id" = $1`, admin.ID)

	path := "/forward-auth?permissions=user:list,session:revoke"
	if resp := srv.Do("GET", path, nil, authtest.Bearer(plain.Token)...); resp.Status != http.StatusForbidden || resp.Code() != "MISSING_PERMISSIONS" {
		t.Errorf("plain user: %d %s, want 403 MISSING_PERMISSIONS", resp.Status, resp.Body)
	}
	resp := srv.Do("GET", path, nil, authtest.Bearer(admin.Token)...)
	if resp.Status != http.StatusOK {
		t.Fatalf("admin: %d %s", resp.Status, resp.Body)
	}
	if got := resp.Header.Get("X-Auth-Permissions"); got != "session:revoke,user:list" {
		t.Errorf("X-Auth-Permissions = %q", got)
	}
	if got := resp.Header.Get("X-Auth-User-Role"); got != "admin" {
		t.Errorf("X-Auth-User-Role = %q", got)
	}
	if resp := srv.Do("GET", "/forward-auth?permissions=user", nil, authtest.Bearer(admin.Token)...); resp.Status != http.StatusBadRequest || resp.Code() != "INVALID_PERMISSIONS" {
		t.Errorf("malformed permissions: %d %s, want 400 INVALID_PERMISSIONS", resp.Status, resp.Body)
	}
}

func TestPathSetting(t *testing.T) {
	srv := authtest.New(t, authtest.Env{"AUTHD_FORWARD_AUTH_PATH": "/proxy/check"})
	if resp := srv.Do("GET", "/proxy/check", nil); resp.Status != http.StatusUnauthorized {
		t.Errorf("configured path: %d, want 401", resp.Status)
	}
	if resp := srv.Do("GET", "/forward-auth", nil); resp.Status != http.StatusNotFound {
		t.Errorf("default path after moving it: %d, want 404", resp.Status)
	}
	off := authtest.NewWithDatabase(t, srv.DatabaseURL, authtest.Env{"AUTHD_FORWARD_AUTH": "false"})
	if resp := off.Do("GET", "/forward-auth", nil); resp.Status != http.StatusNotFound {
		t.Errorf("disabled: %d, want 404", resp.Status)
	}
}

func TestRateLimitRule(t *testing.T) {
	srv := authtest.New(t, authtest.Env{
		"AUTHD_RATE_LIMIT":                     "on",
		"AUTHD_FORWARD_AUTH_RATE_LIMIT_MAX":    "2",
		"AUTHD_FORWARD_AUTH_RATE_LIMIT_WINDOW": "1m",
	})
	for i := 0; i < 2; i++ {
		if resp := srv.Do("GET", "/forward-auth", nil); resp.Status != http.StatusUnauthorized {
			t.Fatalf("request %d: %d, want 401", i+1, resp.Status)
		}
	}
	resp := srv.Do("GET", "/forward-auth", nil)
	if resp.Status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("third request: %d Retry-After %q, want 429 after 60 s", resp.Status, resp.Header.Get("Retry-After"))
	}
}

// createAPIKey creates a key for userID through the service channel, as an
// application backend would. It skips the test while the API Key plugin's
// endpoints are not mounted.
func createAPIKey(t *testing.T, srv *authtest.Server, userID string, body map[string]any) (id, key string) {
	t.Helper()
	mounted := false
	for _, r := range srv.App.Router.Routes {
		mounted = mounted || r.Path == "/api-key/create"
	}
	if !mounted {
		t.Skip("POST /api-key/create is not mounted: the API Key plugin is missing")
	}
	_, token, err := servicekey.Create(context.Background(), srv.App.Store.Pool, "fa-"+t.Name(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body["userId"] = userID
	resp := srv.Do("POST", "/api-key/create", body, authtest.Bearer(token)...)
	if resp.Status != http.StatusOK {
		t.Fatalf("create API key: %d %s", resp.Status, resp.Body)
	}
	var out struct{ ID, Key string }
	resp.Decode(t, &out)
	return out.ID, out.Key
}

func TestAPIKey(t *testing.T) {
	srv := authtest.New(t, nil)
	user := srv.SignUp(authtest.UniqueEmail("fa-key"), "password-123")
	id, key := createAPIKey(t, srv, user.ID, map[string]any{
		"rateLimitEnabled": false,
		"permissions":      map[string][]string{"project": {"read"}},
	})

	resp := srv.Do("GET", "/forward-auth?permissions=project:read", nil, "x-api-key", key)
	if resp.Status != http.StatusOK {
		t.Fatalf("key with the permission: %d %s", resp.Status, resp.Body)
	}
	if resp.Header.Get("X-Auth-Api-Key-Id") != id || resp.Header.Get("X-Auth-User-Id") != user.ID {
		t.Errorf("identity headers: key %q user %q, want %q and %q",
			resp.Header.Get("X-Auth-Api-Key-Id"), resp.Header.Get("X-Auth-User-Id"), id, user.ID)
	}
	if resp.Header.Get("X-Auth-Session-Id") != "" {
		t.Error("an API key caller got X-Auth-Session-Id")
	}
	if resp := srv.Do("GET", "/forward-auth?permissions=project:write", nil, "x-api-key", key); resp.Status != http.StatusForbidden {
		t.Errorf("key without the permission: %d %s, want 403", resp.Status, resp.Body)
	}
	unknown := strings.Repeat("x", len(key))
	if resp := srv.Do("GET", "/forward-auth", nil, "x-api-key", unknown); resp.Status != http.StatusUnauthorized {
		t.Errorf("unknown key: %d %s, want 401", resp.Status, resp.Body)
	}
}

func TestAPIKeyRateLimited(t *testing.T) {
	srv := authtest.New(t, nil)
	user := srv.SignUp(authtest.UniqueEmail("fa-key-rl"), "password-123")
	_, key := createAPIKey(t, srv, user.ID, map[string]any{
		"rateLimitEnabled":    true,
		"rateLimitMax":        1,
		"rateLimitTimeWindow": 60_000,
	})
	if resp := srv.Do("GET", "/forward-auth", nil, "x-api-key", key); resp.Status != http.StatusOK {
		t.Fatalf("first use: %d %s", resp.Status, resp.Body)
	}
	resp := srv.Do("GET", "/forward-auth", nil, "x-api-key", key)
	if resp.Status != http.StatusTooManyRequests {
		t.Fatalf("second use: %d %s, want 429", resp.Status, resp.Body)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 for a rate-limited API key has no Retry-After header")
	}
}
