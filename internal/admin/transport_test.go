package admin_test

import (
	"net/http"
	"testing"
)

// The core's transport rules apply to the admin endpoints.
func TestTransport(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	srv := f.srv
	resp := srv.Do("POST", "/admin/ban-user", "{bad", as(f.root)...)
	expectError(t, resp, http.StatusBadRequest, "BAD_REQUEST")
	if resp.JSON(t)["message"] != "Invalid JSON in request body" {
		t.Fatalf("message: %s", resp.Body)
	}

	resp = srv.Do("POST", "/admin/ban-user", `{"userId":"x"}`, append(as(f.root), "Content-Type", "text/plain")...)
	expectError(t, resp, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")

	resp = srv.Do("GET", "/admin/remove-user", nil, as(f.root)...)
	if resp.Status != http.StatusNotFound || len(resp.Body) != 0 {
		t.Fatalf("GET remove-user: %d %q", resp.Status, resp.Body)
	}

	j := signInJar(t, srv, f.root, true)
	headers := j.headers()[:2] // the cookie without Origin
	resp = srv.Do("POST", "/admin/list-user-sessions", map[string]any{"userId": f.alice.ID}, headers...)
	expectError(t, resp, http.StatusForbidden, "MISSING_OR_NULL_ORIGIN")
}
