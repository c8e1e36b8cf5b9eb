package admin_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

// endpointCase is one admin endpoint with the permission it checks first
// and the error for a caller without it.
type endpointCase struct {
	method, path string
	body         func(target string) any
	resource     string
	action       string
	code         string
}

func endpointCases() []endpointCase {
	byID := func(target string) any { return map[string]any{"userId": target} }
	return []endpointCase{
		{"POST", "/admin/create-user", func(string) any {
			return map[string]any{"email": authtest.UniqueEmail("authz"), "name": "N"}
		}, "user", "create", "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS"},
		{"GET", "/admin/list-users", nil, "user", "list", "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS"},
		{"GET", "/admin/get-user?id=", nil, "user", "get", "YOU_ARE_NOT_ALLOWED_TO_GET_USER"},
		{"POST", "/admin/set-role", func(target string) any {
			return map[string]any{"userId": target, "role": "admin"}
		}, "user", "set-role", "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"},
		{"POST", "/admin/update-user", func(target string) any {
			return map[string]any{"userId": target, "data": map[string]any{"name": "x"}}
		}, "user", "update", "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"},
		{"POST", "/admin/set-user-password", func(target string) any {
			return map[string]any{"userId": target, "newPassword": "new-password-1"}
		}, "user", "set-password", "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"},
		{"POST", "/admin/ban-user", byID, "user", "ban", "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"},
		{"POST", "/admin/unban-user", byID, "user", "ban", "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"},
		{"POST", "/admin/list-user-sessions", byID, "session", "list", "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS"},
		{"POST", "/admin/revoke-user-session", func(string) any {
			return map[string]any{"sessionToken": "unknown"}
		}, "session", "revoke", "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"},
		{"POST", "/admin/revoke-user-sessions", byID, "session", "revoke", "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"},
		{"POST", "/admin/remove-user", byID, "user", "delete", "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS"},
		{"POST", "/admin/impersonate-user", byID, "user", "impersonate", "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS"},
	}
}

// adminActions are the default admin role's grants.
var adminActions = map[string][]string{
	"user":    {"create", "list", "set-role", "ban", "impersonate", "delete", "set-password", "set-email", "get", "update"},
	"session": {"list", "revoke", "delete"},
}

// withoutRolesFile writes a roles file with the default roles plus one role
// "without-<resource>-<action>" per admin permission, which grants every
// other admin permission.
func withoutRolesFile(t *testing.T) authtest.Env {
	t.Helper()
	var roles []string
	roles = append(roles, `"admin": `+roleJSON(adminActions, "", ""), `"user": {"user": [], "session": []}`)
	for resource, actions := range adminActions {
		for _, action := range actions {
			roles = append(roles, fmt.Sprintf("%q: %s", "without-"+resource+"-"+action, roleJSON(adminActions, resource, action)))
		}
	}
	sort.Strings(roles)
	return rolesFile(t, `{"roles": {`+strings.Join(roles, ",\n")+`}}`)
}

func roleJSON(grants map[string][]string, skipResource, skipAction string) string {
	var parts []string
	for resource, actions := range grants {
		var kept []string
		for _, a := range actions {
			if resource == skipResource && a == skipAction {
				continue
			}
			kept = append(kept, fmt.Sprintf("%q", a))
		}
		parts = append(parts, fmt.Sprintf("%q: [%s]", resource, strings.Join(kept, ", ")))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func TestAuthorizationTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, withoutRolesFile(t))
	srv := f.srv

	for _, ec := range endpointCases() {
		t.Run(strings.TrimPrefix(ec.path, "/admin/"), func(t *testing.T) {
			target := f.bob.ID
			var body any
			if ec.body != nil {
				body = ec.body(target)
			}

			// Anonymous: 401 with an empty body.
			expectEmpty(t, srv.Do(ec.method, ec.path, body), http.StatusUnauthorized)

			// A plain user: the endpoint's 403.
			expectError(t, srv.Do(ec.method, ec.path, body, as(f.alice)...), http.StatusForbidden, ec.code)

			// An admin whose role grants everything but this permission.
			limited := signUpNamed(t, srv, "limited")
			setRole(t, srv, limited.ID, "without-"+ec.resource+"-"+ec.action)
			expectError(t, srv.Do(ec.method, ec.path, body, as(limited)...), http.StatusForbidden, ec.code)
		})
	}

	t.Run("stop-impersonating", func(t *testing.T) {
		expectEmpty(t, post(srv, "/admin/stop-impersonating", nil, ""), http.StatusUnauthorized)
		expectMessage(t, post(srv, "/admin/stop-impersonating", nil, f.alice.Token), http.StatusBadRequest, "You are not impersonating anyone")
	})

	t.Run("has-permission", func(t *testing.T) {
		body := map[string]any{"permissions": map[string]any{"user": []string{"list"}}}
		// Without a session or a service key, has-permission returns 401
		// and never evaluates the permissions.
		expectEmpty(t, post(srv, "/admin/has-permission", body, ""), http.StatusUnauthorized)
		got := expectOK(t, post(srv, "/admin/has-permission", body, f.alice.Token))
		if got["success"] != false {
			t.Fatalf("plain user has user:list: %v", got)
		}
	})
}

// TestServiceKeySuperuser checks that a backend's service key passes every
// permission check except impersonation.
func TestServiceKeySuperuser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	key := serviceKey(t, f.srv)

	for _, ec := range endpointCases() {
		if ec.action == "impersonate" {
			continue
		}
		t.Run(strings.TrimPrefix(ec.path, "/admin/"), func(t *testing.T) {
			target := signUpNamed(t, f.srv, "target")
			var body any
			if ec.body != nil {
				body = ec.body(target.ID)
			}
			path := ec.path
			if strings.HasSuffix(path, "id=") {
				path += target.ID
			}
			resp := f.srv.Do(ec.method, path, body, authtest.Bearer(key)...)
			if resp.Status != http.StatusOK {
				t.Fatalf("got %d: %s", resp.Status, resp.Body)
			}
		})
	}

	t.Run("impersonate-user", func(t *testing.T) {
		resp := post(f.srv, "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}, key)
		expectError(t, resp, http.StatusForbidden, "IMPERSONATION_REQUIRES_SESSION")
	})
	t.Run("stop-impersonating", func(t *testing.T) {
		expectError(t, post(f.srv, "/admin/stop-impersonating", nil, key), http.StatusForbidden, "IMPERSONATION_REQUIRES_SESSION")
	})
}
