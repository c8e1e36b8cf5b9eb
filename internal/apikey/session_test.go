package apikey_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authd/authd/internal/apikey"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/authtest"
)

func TestSessionGetSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", nil)
	now := f.Clock.Now()

	resp := f.Do("GET", "/get-session", nil, "x-api-key", key, "User-Agent", "probe/1")
	if resp.Status != 200 {
		t.Fatalf("get-session: %d %s", resp.Status, resp.Body)
	}
	var out struct {
		User    map[string]any `json:"user"`
		Session map[string]any `json:"session"`
	}
	resp.Decode(t, &out)
	s := out.Session
	if out.User["id"] != f.user.ID || s["id"] != id || s["token"] != key || s["userId"] != f.user.ID || s["userAgent"] != "probe/1" {
		t.Fatalf("session %s", resp.Body)
	}
	for _, field := range []string{"createdAt", "updatedAt", "expiresAt"} {
		if !regexp.MustCompile(isoTime).MatchString(s[field].(string)) {
			t.Errorf("%s = %v", field, s[field])
		}
	}
	// Better Auth's quirk: a key without expiry gets now + 604800 ms.
	at, _ := time.Parse(time.RFC3339, s["expiresAt"].(string))
	if d := at.Sub(now); d < 604*time.Second || d > 606*time.Second {
		t.Errorf("expiresAt is %v from now, want about 604.8 s", d)
	}
	if _, ok := s["ipAddress"]; !ok {
		t.Error("session has no ipAddress field")
	}
	// The request used the key once and created no session row.
	if r, _ := f.row(t, id); *r.RequestCount != 1 {
		t.Errorf("requestCount %d, want 1", *r.RequestCount)
	}
}

func TestSessionRateLimited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_RATE_LIMIT_WINDOW": "60s", "AUTHD_APIKEY_RATE_LIMIT_MAX": "2"})
	key := f.create(t, nil)["key"].(string)
	for i := range 2 {
		if resp := f.Do("GET", "/get-session", nil, "x-api-key", key); resp.Status != 200 {
			t.Fatalf("request %d: %d %s", i+1, resp.Status, resp.Body)
		}
	}
	resp := f.Do("GET", "/get-session", nil, "x-api-key", key)
	expectError(t, resp, 429, "RATE_LIMITED")
	var body struct {
		Message string
		Details struct{ TryAgainIn int64 }
	}
	resp.Decode(t, &body)
	if body.Message != "Rate limit exceeded." || body.Details.TryAgainIn <= 0 || body.Details.TryAgainIn > 60000 {
		t.Errorf("body %s", resp.Body)
	}
}

func TestSessionInvalidKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	// A key shorter than a generated one is rejected before any lookup, with 403.
	expectError(t, f.Do("GET", "/get-session", nil, "x-api-key", "abc"), 403, "INVALID_API_KEY")
	expectError(t, f.Do("GET", "/get-session", nil, "x-api-key", strings.Repeat("a", 64)), 401, "INVALID_API_KEY")

	id, key := f.serverKey(t, "", nil)
	f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "enabled": false})
	expectError(t, f.Do("GET", "/get-session", nil, "x-api-key", key), 401, "KEY_DISABLED")
}

func TestSessionListKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", nil)
	f.create(t, nil)

	out := f.Do("GET", "/api-key/list", nil, "x-api-key", key).JSON(t)
	if out["total"] != 2.0 {
		t.Fatalf("list with x-api-key: %v", out)
	}
	got := f.asUser("GET", "/api-key/get?id="+id, nil).JSON(t)
	if got["requestCount"] != 1.0 || got["lastRequest"] == nil {
		t.Errorf("requestCount %v lastRequest %v", got["requestCount"], got["lastRequest"])
	}
	// The key's owner may manage keys with it, as with a session.
	if out := f.Do("POST", "/api-key/create", map[string]any{}, "x-api-key", key).JSON(t); out["referenceId"] != f.user.ID {
		t.Errorf("create with x-api-key: %v", out)
	}
}

func TestSessionDisabled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_ENABLE_SESSION": "false"})
	id, key := f.serverKey(t, "", nil)
	resp := f.Do("GET", "/get-session", nil, "x-api-key", key)
	if resp.Status != 200 || string(resp.Body) != "null" {
		t.Fatalf("get-session: %d %s, want 200 null", resp.Status, resp.Body)
	}
	expectError(t, f.Do("GET", "/get-session", nil, "x-api-key", "abc"), 200, "")
	if r, _ := f.row(t, id); *r.RequestCount != 0 {
		t.Errorf("the ignored header used the key")
	}
}

// Better Auth deletes the key on these attempts, so the next one is
// INVALID_API_KEY. authd keeps returning the same code (expired keys stay
// expired).
func TestSessionExpiredAndExhausted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", nil)
	f.Exec(`UPDATE "apikey" SET "expiresAt" = $2 WHERE "id" = $1`, id, f.Clock.Now().Add(-time.Second))
	for range 2 {
		expectError(t, f.Do("GET", "/get-session", nil, "x-api-key", key), 401, "KEY_EXPIRED")
	}

	_, key = f.serverKey(t, "", map[string]any{"remaining": 1})
	if resp := f.Do("GET", "/get-session", nil, "x-api-key", key); resp.Status != 200 {
		t.Fatalf("first use: %d %s", resp.Status, resp.Body)
	}
	for range 2 {
		expectError(t, f.Do("GET", "/get-session", nil, "x-api-key", key), 429, "USAGE_EXCEEDED")
	}
}

// Better Auth does not check bans here. authd rejects a banned owner's
// keys as it rejects their cookies and bearer tokens.
func TestSessionBannedOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", nil)
	f.Exec(`UPDATE "user" SET "banned" = true WHERE "id" = $1`, f.user.ID)
	resp := f.Do("GET", "/get-session", nil, "x-api-key", key)
	expectError(t, resp, 403, "BANNED_USER")
	if msg := resp.JSON(t)["message"]; msg != f.App.Settings.Core.BannedUserMessage {
		t.Errorf("message %q", msg)
	}
	if r, _ := f.row(t, id); *r.RequestCount != 0 {
		t.Error("the rejected request used the key")
	}
}

func TestSessionMissingOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", nil)
	f.Exec(`UPDATE "apikey" SET "referenceId" = 'gone' WHERE "id" = $1`, id)
	expectError(t, f.Do("GET", "/get-session", nil, "x-api-key", key), 401, "INVALID_REFERENCE_ID_FROM_API_KEY")
}

func TestSessionHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_HEADERS": "x-key, x-other-key"})
	_, key := f.serverKey(t, "", nil)
	if out := f.Do("GET", "/get-session", nil, "x-other-key", key).JSON(t); out["session"] == nil {
		t.Error("second configured header was ignored")
	}
	if resp := f.Do("GET", "/get-session", nil, "x-api-key", key); string(resp.Body) != "null" {
		t.Errorf("x-api-key is no longer configured but was used: %s", resp.Body)
	}
}

// A service key wins over x-api-key, so a backend that forwards a user's
// headers acts as itself and does not use the user's key.
func TestSessionServiceKeyWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", nil)
	resp := f.Do("POST", "/api-key/verify", map[string]any{"key": key}, append(authtest.Bearer(f.service), "x-api-key", key)...)
	if resp.Status != 200 || resp.JSON(t)["valid"] != true {
		t.Fatalf("verify: %d %s", resp.Status, resp.Body)
	}
	if r, _ := f.row(t, id); *r.RequestCount != 1 {
		t.Errorf("requestCount %d, want 1 (the verify only)", *r.RequestCount)
	}
}

func TestOnVerify(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, key := f.serverKey(t, "", nil)
	p, err := apikey.New(f.App.Service, apikey.LoadConfig(configEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var codes []string
	p.OnVerify(func(code string) {
		mu.Lock()
		codes = append(codes, code)
		mu.Unlock()
	})
	for _, k := range []string{key, "short", strings.Repeat("z", 64)} {
		r := httptest.NewRequest("GET", "/get-session", nil)
		r.Header.Set("x-api-key", k)
		_, _ = p.Authenticate(&auth.Context{W: httptest.NewRecorder(), R: r, Service: f.App.Service})
	}
	want := []string{"VALID", "INVALID_API_KEY", "INVALID_API_KEY"}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Errorf("observed %v, want %v", codes, want)
	}
}
