package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

// A plain user cannot promote itself.
func TestSetRoleByPlainUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := post(f.srv, "/admin/set-role", map[string]any{"userId": f.alice.ID, "role": "admin"}, f.alice.Token)
	expectError(t, resp, http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE")
	u := expectOK(t, get(f.srv, "/admin/get-user?id="+f.alice.ID, f.root.Token))
	if u["role"] != "user" {
		t.Fatalf("role = %v, want user", u["role"])
	}
}

// Create-user needs user:create, and a session or a service key.
func TestCreateUserRejected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	body := map[string]any{"email": authtest.UniqueEmail("new"), "name": "N"}
	expectError(t, post(f.srv, "/admin/create-user", body, f.alice.Token), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS")
	expectEmpty(t, post(f.srv, "/admin/create-user", body, ""), http.StatusUnauthorized)
}

// The core rejects role from clients.
func TestCoreRejectsRoleField(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := f.srv.Do("POST", "/sign-up/email", map[string]any{
		"name": "x", "email": authtest.UniqueEmail("x"), "password": password, "role": "admin",
	})
	expectError(t, resp, http.StatusBadRequest, "FIELD_NOT_ALLOWED")
	if !strings.Contains(string(resp.Body), "role is not allowed to be set") {
		t.Fatalf("message: %s", resp.Body)
	}
	expectError(t, post(f.srv, "/update-user", map[string]any{"role": "admin"}, f.alice.Token), http.StatusBadRequest, "FIELD_NOT_ALLOWED")
}

// A demoted admin loses access on the next request.
func TestDemotedAdmin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	expectOK(t, post(f.srv, "/admin/set-role", map[string]any{"userId": f.bob.ID, "role": "admin"}, f.root.Token))
	bob := f.srv.SignIn(f.bob.Email, password)
	expectOK(t, get(f.srv, "/admin/list-users?limit=1", bob))
	expectOK(t, post(f.srv, "/admin/set-role", map[string]any{"userId": f.bob.ID, "role": "user"}, f.root.Token))
	expectError(t, get(f.srv, "/admin/list-users?limit=1", bob), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
}

// Create-user lower-cases the email, joins roles and checks types.
func TestCreateUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	srv, root := f.srv, f.root.Token
	local := strings.TrimSuffix(authtest.UniqueEmail("New"), "@example.com")
	email := local + "@Example.com"

	u := userOf(t, post(srv, "/admin/create-user", map[string]any{"email": email, "name": "N", "password": "x"}, root))
	if u["email"] != strings.ToLower(email) || u["role"] != "user" || u["banned"] != false {
		t.Fatalf("user: %v", u)
	}
	// A one-character password is accepted, as in Better Auth.
	expectOK(t, post(srv, "/sign-in/email", map[string]any{"email": email, "password": "x"}, ""))

	resp := post(srv, "/admin/create-user", map[string]any{"email": strings.ToUpper(email), "name": "N"}, root)
	expectError(t, resp, http.StatusBadRequest, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
	expectError(t, post(srv, "/admin/create-user", map[string]any{"email": "nope", "name": "N"}, root), http.StatusBadRequest, "INVALID_EMAIL")

	u = userOf(t, post(srv, "/admin/create-user", map[string]any{
		"email": authtest.UniqueEmail("multi"), "name": "N", "role": []string{"user", "admin"},
	}, root))
	if u["role"] != "user,admin" {
		t.Fatalf("role = %v, want user,admin", u["role"])
	}
	resp = post(srv, "/admin/create-user", map[string]any{"email": authtest.UniqueEmail("x"), "name": "N", "data": map[string]any{"role": 5}}, root)
	expectError(t, resp, http.StatusBadRequest, "INVALID_ROLE_TYPE")
	resp = post(srv, "/admin/create-user", map[string]any{"email": authtest.UniqueEmail("x"), "name": "N", "data": map[string]any{"role": nil}}, root)
	expectError(t, resp, http.StatusBadRequest, "INVALID_ROLE_TYPE")

	resp = post(srv, "/admin/create-user", map[string]any{"email": authtest.UniqueEmail("x")}, root)
	expectError(t, resp, http.StatusBadRequest, "VALIDATION_ERROR")
	if !strings.Contains(string(resp.Body), `"[body.name]`) {
		t.Fatalf("message does not start with [body.name]: %s", resp.Body)
	}
}

// Better Auth stores whatever data contains. authd checks the type of
// each user field.
func TestCreateUserDataTypes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := post(f.srv, "/admin/create-user", map[string]any{
		"email": authtest.UniqueEmail("x"), "name": "N", "data": map[string]any{"emailVerified": "yes"},
	}, f.root.Token)
	expectError(t, resp, http.StatusBadRequest, "VALIDATION_ERROR")
	if !strings.Contains(string(resp.Body), "[body.data.emailVerified] Invalid input: expected boolean, received string") {
		t.Fatalf("message: %s", resp.Body)
	}

	u := userOf(t, post(f.srv, "/admin/create-user", map[string]any{
		"email": authtest.UniqueEmail("x"), "name": "N",
		"data": map[string]any{"emailVerified": true, "image": "https://example.com/a.png", "id": "chosen", "foo": 1},
	}, f.root.Token))
	if u["emailVerified"] != true || u["image"] != "https://example.com/a.png" || u["id"] == "chosen" {
		t.Fatalf("user: %v", u)
	}
}

// A user created without a password gets one from set-user-password.
func TestCreateUserWithoutPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	email := authtest.UniqueEmail("nopw")
	u := userOf(t, post(f.srv, "/admin/create-user", map[string]any{"email": email, "name": "N"}, f.root.Token))
	id := u["id"].(string)
	resp := post(f.srv, "/sign-in/email", map[string]any{"email": email, "password": "password123"}, "")
	expectError(t, resp, http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")

	got := expectOK(t, post(f.srv, "/admin/set-user-password", map[string]any{"userId": id, "newPassword": "password123"}, f.root.Token))
	if got["status"] != true {
		t.Fatalf("set-user-password: %v", got)
	}
	expectOK(t, post(f.srv, "/sign-in/email", map[string]any{"email": email, "password": "password123"}, ""))
}

// With a roles file, create-user and set-role check role names.
func TestCreateUserCustomRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, rolesFile(t, f1Roles))
	support := signUpNamed(t, f.srv, "support")
	setRole(t, f.srv, support.ID, "support")

	body := map[string]any{"email": authtest.UniqueEmail("x"), "name": "N"}
	expectError(t, post(f.srv, "/admin/create-user", body, support.Token), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS")

	body["data"] = map[string]any{"role": "nope"}
	expectError(t, post(f.srv, "/admin/create-user", body, f.root.Token), http.StatusBadRequest, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")

	body["data"] = map[string]any{"role": "support"}
	u := userOf(t, post(f.srv, "/admin/create-user", body, f.root.Token))
	if u["role"] != "support" {
		t.Fatalf("role = %v", u["role"])
	}
	resp := post(f.srv, "/admin/set-role", map[string]any{"userId": f.bob.ID, "role": []string{"user", "nope"}}, f.root.Token)
	expectError(t, resp, http.StatusBadRequest, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
}

// Get-user returns the bare user.
func TestGetUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := expectOK(t, get(f.srv, "/admin/get-user?id="+f.alice.ID, f.root.Token))
	if u["email"] != f.alice.Email {
		t.Fatalf("get-user returned %v; want the bare user", u)
	}
	if _, wrapped := u["user"]; wrapped {
		t.Fatal("get-user wraps the user")
	}
	expectError(t, get(f.srv, "/admin/get-user?id=unknown", f.root.Token), http.StatusNotFound, "USER_NOT_FOUND")
	expectError(t, get(f.srv, "/admin/get-user", f.root.Token), http.StatusBadRequest, "VALIDATION_ERROR")
	expectError(t, get(f.srv, "/admin/get-user?id=a&id=b", f.root.Token), http.StatusBadRequest, "VALIDATION_ERROR")
}

// Set-role stores any role name without a roles file.
func TestSetRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := userOf(t, post(f.srv, "/admin/set-role", map[string]any{"userId": f.bob.ID, "role": "admin"}, f.root.Token))
	if u["role"] != "admin" {
		t.Fatalf("role = %v", u["role"])
	}
	resp := post(f.srv, "/admin/set-role", map[string]any{"userId": "unknown", "role": "admin"}, f.root.Token)
	expectError(t, resp, http.StatusNotFound, "USER_NOT_FOUND")
	// Without a roles file any name is stored, as in Better Auth.
	u = userOf(t, post(f.srv, "/admin/set-role", map[string]any{"userId": f.bob.ID, "role": "whatever"}, f.root.Token))
	if u["role"] != "whatever" {
		t.Fatalf("role = %v", u["role"])
	}
	resp = post(f.srv, "/admin/set-role", map[string]any{"role": "admin"}, f.root.Token)
	expectError(t, resp, http.StatusBadRequest, "VALIDATION_ERROR")
	if !strings.Contains(string(resp.Body), "[body.userId] Invalid input: expected nonoptional, received undefined") {
		t.Fatalf("message: %s", resp.Body)
	}
	expectError(t, post(f.srv, "/admin/set-role", map[string]any{"userId": f.bob.ID, "role": 5}, f.root.Token), http.StatusBadRequest, "VALIDATION_ERROR")
}

// Update-user checks data, permissions and the email.
func TestUpdateUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	srv, root := f.srv, f.root.Token
	upd := func(id string, data any) *authtest.Response {
		return post(srv, "/admin/update-user", map[string]any{"userId": id, "data": data}, root)
	}
	expectError(t, upd(f.alice.ID, map[string]any{}), http.StatusBadRequest, "NO_DATA_TO_UPDATE")
	expectError(t, upd(f.alice.ID, map[string]any{"password": "x"}), http.StatusBadRequest, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER")
	expectError(t, upd(f.root.ID, map[string]any{"banned": true}), http.StatusBadRequest, "YOU_CANNOT_BAN_YOURSELF")
	expectError(t, upd(f.alice.ID, nil), http.StatusBadRequest, "VALIDATION_ERROR")
	expectError(t, upd("unknown", map[string]any{"name": "x"}), http.StatusNotFound, "USER_NOT_FOUND")

	local := strings.TrimSuffix(authtest.UniqueEmail("Mixed"), "@example.com")
	u := expectOK(t, upd(f.alice.ID, map[string]any{"email": local + "@Case.com"}))
	if u["email"] != strings.ToLower(local)+"@case.com" || u["id"] != f.alice.ID {
		t.Fatalf("update-user returned %v; want the bare user with the lower-case email", u)
	}
	expectError(t, upd(f.alice.ID, map[string]any{"email": f.bob.Email}), http.StatusBadRequest, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
	expectError(t, upd(f.alice.ID, map[string]any{"email": "nope"}), http.StatusBadRequest, "INVALID_EMAIL")

	u = expectOK(t, upd(f.alice.ID, map[string]any{"name": "Alice", "role": []string{"user", "x"}, "foo": 1}))
	if u["name"] != "Alice" || u["role"] != "user,x" {
		t.Fatalf("user: %v", u)
	}
	expectError(t, upd(f.alice.ID, map[string]any{"role": 5}), http.StatusBadRequest, "INVALID_ROLE_TYPE")
	// authd checks types where Better Auth lets the database cast.
	expectError(t, upd(f.alice.ID, map[string]any{"name": 5}), http.StatusBadRequest, "VALIDATION_ERROR")
}

// A support role may update names but not roles, emails or bans.
func TestUpdateUserSupportRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, rolesFile(t, f1Roles))
	support := signUpNamed(t, f.srv, "support")
	setRole(t, f.srv, support.ID, "support")
	upd := func(data any) *authtest.Response {
		return post(f.srv, "/admin/update-user", map[string]any{"userId": support.ID, "data": data}, support.Token)
	}
	expectOK(t, upd(map[string]any{"name": "Support"}))
	expectError(t, upd(map[string]any{"role": "admin"}), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE")
	expectError(t, upd(map[string]any{"emailVerified": true}), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL")
	expectError(t, upd(map[string]any{"banReason": "x"}), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
}

// Banning through update-user ends the user's sessions.
func TestUpdateUserBan(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := expectOK(t, post(f.srv, "/admin/update-user", map[string]any{"userId": f.bob.ID, "data": map[string]any{"banned": true}}, f.root.Token))
	if u["banned"] != true {
		t.Fatalf("user: %v", u)
	}
	expectEmpty(t, get(f.srv, "/admin/list-users", f.bob.Token), http.StatusUnauthorized)
	got := expectOK(t, post(f.srv, "/admin/list-user-sessions", map[string]any{"userId": f.bob.ID}, f.root.Token))
	if s := got["sessions"].([]any); len(s) != 0 {
		t.Fatalf("bob still has %d sessions", len(s))
	}
}

// Set-user-password checks the length and replaces the password.
func TestSetUserPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	set := func(body any) *authtest.Response {
		return post(f.srv, "/admin/set-user-password", body, f.root.Token)
	}
	resp := set(map[string]any{"userId": f.alice.ID, "newPassword": "1234567"})
	expectError(t, resp, http.StatusBadRequest, "PASSWORD_TOO_SHORT")
	expectError(t, set(map[string]any{"userId": f.alice.ID, "newPassword": strings.Repeat("x", 129)}), http.StatusBadRequest, "PASSWORD_TOO_LONG")
	resp = set(map[string]any{"userId": "", "newPassword": ""})
	expectError(t, resp, http.StatusBadRequest, "VALIDATION_ERROR")
	if !strings.Contains(string(resp.Body), "[body.newPassword] newPassword cannot be empty; [body.userId] userId cannot be empty") {
		t.Fatalf("message: %s", resp.Body)
	}
	expectError(t, set(map[string]any{"userId": "unknown", "newPassword": "new-password-1"}), http.StatusNotFound, "USER_NOT_FOUND")

	got := expectOK(t, set(map[string]any{"userId": f.alice.ID, "newPassword": "new-password-1"}))
	if got["status"] != true {
		t.Fatalf("response: %v", got)
	}
	expectOK(t, post(f.srv, "/sign-in/email", map[string]any{"email": f.alice.Email, "password": "new-password-1"}, ""))
	resp = post(f.srv, "/sign-in/email", map[string]any{"email": f.alice.Email, "password": password}, "")
	expectError(t, resp, http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
}

// Revoking sessions by token and by user.
func TestRevokeSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	srv, root := f.srv, f.root.Token
	count := func(id string) int {
		got := expectOK(t, post(srv, "/admin/list-user-sessions", map[string]any{"userId": id}, root))
		return len(got["sessions"].([]any))
	}
	got := expectOK(t, post(srv, "/admin/revoke-user-session", map[string]any{"sessionToken": "unknown"}, root))
	if got["success"] != true {
		t.Fatalf("response: %v", got)
	}
	srv.SignIn(f.alice.Email, password)
	before := count(f.alice.ID)
	expectOK(t, post(srv, "/admin/revoke-user-session", map[string]any{"sessionToken": f.alice.Token}, root))
	if after := count(f.alice.ID); after != before-1 {
		t.Fatalf("sessions: %d before, %d after", before, after)
	}
	expectEmpty(t, get(srv, "/admin/list-users", f.alice.Token), http.StatusUnauthorized)

	got = expectOK(t, post(srv, "/admin/revoke-user-sessions", map[string]any{"userId": f.bob.ID}, root))
	if got["success"] != true || count(f.bob.ID) != 0 {
		t.Fatalf("revoke-user-sessions: %v, %d sessions left", got, count(f.bob.ID))
	}
	if n := count("unknown"); n != 0 {
		t.Fatalf("unknown user has %d sessions", n)
	}
}

// Remove-user deletes the user with their sessions and API keys.
func TestRemoveUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	srv, root := f.srv, f.root.Token
	expectError(t, post(srv, "/admin/remove-user", map[string]any{"userId": f.root.ID}, root), http.StatusBadRequest, "YOU_CANNOT_REMOVE_YOURSELF")
	expectError(t, post(srv, "/admin/remove-user", map[string]any{"userId": "unknown"}, root), http.StatusNotFound, "USER_NOT_FOUND")

	srv.Exec(`INSERT INTO "apikey" ("id", "configId", "referenceId", "key", "createdAt", "updatedAt")
		VALUES ('remove-user-key', 'default', $1, 'hash-of-remove-user-key', now(), now())`, f.bob.ID)
	got := expectOK(t, post(srv, "/admin/remove-user", map[string]any{"userId": f.bob.ID}, root))
	if got["success"] != true {
		t.Fatalf("response: %v", got)
	}
	expectEmpty(t, get(srv, "/admin/list-users", f.bob.Token), http.StatusUnauthorized)
	resp := post(srv, "/sign-in/email", map[string]any{"email": f.bob.Email, "password": password}, "")
	expectError(t, resp, http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
	var keys int
	if err := srv.App.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "apikey" WHERE "referenceId" = $1`, f.bob.ID).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if keys != 0 {
		t.Fatalf("%d API keys of the removed user remain", keys)
	}
}
