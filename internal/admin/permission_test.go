package admin_test

import (
	"net/http"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

func hasPermission(t *testing.T, srv *authtest.Server, token string, body map[string]any) bool {
	t.Helper()
	got := expectOK(t, post(srv, "/admin/has-permission", body, token))
	if got["error"] != nil {
		t.Fatalf("error = %v, want null", got["error"])
	}
	return got["success"].(bool)
}

func perms(p map[string][]string) map[string]any {
	return map[string]any{"permissions": p}
}

// The body's role and userId are ignored for a signed-in caller.
func TestHasPermissionIgnoresBodyRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := map[string]any{"role": "admin", "userId": f.root.ID, "permissions": map[string][]string{"user": {"list"}}}
	if hasPermission(t, f.srv, f.alice.Token, body) {
		t.Fatal("a plain user got user:list by naming the admin role")
	}
}

// An admin holds its role's permissions and nothing beyond them.
func TestHasPermissionAdmin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	cases := []struct {
		req  map[string][]string
		want bool
	}{
		{map[string][]string{"user": {"list"}}, true},
		{map[string][]string{"user": {"list", "ban"}, "session": {"revoke"}}, true},
		{map[string][]string{"user": {"impersonate-admins"}}, false},
		{map[string][]string{"user": {"list"}, "foo": {"bar"}}, false},
		{map[string][]string{}, false},
		{map[string][]string{"user": {}}, false},
		{map[string][]string{"user": {"List"}}, false},
	}
	for _, c := range cases {
		if got := hasPermission(t, f.srv, f.root.Token, perms(c.req)); got != c.want {
			t.Errorf("%v: got %v, want %v", c.req, got, c.want)
		}
	}
}

// The permission body must be exactly one object of string arrays.
func TestHasPermissionValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	check := func(body any) *authtest.Response {
		return post(f.srv, "/admin/has-permission", body, f.root.Token)
	}
	expectMessage(t, check(map[string]any{"permission": map[string][]string{"user": {"list"}}}),
		http.StatusBadRequest, "invalid permission check. no permission(s) were passed.")
	resp := check(map[string]any{"permission": map[string][]string{"user": {"list"}}, "permissions": map[string][]string{"user": {"list"}}})
	expectError(t, resp, http.StatusBadRequest, "VALIDATION_ERROR")
	if resp.JSON(t)["message"] != "[body] Invalid input: more than one option matched" {
		t.Fatalf("message: %s", resp.Body)
	}
	expectError(t, check(map[string]any{}), http.StatusBadRequest, "VALIDATION_ERROR")
	expectError(t, check(map[string]any{"permissions": map[string]any{"user": "list"}}), http.StatusBadRequest, "VALIDATION_ERROR")
	expectError(t, check(nil), http.StatusBadRequest, "VALIDATION_ERROR")
	expectEmpty(t, post(f.srv, "/admin/has-permission", perms(map[string][]string{"user": {"list"}}), ""), http.StatusUnauthorized)
}

// A plain user listed in AUTHD_ADMIN_USER_IDS passes every check and
// counts as an admin.
func TestAdminUserIDs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	uid := signUpNamed(t, f.srv, "uid")
	srv := authtest.NewWithDatabase(t, f.srv.DatabaseURL, authtest.Env{"AUTHD_ADMIN_USER_IDS": uid.ID})
	expectOK(t, get(srv, "/admin/list-users?limit=1", uid.Token))
	if !hasPermission(t, srv, uid.Token, perms(map[string][]string{"foo": {"bar"}})) {
		t.Fatal("adminUserIds member lacks foo:bar")
	}
	if !hasPermission(t, srv, uid.Token, perms(map[string][]string{})) {
		t.Fatal("adminUserIds member lacks the empty permission set")
	}
	resp := post(srv, "/admin/impersonate-user", map[string]any{"userId": uid.ID}, f.root.Token)
	expectError(t, resp, http.StatusForbidden, "YOU_CANNOT_IMPERSONATE_ADMINS")
}

// Permissions are not combined across roles, and role names are
// not trimmed.
func TestMultipleRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, rolesFile(t, f1Roles))
	u := signUpNamed(t, f.srv, "multi")
	setRole(t, f.srv, u.ID, "lister,sessioner")
	if !hasPermission(t, f.srv, u.Token, perms(map[string][]string{"user": {"list"}})) {
		t.Error("lister,sessioner lacks user:list")
	}
	if !hasPermission(t, f.srv, u.Token, perms(map[string][]string{"session": {"list"}})) {
		t.Error("lister,sessioner lacks session:list")
	}
	if hasPermission(t, f.srv, u.Token, perms(map[string][]string{"user": {"list"}, "session": {"list"}})) {
		t.Error("lister,sessioner combined two roles")
	}
	setRole(t, f.srv, u.ID, "lister, sessioner")
	if hasPermission(t, f.srv, u.Token, perms(map[string][]string{"session": {"list"}})) {
		t.Error(`"lister, sessioner" has session:list through " sessioner"`)
	}
}

// A service key checks the permissions of a role or a user, as Better
// Auth's in-process call does.
func TestHasPermissionServiceKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	key := serviceKey(t, f.srv)
	list := map[string][]string{"user": {"list"}}
	if !hasPermission(t, f.srv, key, map[string]any{"role": "admin", "permissions": list}) {
		t.Error("role admin lacks user:list")
	}
	if hasPermission(t, f.srv, key, map[string]any{"userId": f.alice.ID, "permissions": list}) {
		t.Error("alice has user:list")
	}
	if !hasPermission(t, f.srv, key, map[string]any{"userId": f.root.ID, "permissions": list}) {
		t.Error("root lacks user:list")
	}
	expectMessage(t, post(f.srv, "/admin/has-permission", map[string]any{"userId": "unknown", "permissions": list}, key),
		http.StatusBadRequest, "user not found")
	expectMessage(t, post(f.srv, "/admin/has-permission", map[string]any{"permissions": list}, key),
		http.StatusBadRequest, "user id or role is required")
}
