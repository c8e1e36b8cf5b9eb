package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/servicekey"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

// origin is a trusted origin of authtest servers; cookie-bearing POSTs
// must send it.
const origin = "http://localhost:5173"

const password = "password123"

// fixture is the default set-up: root (role admin), alice and bob (role
// user), each with a bearer token.
type fixture struct {
	srv              *authtest.Server
	root, alice, bob authtest.User
}

func newFixture(t *testing.T, env authtest.Env) *fixture {
	t.Helper()
	return fixtureOn(t, authtest.New(t, env))
}

func fixtureOn(t *testing.T, srv *authtest.Server) *fixture {
	t.Helper()
	f := &fixture{srv: srv}
	// The clock moves between sign-ups, so the default order of list-users
	// (createdAt, then id) is the order of creation.
	f.root = signUpNamed(t, srv, "root")
	setRole(t, srv, f.root.ID, "admin")
	srv.Clock.Advance(time.Second)
	f.alice = signUpNamed(t, srv, "alice")
	srv.Clock.Advance(time.Second)
	f.bob = signUpNamed(t, srv, "bob")
	return f
}

// freshServer starts authd on a new database of its own, for tests that
// count every user.
func freshServer(t testing.TB, env authtest.Env) *authtest.Server {
	t.Helper()
	url := testdb.NewEmpty(t)
	if err := store.Migrate(context.Background(), url); err != nil {
		t.Fatalf("migrate fresh database: %v", err)
	}
	return authtest.NewWithDatabase(t, url, env)
}

// signUpNamed signs a user up with a given display name.
func signUpNamed(t testing.TB, srv *authtest.Server, name string) authtest.User {
	t.Helper()
	email := authtest.UniqueEmail(name)
	resp := srv.Do("POST", "/sign-up/email", map[string]any{"name": name, "email": email, "password": password})
	if resp.Status != http.StatusOK {
		t.Fatalf("sign-up %s: status %d: %s", email, resp.Status, resp.Body)
	}
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	resp.Decode(t, &out)
	return authtest.User{ID: out.User.ID, Email: strings.ToLower(email), Password: password, Token: out.Token}
}

// setRole stores a role in SQL, as an operator's seed would.
func setRole(t testing.TB, srv *authtest.Server, userID, role string) {
	t.Helper()
	srv.Exec(`UPDATE "user" SET "role" = $2 WHERE "id" = $1`, userID, role)
}

func serviceKey(t *testing.T, srv *authtest.Server) string {
	t.Helper()
	_, token, err := servicekey.Create(context.Background(), srv.App.Store.Pool, "admin-test-"+authtest.UniqueEmail("sk"), time.Now())
	if err != nil {
		t.Fatalf("create service key: %v", err)
	}
	return token
}

// as returns the headers of a bearer request by u.
func as(u authtest.User) []string { return authtest.Bearer(u.Token) }

// post sends a JSON POST with a bearer token (or none when token is "").
func post(srv *authtest.Server, path string, body any, token string) *authtest.Response {
	if token == "" {
		return srv.Do("POST", path, body)
	}
	return srv.Do("POST", path, body, authtest.Bearer(token)...)
}

func get(srv *authtest.Server, path, token string) *authtest.Response {
	if token == "" {
		return srv.Do("GET", path, nil)
	}
	return srv.Do("GET", path, nil, authtest.Bearer(token)...)
}

// expectError checks the status and code of an error response.
func expectError(t *testing.T, resp *authtest.Response, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Code() != code {
		t.Fatalf("got %d %s, want %d %s: %s", resp.Status, resp.Code(), status, code, resp.Body)
	}
}

// expectEmpty checks an error response with an empty body.
func expectEmpty(t *testing.T, resp *authtest.Response, status int) {
	t.Helper()
	if resp.Status != status || len(resp.Body) != 0 {
		t.Fatalf("got %d %q, want %d with an empty body", resp.Status, resp.Body, status)
	}
}

// expectMessage checks an error response whose body is {"message"} only.
func expectMessage(t *testing.T, resp *authtest.Response, status int, message string) {
	t.Helper()
	var body map[string]any
	_ = json.Unmarshal(resp.Body, &body)
	_, hasCode := body["code"]
	if resp.Status != status || body["message"] != message || hasCode {
		t.Fatalf("got %d %s, want %d {\"message\":%q}", resp.Status, resp.Body, status, message)
	}
}

func expectOK(t *testing.T, resp *authtest.Response) map[string]any {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("got %d, want 200: %s", resp.Status, resp.Body)
	}
	return resp.JSON(t)
}

// userOf returns the "user" member of a {user} response.
func userOf(t *testing.T, resp *authtest.Response) map[string]any {
	t.Helper()
	body := expectOK(t, resp)
	u, ok := body["user"].(map[string]any)
	if !ok {
		t.Fatalf("response has no user object: %s", resp.Body)
	}
	return u
}

// rolesFile writes a roles file and returns the env that loads it.
func rolesFile(t *testing.T, content string) authtest.Env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roles.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return authtest.Env{"AUTHD_ADMIN_ROLES_FILE": path}
}

// f1Roles is a roles file with the default roles plus support, lister,
// sessioner and superadmin.
const f1Roles = `{
  "roles": {
    "admin": {
      "user": ["create", "list", "set-role", "ban", "impersonate", "delete", "set-password", "set-email", "get", "update"],
      "session": ["list", "revoke", "delete"]
    },
    "user": {"user": [], "session": []},
    "support": {"user": ["update", "get"]},
    "lister": {"user": ["list"]},
    "sessioner": {"session": ["list"]},
    "superadmin": {
      "user": ["create", "list", "set-role", "ban", "impersonate", "impersonate-admins", "delete", "set-password", "set-email", "get", "update"],
      "session": ["list", "revoke", "delete"]
    }
  }
}`

// jar is a cookie jar for one simulated browser.
type jar map[string]string

// store applies the Set-Cookie lines of resp: an empty value or Max-Age=0
// removes the cookie.
func (j jar) store(resp *authtest.Response) {
	for _, line := range resp.Cookies() {
		parts := strings.Split(line, ";")
		name, value, _ := strings.Cut(parts[0], "=")
		expired := false
		for _, attr := range parts[1:] {
			if strings.EqualFold(strings.TrimSpace(attr), "Max-Age=0") {
				expired = true
			}
		}
		if value == "" || expired {
			delete(j, name)
			continue
		}
		j[name] = value
	}
}

// headers returns the Cookie and Origin headers of a request from j.
func (j jar) headers() []string {
	pairs := make([]string, 0, len(j))
	for k, v := range j {
		pairs = append(pairs, k+"="+v)
	}
	return []string{"Cookie", strings.Join(pairs, "; "), "Origin", origin}
}

// signInJar signs u in through a browser-like jar.
func signInJar(t *testing.T, srv *authtest.Server, u authtest.User, rememberMe bool) jar {
	t.Helper()
	j := jar{}
	resp := srv.Do("POST", "/sign-in/email", map[string]any{"email": u.Email, "password": u.Password, "rememberMe": rememberMe},
		"Origin", origin)
	expectOK(t, resp)
	j.store(resp)
	return j
}

// do sends a request with the jar's cookies and stores the response's.
func (j jar) do(srv *authtest.Server, method, path string, body any) *authtest.Response {
	resp := srv.Do(method, path, body, j.headers()...)
	j.store(resp)
	return resp
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
