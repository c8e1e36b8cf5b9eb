package apikey_test

import (
	"context"
	"testing"
	"time"

	"github.com/authd/authd/internal/apikey"
	"github.com/authd/authd/internal/authtest"
)

func TestHash(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, hash string }{
		{"abc", "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"},
		{"test_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl", "wn2XF5xcaqm2IKuyz4U4NUS_U3G4VlCcIJdqENUYt1E"},
	} {
		if got := apikey.Hash(tc.key); got != tc.hash {
			t.Errorf("Hash(%q) = %s, want %s", tc.key, got, tc.hash)
		}
	}
}

func TestVerifyNeedsServiceKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, key := f.serverKey(t, "", nil)
	expectError(t, f.Do("POST", "/api-key/verify", map[string]any{"key": key}), 401, "UNAUTHORIZED")
	expectError(t, f.asUser("POST", "/api-key/verify", map[string]any{"key": key}), 401, "UNAUTHORIZED")
	expectError(t, f.asUser("POST", "/api-key/delete-all-expired-api-keys", map[string]any{}), 401, "UNAUTHORIZED")
	expectError(t, f.asService("POST", "/api-key/verify", map[string]any{}), 400, "VALIDATION_ERROR")
	expectError(t, f.asService("POST", "/api-key/verify", map[string]any{"key": key, "permissions": map[string]any{"a": "b"}}), 400, "VALIDATION_ERROR")

	pub := newFixture(t, authtest.Env{"AUTHD_APIKEY_PUBLIC_VERIFY": "true"})
	_, key = pub.serverKey(t, "", nil)
	if out := pub.Do("POST", "/api-key/verify", map[string]any{"key": key}).JSON(t); out["valid"] != true {
		t.Errorf("public verify: %v", out)
	}
}

func TestVerifyValid(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", map[string]any{"remaining": 3})
	now := f.Clock.Now()

	out := f.verify(t, map[string]any{"key": key})
	if out["valid"] != true || out["error"] != nil {
		t.Fatalf("verify: %v", out)
	}
	k := out["key"].(map[string]any)
	if _, ok := k["key"]; ok || k["id"] != id || k["remaining"] != 2.0 || k["requestCount"] != 1.0 || k["userId"] != f.user.ID {
		t.Errorf("key object %v", k)
	}
	r, _ := f.row(t, id)
	if *r.Remaining != 2 || *r.RequestCount != 1 || r.LastRequest == nil || r.LastRequest.Sub(now).Abs() > time.Second {
		t.Errorf("row after verify: remaining %v requestCount %v lastRequest %v", *r.Remaining, *r.RequestCount, r.LastRequest)
	}
}

func TestVerifyInvalid(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	out := f.verify(t, map[string]any{"key": "abc"})
	if out["valid"] != false || out["key"] != nil {
		t.Fatalf("verify: %v", out)
	}
	if e := out["error"].(map[string]any); e["code"] != "INVALID_API_KEY" || e["message"] != "Invalid API key." {
		t.Errorf("error %v", e)
	}
}

func TestVerifyDisabled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", map[string]any{"remaining": 3})
	f.asService("POST", "/api-key/update", map[string]any{"keyId": id, "enabled": false})
	if code := f.verifyCode(t, key); code != "KEY_DISABLED" {
		t.Fatalf("code %s", code)
	}
	if r, _ := f.row(t, id); *r.Remaining != 3 || *r.RequestCount != 0 || r.LastRequest != nil {
		t.Errorf("a rejected verify wrote to the row: %+v", r)
	}
}

// Better Auth deletes an expired key while verifying it, so its next
// attempt is INVALID_API_KEY. authd returns KEY_EXPIRED every time and
// leaves removal to the sweep.
func TestVerifyExpired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", map[string]any{"expiresIn": 86400})
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("before expiry: %s", code)
	}
	f.Clock.Advance(86400*time.Second + time.Millisecond)
	for range 2 {
		if code := f.verifyCode(t, key); code != "KEY_EXPIRED" {
			t.Fatalf("after expiry: %s", code)
		}
	}
	if _, ok := f.row(t, id); !ok {
		t.Error("verify deleted the expired key")
	}
}

// Better Auth deletes an exhausted key on the next attempt, but authd returns
// USAGE_EXCEEDED every time.
func TestVerifyExhausted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", map[string]any{"remaining": 1})
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("first: %s", code)
	}
	for range 2 {
		if code := f.verifyCode(t, key); code != "USAGE_EXCEEDED" {
			t.Fatalf("after the last use: %s", code)
		}
	}
	if r, ok := f.row(t, id); !ok || *r.Remaining != 0 || *r.RequestCount != 1 {
		t.Errorf("row %+v (present %v)", r, ok)
	}
}

func TestVerifyRefill(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	now := f.Clock.Now()

	// Due: refillInterval has passed since creation (no refill yet).
	id, key := f.serverKey(t, "", map[string]any{"remaining": 0, "refillAmount": 5, "refillInterval": 1000})
	f.Exec(`UPDATE "apikey" SET "createdAt" = $2 WHERE "id" = $1`, id, now.Add(-2*time.Second))
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("due refill: %s", code)
	}
	if r, _ := f.row(t, id); *r.Remaining != 4 || r.LastRefillAt == nil || r.LastRefillAt.Sub(now).Abs() > time.Second {
		t.Errorf("after refill: remaining %d lastRefillAt %v", *r.Remaining, r.LastRefillAt)
	}

	// Not due yet: exhausted, and the key stays.
	id, key = f.serverKey(t, "", map[string]any{"remaining": 0, "refillAmount": 5, "refillInterval": 1000})
	if code := f.verifyCode(t, key); code != "USAGE_EXCEEDED" {
		t.Fatalf("refill not due: %s", code)
	}
	if _, ok := f.row(t, id); !ok {
		t.Fatal("exhausted refillable key was deleted")
	}
	f.Clock.Advance(1001 * time.Millisecond)
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("after the interval: %s", code)
	}

	// A refill resets remaining to refillAmount instead of adding to it.
	id, key = f.serverKey(t, "", map[string]any{"remaining": 100, "refillAmount": 5, "refillInterval": 1000})
	f.Exec(`UPDATE "apikey" SET "createdAt" = $2 WHERE "id" = $1`, id, f.Clock.Now().Add(-2*time.Second))
	f.verifyCode(t, key)
	if r, _ := f.row(t, id); *r.Remaining != 4 {
		t.Errorf("refill of a key with 100 left: remaining %d, want 4", *r.Remaining)
	}
}

func TestVerifyRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", map[string]any{"rateLimitMax": 2, "rateLimitTimeWindow": 60000, "remaining": 10})
	for i := range 2 {
		if code := f.verifyCode(t, key); code != apikey.CodeValid {
			t.Fatalf("request %d: %s", i+1, code)
		}
	}
	out := f.verify(t, map[string]any{"key": key})
	e, _ := out["error"].(map[string]any)
	if out["valid"] != false || e["code"] != "RATE_LIMITED" || e["message"] != "Rate limit exceeded." {
		t.Fatalf("third request: %v", out)
	}
	// Two tokens per minute: the next one is 30 s away.
	if wait := num(e["details"].(map[string]any)["tryAgainIn"]); wait != 30000 {
		t.Errorf("tryAgainIn %d, want 30000", wait)
	}
	// Better Auth 1.6.17+ charges remaining for a rate-limited request;
	// authd's rejected requests change nothing.
	if r, _ := f.row(t, id); *r.Remaining != 8 || *r.RequestCount != 2 {
		t.Errorf("after the rejection: remaining %d requestCount %d, want 8 and 2", *r.Remaining, *r.RequestCount)
	}

	// The bucket refills continuously: one token after half the window,
	// not a whole window of lock-out.
	f.Clock.Advance(29 * time.Second)
	if wait := num(f.verify(t, map[string]any{"key": key})["error"].(map[string]any)["details"].(map[string]any)["tryAgainIn"]); wait != 1000 {
		t.Errorf("tryAgainIn after 29 s: %d, want 1000", wait)
	}
	f.Clock.Advance(time.Second)
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("after 30 s: %s", code)
	}
	if code := f.verifyCode(t, key); code != "RATE_LIMITED" {
		t.Fatalf("right after: %s", code)
	}
	// A long idle time fills the bucket to its capacity, no further.
	f.Clock.Advance(time.Hour)
	for i, want := range []string{apikey.CodeValid, apikey.CodeValid, "RATE_LIMITED"} {
		if code := f.verifyCode(t, key); code != want {
			t.Fatalf("after an hour, request %d: %s, want %s", i+1, code, want)
		}
	}
}

// Better Auth admits the first request of each window even with a maximum
// of 0, so authd's bucket treats a maximum below 1 as 1.
func TestVerifyRateLimitZero(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, key := f.serverKey(t, "", map[string]any{"rateLimitMax": 0, "rateLimitTimeWindow": 60000})
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("first: %s", code)
	}
	if code := f.verifyCode(t, key); code != "RATE_LIMITED" {
		t.Fatalf("second: %s", code)
	}
}

// Better Auth leaves requestCount at 0 when rate limiting is off, but authd
// counts every successful use in requestCount.
func TestVerifyRateLimitOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", map[string]any{"rateLimitEnabled": false, "rateLimitMax": 1})
	for i := range 5 {
		if code := f.verifyCode(t, key); code != apikey.CodeValid {
			t.Fatalf("request %d: %s", i+1, code)
		}
	}
	// The key is unlimited, so its uses are written by the next flush.
	flush(t, f.Server)
	if r, _ := f.row(t, id); *r.RequestCount != 5 || r.LastRequest == nil {
		t.Errorf("requestCount %d lastRequest %v", *r.RequestCount, r.LastRequest)
	}

	g := newFixture(t, authtest.Env{"AUTHD_APIKEY_RATE_LIMIT_ENABLED": "false"})
	_, key = g.serverKey(t, "", map[string]any{"rateLimitEnabled": true, "rateLimitMax": 1})
	for i := range 3 {
		if code := g.verifyCode(t, key); code != apikey.CodeValid {
			t.Fatalf("rate limiting off for the server, request %d: %s", i+1, code)
		}
	}
}

func TestVerifyPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, key := f.serverKey(t, "", map[string]any{"rateLimitEnabled": false,
		"permissions": map[string]any{"files": []any{"read", "write"}, "users": []any{"read"}}})
	_, bare := f.serverKey(t, "", map[string]any{"rateLimitEnabled": false})

	for _, tc := range []struct {
		name     string
		key      string
		required map[string]any
		want     string
	}{
		{"granted", key, map[string]any{"files": []any{"read", "write"}}, apikey.CodeValid},
		{"two resources", key, map[string]any{"files": []any{"read"}, "users": []any{"read"}}, apikey.CodeValid},
		{"missing action", key, map[string]any{"files": []any{"delete"}}, "KEY_NOT_FOUND"},
		{"one action missing", key, map[string]any{"files": []any{"read"}, "users": []any{"write"}}, "KEY_NOT_FOUND"},
		{"missing resource", key, map[string]any{"teams": []any{"read"}}, "KEY_NOT_FOUND"},
		{"empty action list", key, map[string]any{"files": []any{}}, "KEY_NOT_FOUND"},
		{"empty request", key, map[string]any{}, "KEY_NOT_FOUND"},
		{"key without permissions", bare, map[string]any{"files": []any{"read"}}, "KEY_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := f.verify(t, map[string]any{"key": tc.key, "permissions": tc.required})
			code := apikey.CodeValid
			if out["valid"] != true {
				code = out["error"].(map[string]any)["code"].(string)
			}
			if code != tc.want {
				t.Errorf("%s, want %s", code, tc.want)
			}
		})
	}
}

func TestVerifyConfigScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	_, key := f.serverKey(t, "", map[string]any{"rateLimitEnabled": false})
	for configID, want := range map[string]string{"default": apikey.CodeValid, "other": "INVALID_API_KEY"} {
		out := f.verify(t, map[string]any{"key": key, "configId": configID})
		code := apikey.CodeValid
		if out["valid"] != true {
			code = out["error"].(map[string]any)["code"].(string)
		}
		if code != want {
			t.Errorf("configId %s: %s, want %s", configID, code, want)
		}
	}
}

func TestVerifyBannedOwner(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id, key := f.serverKey(t, "", map[string]any{"remaining": 5})
	f.Exec(`UPDATE "user" SET "banned" = true, "banExpires" = $2 WHERE "id" = $1`, f.user.ID, f.Clock.Now().Add(time.Hour))
	out := f.verify(t, map[string]any{"key": key})
	if e, _ := out["error"].(map[string]any); out["valid"] != false || e["code"] != "USER_BANNED" || e["message"] != "User is banned" {
		t.Fatalf("banned owner: %v", out)
	}
	if r, _ := f.row(t, id); *r.Remaining != 5 {
		t.Errorf("a rejected verify used the key: remaining %d", *r.Remaining)
	}
	// A ban whose banExpires has passed no longer counts.
	f.Clock.Advance(2 * time.Hour)
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Errorf("after the ban ended: %s", code)
	}
}

func TestDeleteAllExpired(t *testing.T) {
	f := newFixture(t, nil)
	expired, _ := f.serverKey(t, "", map[string]any{"expiresIn": 86400})
	live, _ := f.serverKey(t, "", map[string]any{"expiresIn": 3 * 86400})
	forever, _ := f.serverKey(t, "", nil)
	f.Clock.Advance(2 * 86400 * time.Second)

	resp := f.asService("POST", "/api-key/delete-all-expired-api-keys", map[string]any{})
	if resp.Status != 200 || string(resp.Body) != `{"success":true,"error":null}` {
		t.Fatalf("delete-all-expired: %d %s", resp.Status, resp.Body)
	}
	for id, want := range map[string]bool{expired: false, live: true, forever: true} {
		if _, ok := f.row(t, id); ok != want {
			t.Errorf("key %s present %v, want %v", id, ok, want)
		}
	}
}

func TestSweep(t *testing.T) {
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_SWEEP_GRACE": "7d"})
	p, err := apikey.New(f.App.Service, apikey.LoadConfig(configEnv(authtest.Env{"AUTHD_APIKEY_SWEEP_GRACE": "7d"})))
	if err != nil {
		t.Fatal(err)
	}
	id, key := f.serverKey(t, "", map[string]any{"expiresIn": 86400})
	f.Clock.Advance(3 * 24 * time.Hour)
	if n, err := p.SweepExpired(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep within the grace period: deleted %d, %v", n, err)
	}
	if code := f.verifyCode(t, key); code != "KEY_EXPIRED" {
		t.Errorf("within the grace period: %s", code)
	}
	f.Clock.Advance(6 * 24 * time.Hour)
	if n, err := p.SweepExpired(context.Background()); err != nil || n < 1 {
		t.Fatalf("sweep after the grace period: deleted %d, %v", n, err)
	}
	if _, ok := f.row(t, id); ok {
		t.Error("the key survived the sweep")
	}
	if code := f.verifyCode(t, key); code != "INVALID_API_KEY" {
		t.Errorf("after the sweep: %s", code)
	}
}

func TestSweepStartStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p, err := apikey.New(f.App.Service, apikey.LoadConfig(configEnv(authtest.Env{"AUTHD_APIKEY_SWEEP_INTERVAL": "10ms"})))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// The core rate limiter gives verify its own allowance, because one
// backend verifies keys for all its users.
func TestVerifyCoreRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_RATE_LIMIT": "on", "AUTHD_RATE_LIMIT_MAX": "2",
		"AUTHD_APIKEY_VERIFY_RATE_LIMIT_MAX": "5"})
	_, key := f.serverKey(t, "", map[string]any{"rateLimitEnabled": false})
	for i := range 5 {
		if resp := f.asService("POST", "/api-key/verify", map[string]any{"key": key}); resp.Status != 200 {
			t.Fatalf("request %d: %d %s", i+1, resp.Status, resp.Body)
		}
	}
	if resp := f.asService("POST", "/api-key/verify", map[string]any{"key": key}); resp.Status != 429 {
		t.Errorf("request 6: %d %s, want 429 from the core limiter", resp.Status, resp.Body)
	}
}
