package apikey_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

func TestGet(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	created := f.create(t, map[string]any{"name": "k"})
	id := created["id"].(string)

	got := f.asUser("GET", "/api-key/get?id="+id, nil).JSON(t)
	delete(created, "key")
	for field, v := range created {
		if fmt.Sprint(got[field]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, create said %v", field, got[field], v)
		}
	}
	if _, ok := got["key"]; ok {
		t.Error("get returned the key field")
	}
}

func TestGetErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)
	other := f.SignUp(authtest.UniqueEmail("ak-other"), password)

	// Validation comes before authentication.
	expectError(t, f.Do("GET", "/api-key/get", nil), 400, "VALIDATION_ERROR")
	resp := f.Do("GET", "/api-key/get?id=x", nil)
	expectError(t, resp, 401, "UNAUTHORIZED")
	if resp.JSON(t)["message"] != "Unauthorized" {
		t.Errorf("message %s", resp.Body)
	}
	resp = f.asUser("GET", "/api-key/get?id=doesnotexist", nil)
	expectError(t, resp, 404, "KEY_NOT_FOUND")
	if resp.JSON(t)["message"] != "API Key not found" {
		t.Errorf("message %s", resp.Body)
	}
	// Another user's key is not found rather than forbidden.
	expectError(t, f.Do("GET", "/api-key/get?id="+id, nil, authtest.Bearer(other.Token)...), 404, "KEY_NOT_FOUND")
	// A service caller reads any key.
	if resp := f.asService("GET", "/api-key/get?id="+id, nil); resp.Status != 200 {
		t.Errorf("service get: %d %s", resp.Status, resp.Body)
	}
}

// With one configuration, Better Auth looks an unknown configId up as the
// default configuration, so a default key is found under any configId.
// A key of another configuration (from a Better Auth database with
// several) is not reachable: authd serves the default one only.
func TestGetConfigID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)
	if resp := f.asUser("GET", "/api-key/get?configId=other&id="+id, nil); resp.Status != 200 {
		t.Errorf("default key with configId=other: %d %s", resp.Status, resp.Body)
	}
	f.Exec(`UPDATE "apikey" SET "configId" = 'other' WHERE "id" = $1`, id)
	expectError(t, f.asUser("GET", "/api-key/get?configId=other&id="+id, nil), 404, "KEY_NOT_FOUND")
	expectError(t, f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "configId": "other", "name": "x"}), 404, "KEY_NOT_FOUND")
	if out := f.asUser("GET", "/api-key/list?configId=other", nil).JSON(t); out["total"] != 1.0 {
		t.Errorf("list of configuration other: %v", out)
	}
}

func TestGetRepairsMetadata(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)
	// Better Auth before 1.5 could store metadata encoded twice.
	f.Exec(`UPDATE "apikey" SET "metadata" = $2 WHERE "id" = $1`, id, `"{\"plan\":\"pro\"}"`)

	got := f.asUser("GET", "/api-key/get?id="+id, nil).JSON(t)
	if m, _ := got["metadata"].(map[string]any); m["plan"] != "pro" {
		t.Fatalf("metadata %v", got["metadata"])
	}
	if r, _ := f.row(t, id); r.Metadata == nil || *r.Metadata != `{"plan":"pro"}` {
		t.Errorf("stored metadata %v, want it encoded once", r.Metadata)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)

	out := f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "name": "new"}).JSON(t)
	if out["name"] != "new" || out["lastRequest"] != nil {
		t.Errorf("name %v lastRequest %v", out["name"], out["lastRequest"])
	}
	if _, ok := out["key"]; ok {
		t.Error("update returned the key field")
	}
	// Clients may toggle enabled, although Better Auth's docs call it
	// server-only.
	if out := f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "enabled": false}).JSON(t); out["enabled"] != false {
		t.Errorf("enabled %v", out["enabled"])
	}
	// A client of the userId era may send its own id.
	if resp := f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "userId": f.user.ID, "name": "x"}); resp.Status != 200 {
		t.Errorf("own userId: %d %s", resp.Status, resp.Body)
	}
}

func TestUpdateErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)
	other := f.SignUp(authtest.UniqueEmail("ak-other"), password)

	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"nothing", map[string]any{"keyId": id}, 400, "NO_VALUES_TO_UPDATE"},
		{"empty name", map[string]any{"keyId": id, "name": ""}, 400, "INVALID_NAME_LENGTH"},
		{"remaining", map[string]any{"keyId": id, "remaining": 10}, 400, "SERVER_ONLY_PROPERTY"},
		{"permissions", map[string]any{"keyId": id, "permissions": nil}, 400, "SERVER_ONLY_PROPERTY"},
		{"short expiry", map[string]any{"keyId": id, "expiresIn": 3600}, 400, "EXPIRES_IN_IS_TOO_SMALL"},
		{"metadata disabled", map[string]any{"keyId": id, "metadata": map[string]any{"a": 1}}, 400, "NO_VALUES_TO_UPDATE"},
		{"other userId", map[string]any{"keyId": id, "userId": other.ID, "name": "x"}, 401, "UNAUTHORIZED_SESSION"},
		{"unknown key", map[string]any{"keyId": "nope", "name": "x"}, 404, "KEY_NOT_FOUND"},
		{"unknown key, bad name", map[string]any{"keyId": "nope", "name": ""}, 404, "KEY_NOT_FOUND"},
		{"no keyId", map[string]any{"name": "x"}, 400, "VALIDATION_ERROR"},
		{"string enabled", map[string]any{"keyId": id, "enabled": "false"}, 400, "VALIDATION_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectError(t, f.asUser("POST", "/api-key/update", tc.body), tc.status, tc.code)
		})
	}
	expectError(t, f.Do("POST", "/api-key/update", map[string]any{}), 400, "VALIDATION_ERROR")
	// Without a session the session check comes first.
	expectError(t, f.Do("POST", "/api-key/update", map[string]any{"keyId": id, "remaining": 10}), 401, "UNAUTHORIZED_SESSION")
	expectError(t, f.Do("POST", "/api-key/update", map[string]any{"keyId": id, "name": "x"}, authtest.Bearer(other.Token)...), 404, "KEY_NOT_FOUND")
}

func TestUpdateExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, map[string]any{"expiresIn": 86400})["id"].(string)
	if out := f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "expiresIn": nil}).JSON(t); out["expiresAt"] != nil {
		t.Errorf("expiresIn null left expiresAt %v", out["expiresAt"])
	}
	out := f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "expiresIn": 2 * 86400}).JSON(t)
	at, _ := time.Parse(time.RFC3339, fmt.Sprint(out["expiresAt"]))
	if d := at.Sub(f.Clock.Now()); d < 48*time.Hour-time.Second || d > 48*time.Hour+time.Second {
		t.Errorf("expiresAt %v", out["expiresAt"])
	}

	g := newFixture(t, authtest.Env{"AUTHD_APIKEY_DISABLE_CUSTOM_EXPIRES_IN": "true"})
	id = g.create(t, nil)["id"].(string)
	expectError(t, g.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "expiresIn": nil}), 400, "KEY_DISABLED_EXPIRATION")
}

func TestUpdateMetadata(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_ENABLE_METADATA": "true"})
	id := f.create(t, nil)["id"].(string)
	out := f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "metadata": map[string]any{"a": 1}}).JSON(t)
	if m, _ := out["metadata"].(map[string]any); m["a"] != 1.0 {
		t.Errorf("metadata %v", out["metadata"])
	}
	expectError(t, f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "metadata": "x"}), 400, "INVALID_METADATA_TYPE")
	if out := f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "metadata": nil}).JSON(t); out["metadata"] != nil {
		t.Errorf("metadata null left %v", out["metadata"])
	}
}

func TestUpdateAsService(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)
	other := f.SignUp(authtest.UniqueEmail("ak-other"), password)

	resp := f.asService("POST", "/api-key/update", map[string]any{"keyId": id, "remaining": 7,
		"refillAmount": 7, "refillInterval": 1000, "rateLimitMax": 2, "permissions": map[string]any{"a": []any{"b"}}})
	if resp.Status != 200 {
		t.Fatalf("update: %d %s", resp.Status, resp.Body)
	}
	out := resp.JSON(t)
	if out["remaining"] != 7.0 || out["refillAmount"] != 7.0 || out["rateLimitMax"] != 2.0 {
		t.Errorf("update as service: %s", resp.Body)
	}
	expectError(t, f.asService("POST", "/api-key/update", map[string]any{"keyId": id, "refillAmount": 1}), 400, "REFILL_AMOUNT_AND_INTERVAL_REQUIRED")
	expectError(t, f.asService("POST", "/api-key/update", map[string]any{"keyId": id, "refillInterval": 1}), 400, "REFILL_INTERVAL_AND_AMOUNT_REQUIRED")
	// A service caller that names an owner reaches only that owner's keys.
	expectError(t, f.asService("POST", "/api-key/update", map[string]any{"keyId": id, "userId": other.ID, "name": "x"}), 404, "KEY_NOT_FOUND")
	if out := f.asService("POST", "/api-key/update", map[string]any{"keyId": id, "permissions": nil}).JSON(t); out["permissions"] != nil {
		t.Errorf("permissions null left %v", out["permissions"])
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)
	other := f.SignUp(authtest.UniqueEmail("ak-other"), password)

	expectError(t, f.Do("POST", "/api-key/delete", map[string]any{"keyId": id}, authtest.Bearer(other.Token)...), 404, "KEY_NOT_FOUND")
	expectError(t, f.Do("POST", "/api-key/delete", map[string]any{"keyId": id}), 401, "UNAUTHORIZED")
	expectError(t, f.asUser("POST", "/api-key/delete", map[string]any{}), 400, "VALIDATION_ERROR")

	resp := f.asUser("POST", "/api-key/delete", map[string]any{"keyId": id})
	if resp.Status != 200 || string(resp.Body) != `{"success":true}` {
		t.Fatalf("delete: %d %s", resp.Status, resp.Body)
	}
	expectError(t, f.asUser("GET", "/api-key/get?id="+id, nil), 404, "KEY_NOT_FOUND")
	expectError(t, f.asUser("POST", "/api-key/delete", map[string]any{"keyId": id}), 404, "KEY_NOT_FOUND")
}

// Better Auth returns 401 USER_BANNED here. authd rejects a banned user's
// session on every endpoint with 403 BANNED_USER (revocation is immediate
// and complete), so that is the response here too.
func TestDeleteBannedUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	id := f.create(t, nil)["id"].(string)
	f.Exec(`UPDATE "user" SET "banned" = true WHERE "id" = $1`, f.user.ID)
	expectError(t, f.asUser("POST", "/api-key/delete", map[string]any{"keyId": id}), 403, "BANNED_USER")
}

func TestList(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	other := f.SignUp(authtest.UniqueEmail("ak-other"), password)
	f.Do("POST", "/api-key/create", map[string]any{}, authtest.Bearer(other.Token)...)
	var ids []string
	for i := range 3 {
		ids = append(ids, f.create(t, map[string]any{"name": fmt.Sprint("k", i)})["id"].(string))
		f.Clock.Advance(time.Second)
	}

	var all struct {
		APIKeys []map[string]any `json:"apiKeys"`
		Total   int              `json:"total"`
	}
	resp := f.asUser("GET", "/api-key/list", nil)
	resp.Decode(t, &all)
	if len(all.APIKeys) != 3 || all.Total != 3 {
		t.Fatalf("list: %s", resp.Body)
	}
	m := resp.JSON(t)
	if _, ok := m["limit"]; ok {
		t.Error("limit present without a limit in the query")
	}
	if _, ok := m["offset"]; ok {
		t.Error("offset present without an offset in the query")
	}
	for _, k := range all.APIKeys {
		if _, ok := k["key"]; ok || k["referenceId"] != f.user.ID || k["userId"] != f.user.ID {
			t.Errorf("item %v", k)
		}
	}

	page := f.asUser("GET", "/api-key/list?limit=1&offset=1", nil).JSON(t)
	if len(page["apiKeys"].([]any)) != 1 || page["total"] != 3.0 || page["limit"] != 1.0 || page["offset"] != 1.0 {
		t.Errorf("page: %v", page)
	}
	past := f.asUser("GET", "/api-key/list?offset=10", nil).JSON(t)
	if len(past["apiKeys"].([]any)) != 0 || past["total"] != 3.0 {
		t.Errorf("past the end: %v", past)
	}
	empty := f.asUser("GET", "/api-key/list?limit=", nil).JSON(t)
	if len(empty["apiKeys"].([]any)) != 0 || empty["limit"] != 0.0 {
		t.Errorf("empty limit: %v", empty)
	}

	desc := f.asUser("GET", "/api-key/list?sortBy=createdAt&sortDirection=desc", nil).JSON(t)["apiKeys"].([]any)
	asc := f.asUser("GET", "/api-key/list?sortBy=createdAt&sortDirection=asc", nil).JSON(t)["apiKeys"].([]any)
	if desc[0].(map[string]any)["id"] != ids[2] || asc[0].(map[string]any)["id"] != ids[0] {
		t.Errorf("sorting: desc starts with %v, asc with %v", desc[0].(map[string]any)["id"], asc[0].(map[string]any)["id"])
	}

	if out := f.asUser("GET", "/api-key/list?configId=unknown", nil).JSON(t); out["total"] != 0.0 || len(out["apiKeys"].([]any)) != 0 {
		t.Errorf("unknown configId: %v", out)
	}
	if out := f.asUser("GET", "/api-key/list?configId=default", nil).JSON(t); out["total"] != 3.0 {
		t.Errorf("default configId: %v", out)
	}
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, q := range []string{"limit=abc", "limit=-1", "limit=1.5", "sortDirection=up", "sortBy=nope"} {
		expectError(t, f.asUser("GET", "/api-key/list?"+q, nil), 400, "VALIDATION_ERROR")
	}
	expectError(t, f.Do("GET", "/api-key/list", nil), 401, "UNAUTHORIZED")
	// authd has no organization plugin, and Better Auth returns the same.
	expectError(t, f.asUser("GET", "/api-key/list?organizationId=org", nil), 500, "ORGANIZATION_PLUGIN_REQUIRED")
	// A service caller names the owner.
	expectError(t, f.asService("GET", "/api-key/list", nil), 400, "VALIDATION_ERROR")
	f.create(t, nil)
	if out := f.asService("GET", "/api-key/list?userId="+f.user.ID, nil).JSON(t); out["total"] != 1.0 {
		t.Errorf("service list: %v", out)
	}
}

func TestListLegacyArray(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_APIKEY_LIST_LEGACY_ARRAY": "true"})
	f.create(t, nil)
	var items []map[string]any
	resp := f.asUser("GET", "/api-key/list", nil)
	resp.Decode(t, &items)
	if len(items) != 1 || items[0]["userId"] != f.user.ID {
		t.Fatalf("legacy list: %s", resp.Body)
	}
}

// Better Auth serves verify and delete-all-expired-api-keys only in
// process (404 over HTTP). authd serves them to service keys, which
// TestVerifyNeedsServiceKey covers.
func TestRouting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api-key/create"}, {"POST", "/api-key/list"}, {"GET", "/api-key/list/"}, {"GET", "/api-key/verify"},
	} {
		resp := f.asUser(tc.method, tc.path, nil)
		if resp.Status != http.StatusNotFound || len(resp.Body) != 0 {
			t.Errorf("%s %s: %d %s, want an empty 404", tc.method, tc.path, resp.Status, resp.Body)
		}
	}
}
