package apikey_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authd/authd/internal/apikey"
	"github.com/authd/authd/internal/authtest"
)

// noFlush keeps the periodic flush from running during a test, so that
// only the test's own flushes write uses.
var noFlush = authtest.Env{"AUTHD_APIKEY_USAGE_FLUSH_INTERVAL": "1h"}

// unlimited is the body of a key without remaining count or rate limit.
var unlimited = map[string]any{"rateLimitEnabled": false}

// Uses of an unlimited key on two replicas, through verify and x-api-key
// alike, all reach requestCount once both replicas have flushed.
func TestUsageConcurrentReplicas(t *testing.T) {
	f := newFixture(t, noFlush)
	servers := []*authtest.Server{f.Server, authtest.NewWithDatabase(t, f.DatabaseURL, noFlush)}
	id, key := f.serverKey(t, "", unlimited)

	var n atomic.Int64
	got := burst(t, servers, 500, func(srv *authtest.Server) *http.Request {
		if n.Add(1)%2 == 0 {
			return sessionRequest(srv, key)
		}
		return verifyRequest(srv, f.service, key)
	})
	if got["VALID"] != 500 {
		t.Fatalf("outcomes %v, want 500 VALID", got)
	}
	if r, _ := f.row(t, id); *r.RequestCount != 0 || r.LastRequest != nil {
		t.Fatalf("before the flush: requestCount %d lastRequest %v, want nothing written yet", *r.RequestCount, r.LastRequest)
	}
	for _, srv := range servers {
		flush(t, srv)
	}
	r, _ := f.row(t, id)
	if *r.RequestCount != int64(got["VALID"]) {
		t.Errorf("requestCount %d, want %d", *r.RequestCount, got["VALID"])
	}
	if r.LastRequest == nil || r.LastRequest.Sub(f.Clock.Now()).Abs() > time.Second {
		t.Errorf("lastRequest %v, want about %v", r.LastRequest, f.Clock.Now())
	}
}

// The verify response shows the key as it is after the use.
func TestUsageVerifyResponse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, noFlush)
	_, key := f.serverKey(t, "", unlimited)
	f.Clock.Advance(time.Hour)
	for want := 1.0; want <= 2; want++ {
		k := f.verify(t, map[string]any{"key": key})["key"].(map[string]any)
		if k["requestCount"] != want {
			t.Errorf("requestCount %v, want %v", k["requestCount"], want)
		}
		at, _ := time.Parse(time.RFC3339, k["lastRequest"].(string))
		if at.Sub(f.Clock.Now()).Abs() > time.Millisecond {
			t.Errorf("lastRequest %v, want %v", at, f.Clock.Now())
		}
	}
}

// Stop writes the uses counted in memory, and uses after Stop are written
// at once.
func TestUsageFlushOnStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, noFlush)
	id, key := f.serverKey(t, "", unlimited)
	for range 3 {
		if code := f.verifyCode(t, key); code != apikey.CodeValid {
			t.Fatalf("verify: %s", code)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := apikey.PluginOf(f.App.Service).Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if r, _ := f.row(t, id); *r.RequestCount != 3 || r.LastRequest == nil {
		t.Fatalf("after stop: requestCount %d lastRequest %v, want 3 and set", *r.RequestCount, r.LastRequest)
	}
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("verify after stop: %s", code)
	}
	if r, _ := f.row(t, id); *r.RequestCount != 4 {
		t.Errorf("requestCount %d after a use following stop, want 4", *r.RequestCount)
	}
}

// A flush that fails keeps its uses for the next one.
func TestUsageFlushFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, noFlush)
	id, key := f.serverKey(t, "", unlimited)
	for range 2 {
		if code := f.verifyCode(t, key); code != apikey.CodeValid {
			t.Fatalf("verify: %s", code)
		}
	}
	p := apikey.PluginOf(f.App.Service)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Flush(canceled); err == nil {
		t.Fatal("flush with a canceled context succeeded")
	}
	if r, _ := f.row(t, id); *r.RequestCount != 0 {
		t.Fatalf("requestCount %d after the failed flush, want 0", *r.RequestCount)
	}
	flush(t, f.Server)
	if r, _ := f.row(t, id); *r.RequestCount != 2 {
		t.Errorf("requestCount %d after the next flush, want 2", *r.RequestCount)
	}
}

// Counting in memory never caches a verdict: disabling, expiring or
// deleting an unlimited key, or banning its owner, applies to the next
// request, and rejected attempts are not counted.
func TestUsageRevocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, noFlush)
	body := map[string]any{"rateLimitEnabled": false, "expiresIn": 2 * 86400}
	id, key := f.serverKey(t, "", body)
	valid := 0
	check := func(step, wantVerify string, wantStatus int, wantSession string) {
		t.Helper()
		if code := f.verifyCode(t, key); code != wantVerify {
			t.Errorf("%s: verify %s, want %s", step, code, wantVerify)
		}
		resp := f.Do("GET", "/get-session", nil, "x-api-key", key)
		if resp.Status != wantStatus || resp.Code() != wantSession {
			t.Errorf("%s: get-session %d %s, want %d %s", step, resp.Status, resp.Body, wantStatus, wantSession)
		}
		if wantVerify == apikey.CodeValid {
			valid += 2
		}
	}

	check("unlimited", apikey.CodeValid, 200, "")
	f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "enabled": false})
	check("disabled", "KEY_DISABLED", 401, "KEY_DISABLED")
	f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "enabled": true})
	check("enabled again", apikey.CodeValid, 200, "")

	f.Exec(`UPDATE "user" SET "banned" = true, "banExpires" = $2 WHERE "id" = $1`, f.user.ID, f.Clock.Now().Add(time.Hour))
	check("owner banned", "USER_BANNED", 403, "BANNED_USER")
	f.Clock.Advance(2 * time.Hour)
	check("ban over", apikey.CodeValid, 200, "")

	f.Clock.Advance(2 * 86400 * time.Second)
	check("expired", "KEY_EXPIRED", 401, "KEY_EXPIRED")

	flush(t, f.Server)
	if r, _ := f.row(t, id); *r.RequestCount != int64(valid) {
		t.Errorf("requestCount %d, want %d (the successful uses only)", *r.RequestCount, valid)
	}
	f.asUser("POST", "/api-key/delete", map[string]any{"keyId": id})
	if code := f.verifyCode(t, key); code != "INVALID_API_KEY" {
		t.Errorf("deleted: verify %s", code)
	}
	flush(t, f.Server)
}

// A key that gets a remaining count or a rate limit is exact from the next
// request on, even with uses of its unlimited time still unwritten.
func TestUsageBecomesLimited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, noFlush)
	servers := replicas(t, f)
	for _, tc := range []struct {
		name    string
		change  map[string]any
		valid   int
		outcome string
	}{
		{"remaining", map[string]any{"remaining": 3}, 3, "USAGE_EXCEEDED"},
		{"rate limit", map[string]any{"rateLimitEnabled": true, "rateLimitMax": 2, "rateLimitTimeWindow": 86400000}, 2, "RATE_LIMITED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, key := f.serverKey(t, "", map[string]any{"rateLimitEnabled": false})
			for range 2 {
				if code := f.verifyCode(t, key); code != apikey.CodeValid {
					t.Fatalf("unlimited: %s", code)
				}
			}
			tc.change["keyId"] = id
			if resp := f.asService("POST", "/api-key/update", tc.change); resp.Status != 200 {
				t.Fatalf("update: %d %s", resp.Status, resp.Body)
			}
			got := burst(t, servers, 40, func(srv *authtest.Server) *http.Request { return verifyRequest(srv, f.service, key) })
			if got["VALID"] != tc.valid || got[tc.outcome] != 40-tc.valid {
				t.Errorf("outcomes %v, want %d VALID and the rest %s", got, tc.valid, tc.outcome)
			}
			r, _ := f.row(t, id)
			if *r.RequestCount != int64(tc.valid) {
				t.Errorf("requestCount %d before the flush, want %d (the limited uses)", *r.RequestCount, tc.valid)
			}
			flush(t, f.Server)
			if r, _ := f.row(t, id); *r.RequestCount != int64(tc.valid)+2 {
				t.Errorf("requestCount %d after the flush, want %d", *r.RequestCount, tc.valid+2)
			}
		})
	}
}

// With AUTHD_APIKEY_USAGE_FLUSH_INTERVAL=0 every use is written at once.
func TestUsageFlushIntervalZero(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_USAGE_FLUSH_INTERVAL": "0"})
	id, key := f.serverKey(t, "", unlimited)
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("verify: %s", code)
	}
	if r, _ := f.row(t, id); *r.RequestCount != 1 {
		t.Errorf("requestCount %d, want 1 without a flush", *r.RequestCount)
	}
}

// The periodic flush writes the uses without a test's help.
func TestUsagePeriodicFlush(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_USAGE_FLUSH_INTERVAL": "20ms"})
	id, key := f.serverKey(t, "", unlimited)
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Fatalf("verify: %s", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r, _ := f.row(t, id); *r.RequestCount == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the use was not written within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUsageFlushIntervalSetting(t *testing.T) {
	t.Parallel()
	for value, ok := range map[string]bool{"0": true, "10ms": true, "1h": true, "5ms": false, "2h": false, "-1s": false} {
		env := configEnv(authtest.Env{"AUTHD_APIKEY_USAGE_FLUSH_INTERVAL": value})
		apikey.LoadConfig(env)
		if err := env.Err(); (err == nil) != ok {
			t.Errorf("%s: error %v, want accepted %v", value, err, ok)
		}
	}
	if got := apikey.LoadConfig(configEnv(nil)).UsageFlushInterval; got != time.Second {
		t.Errorf("default %s, want 1s", got)
	}
}
