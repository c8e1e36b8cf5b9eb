package apikey_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/apikey"
	"github.com/authd/authd/internal/authtest"
)

func TestCreateNoSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := f.Do("POST", "/api-key/create", map[string]any{})
	expectError(t, resp, 401, "UNAUTHORIZED_SESSION")
	if msg := resp.JSON(t)["message"]; msg != "Unauthorized or invalid session" {
		t.Errorf("message %q", msg)
	}
}

func TestCreateDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	out := f.create(t, nil)

	key, _ := out["key"].(string)
	if !regexp.MustCompile(`^[A-Za-z]{64}$`).MatchString(key) {
		t.Fatalf("key %q is not 64 letters", key)
	}
	if out["start"] != key[:6] {
		t.Errorf("start %v, want %q", out["start"], key[:6])
	}
	for _, field := range []string{"name", "prefix", "remaining", "refillAmount", "refillInterval", "lastRefillAt",
		"lastRequest", "expiresAt", "metadata", "permissions"} {
		if v, ok := out[field]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", field, v, ok)
		}
	}
	want := map[string]any{"enabled": true, "rateLimitEnabled": true, "rateLimitTimeWindow": 86400000.0,
		"rateLimitMax": 10.0, "requestCount": 0.0, "referenceId": f.user.ID, "userId": f.user.ID, "configId": "default"}
	for field, v := range want {
		if out[field] != v {
			t.Errorf("%s = %v, want %v", field, out[field], v)
		}
	}
	for _, field := range []string{"createdAt", "updatedAt"} {
		if s, _ := out[field].(string); !regexp.MustCompile(isoTime).MatchString(s) {
			t.Errorf("%s = %q is not an ISO time with milliseconds", field, s)
		}
	}
}

func TestCreateStoresHash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	out := f.create(t, nil)
	id, key := out["id"].(string), out["key"].(string)

	r, _ := f.row(t, id)
	if r.Hash != apikey.Hash(key) || len(r.Hash) != 43 {
		t.Fatalf("stored %q, want the 43-character hash %q", r.Hash, apikey.Hash(key))
	}
	for _, resp := range []*authtest.Response{
		f.asUser("GET", "/api-key/get?id="+id, nil),
		f.asUser("GET", "/api-key/list", nil),
		f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "name": "renamed"}),
	} {
		if resp.Status != 200 || strings.Contains(string(resp.Body), `"key"`) || strings.Contains(string(resp.Body), key) {
			t.Errorf("response shows the key: %d %s", resp.Status, resp.Body)
		}
	}
}

func TestCreatePrefix(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	out := f.create(t, map[string]any{"prefix": "proj_"})
	key := out["key"].(string)
	if len(key) != 69 || !strings.HasPrefix(key, "proj_") || out["prefix"] != "proj_" || out["start"] != key[:6] {
		t.Fatalf("key %q prefix %v start %v", key, out["prefix"], out["start"])
	}

	for _, bad := range []string{"", "a.b", "a b"} {
		resp := f.asUser("POST", "/api-key/create", map[string]any{"prefix": bad})
		expectError(t, resp, 400, "VALIDATION_ERROR")
	}
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"prefix": strings.Repeat("a", 33)}), 400, "INVALID_PREFIX_LENGTH")
	f.create(t, map[string]any{"prefix": strings.Repeat("a", 32)})
}

func TestCreateDefaultPrefix(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_DEFAULT_PREFIX": "sk_"})
	if out := f.create(t, nil); !strings.HasPrefix(out["key"].(string), "sk_") || out["prefix"] != "sk_" {
		t.Errorf("default prefix: key %v prefix %v", out["key"], out["prefix"])
	}
	if out := f.create(t, map[string]any{"prefix": "pk_"}); !strings.HasPrefix(out["key"].(string), "pk_") || out["prefix"] != "pk_" {
		t.Errorf("explicit prefix: key %v prefix %v", out["key"], out["prefix"])
	}
}

func TestCreateName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"name": strings.Repeat("x", 33)}), 400, "INVALID_NAME_LENGTH")
	if out := f.create(t, map[string]any{"name": strings.Repeat("x", 32)}); out["name"] != strings.Repeat("x", 32) {
		t.Errorf("name %v", out["name"])
	}
	// An empty name is stored as "", not null.
	if out := f.create(t, map[string]any{"name": ""}); out["name"] != "" {
		t.Errorf("empty name came back as %v", out["name"])
	}
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"name": nil}), 400, "VALIDATION_ERROR")
}

func TestCreateRequireName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_REQUIRE_NAME": "true"})
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{}), 400, "NAME_REQUIRED")
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"name": ""}), 400, "NAME_REQUIRED")
	f.create(t, map[string]any{"name": "a"})
}

func TestCreateExpiresIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	now := f.Clock.Now()
	out := f.create(t, map[string]any{"expiresIn": 86400})
	at, err := time.Parse(time.RFC3339, out["expiresAt"].(string))
	if err != nil || at.Sub(now) < 86400*time.Second-time.Second || at.Sub(now) > 86400*time.Second+time.Second {
		t.Errorf("expiresAt %v, want about %v", out["expiresAt"], now.Add(86400*time.Second))
	}

	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"expiresIn": 86399}), 400, "EXPIRES_IN_IS_TOO_SMALL")
	f.create(t, map[string]any{"expiresIn": 31536000})
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"expiresIn": 31536001}), 400, "EXPIRES_IN_IS_TOO_LARGE")
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"expiresIn": 0}), 400, "VALIDATION_ERROR")
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"expiresIn": "86400"}), 400, "VALIDATION_ERROR")
	if out := f.create(t, map[string]any{"expiresIn": nil}); out["expiresAt"] != nil {
		t.Errorf("expiresIn null gave expiresAt %v", out["expiresAt"])
	}
}

func TestCreateCustomExpiryDisabled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_DISABLE_CUSTOM_EXPIRES_IN": "true"})
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"expiresIn": 86400}), 400, "KEY_DISABLED_EXPIRATION")
	f.create(t, nil)
}

func TestCreateDefaultExpiresIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_DEFAULT_EXPIRES_IN": "2h"})
	out := f.create(t, nil)
	at, _ := time.Parse(time.RFC3339, out["expiresAt"].(string))
	if d := at.Sub(f.Clock.Now()); d < 2*time.Hour-time.Second || d > 2*time.Hour+time.Second {
		t.Errorf("expiresAt %v is %v from now, want 2h", out["expiresAt"], d)
	}
}

func TestCreateServerOnlyFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, body := range []map[string]any{
		{"remaining": 5}, {"remaining": 0}, {"refillAmount": 5}, {"refillInterval": 1000},
		{"rateLimitMax": 5}, {"rateLimitTimeWindow": 1000}, {"rateLimitEnabled": true}, {"permissions": map[string]any{}},
	} {
		expectError(t, f.asUser("POST", "/api-key/create", body), 400, "SERVER_ONLY_PROPERTY")
	}
	if out := f.create(t, map[string]any{"remaining": nil}); out["remaining"] != nil {
		t.Errorf("remaining null gave %v", out["remaining"])
	}
	// The server-only check comes before the session check.
	expectError(t, f.Do("POST", "/api-key/create", map[string]any{"remaining": 5}), 400, "SERVER_ONLY_PROPERTY")
}

func TestCreateUserIDFromClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	other := f.SignUp(authtest.UniqueEmail("ak-other"), password)
	// Better Auth 1.5+ rejects userId from a client even when it is the
	// caller's own id.
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"userId": f.user.ID}), 401, "UNAUTHORIZED_SESSION")
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"userId": other.ID}), 401, "UNAUTHORIZED_SESSION")
}

func TestCreateMetadataDisabled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"metadata": map[string]any{"plan": "pro"}}), 400, "METADATA_DISABLED")
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"metadata": "s"}), 400, "METADATA_DISABLED")
	// A falsy value is ignored even when metadata is disabled.
	if out := f.create(t, map[string]any{"metadata": nil}); out["metadata"] != nil {
		t.Errorf("metadata null gave %v", out["metadata"])
	}
}

func TestCreateMetadata(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_ENABLE_METADATA": "true"})
	out := f.create(t, map[string]any{"metadata": map[string]any{"plan": "pro"}})
	if m, _ := out["metadata"].(map[string]any); m["plan"] != "pro" {
		t.Fatalf("metadata %v", out["metadata"])
	}
	got := f.asUser("GET", "/api-key/get?id="+out["id"].(string), nil).JSON(t)
	if m, _ := got["metadata"].(map[string]any); m["plan"] != "pro" {
		t.Errorf("get metadata %v", got["metadata"])
	}
	expectError(t, f.asUser("POST", "/api-key/create", map[string]any{"metadata": "s"}), 400, "INVALID_METADATA_TYPE")
	if out := f.create(t, map[string]any{"metadata": []any{1, 2}}); len(out["metadata"].([]any)) != 2 {
		t.Errorf("array metadata %v", out["metadata"])
	}
}

func TestCreateIgnoredFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	// organizationId only matters for organization configurations.
	if out := f.create(t, map[string]any{"organizationId": "org_x"}); out["referenceId"] != f.user.ID {
		t.Errorf("referenceId %v", out["referenceId"])
	}
	// authd serves the default configuration only, and an unknown configId
	// falls back to it, as in Better Auth with one configuration.
	if out := f.create(t, map[string]any{"configId": "nope"}); out["configId"] != "default" {
		t.Errorf("configId %v", out["configId"])
	}
}

func TestCreateBody(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := f.Do("POST", "/api-key/create", "{}", append(authtest.Bearer(f.user.Token), "Content-Type", "text/plain")...)
	expectError(t, resp, 415, "UNSUPPORTED_MEDIA_TYPE")
	expectError(t, f.asUser("POST", "/api-key/create", "{bad json"), 400, "BAD_REQUEST")
}

func TestCreateAsService(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := f.asService("POST", "/api-key/create", map[string]any{
		"userId": f.user.ID, "remaining": 5, "refillAmount": 10, "refillInterval": 60000,
		"rateLimitEnabled": false, "rateLimitTimeWindow": 1000, "rateLimitMax": 3,
		"permissions": map[string]any{"files": []any{"read", "write"}},
	})
	if resp.Status != http.StatusOK {
		t.Fatalf("create: %d %s", resp.Status, resp.Body)
	}
	out := resp.JSON(t)
	want := map[string]any{"referenceId": f.user.ID, "remaining": 5.0, "refillAmount": 10.0, "refillInterval": 60000.0,
		"rateLimitEnabled": false, "rateLimitTimeWindow": 1000.0, "rateLimitMax": 3.0}
	for field, v := range want {
		if out[field] != v {
			t.Errorf("%s = %v, want %v", field, out[field], v)
		}
	}
	if p, _ := out["permissions"].(map[string]any); len(p["files"].([]any)) != 2 {
		t.Errorf("permissions %v", out["permissions"])
	}
}

func TestCreateAsServiceErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	expectError(t, f.asService("POST", "/api-key/create", map[string]any{}), 401, "UNAUTHORIZED_SESSION")
	expectError(t, f.asService("POST", "/api-key/create", map[string]any{"userId": "no-such-user"}), 400, "USER_NOT_FOUND")
	expectError(t, f.asService("POST", "/api-key/create", map[string]any{"userId": f.user.ID, "remaining": 1.5}), 400, "VALIDATION_ERROR")
	expectError(t, f.asService("POST", "/api-key/create", map[string]any{"userId": f.user.ID, "refillAmount": 5}), 400, "REFILL_AMOUNT_AND_INTERVAL_REQUIRED")
	expectError(t, f.asService("POST", "/api-key/create", map[string]any{"userId": f.user.ID, "refillInterval": 5}), 400, "REFILL_INTERVAL_AND_AMOUNT_REQUIRED")
	expectError(t, f.asService("POST", "/api-key/create", map[string]any{"userId": f.user.ID, "permissions": map[string]any{"a": "read"}}), 400, "VALIDATION_ERROR")
	expectError(t, f.Do("POST", "/api-key/create", map[string]any{"userId": f.user.ID}, authtest.Bearer("authd_sk_"+strings.Repeat("x", 48))...), 401, "INVALID_SERVICE_KEY")
}
