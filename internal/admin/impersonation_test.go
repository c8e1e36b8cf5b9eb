package admin_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

func sessionOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	s, ok := body["session"].(map[string]any)
	if !ok {
		t.Fatalf("response has no session: %v", body)
	}
	return s
}

func expiresIn(t *testing.T, srv *authtest.Server, session map[string]any) time.Duration {
	t.Helper()
	at, err := time.Parse(time.RFC3339, session["expiresAt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return at.Sub(srv.Clock.Now()).Round(time.Second)
}

// Impersonation swaps the browser's cookies, acts as the target and
// restores the admin's session on stop.
func TestImpersonation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	srv := f.srv
	rootJar := signInJar(t, srv, f.root, true)
	rootCookie := rootJar["better-auth.session_token"]

	resp := rootJar.do(srv, "POST", "/admin/impersonate-user", map[string]any{"userId": f.alice.ID})
	body := expectOK(t, resp)
	s := sessionOf(t, body)
	if s["userId"] != f.alice.ID || s["impersonatedBy"] != f.root.ID || body["user"].(map[string]any)["id"] != f.alice.ID {
		t.Fatalf("response: %s", resp.Body)
	}
	if d := expiresIn(t, srv, s); d != time.Hour {
		t.Fatalf("impersonation session lasts %v, want 1h", d)
	}
	// Better Auth's cookie sequence.
	want := []string{
		`^better-auth\.session_token=; Max-Age=0;`,
		`^better-auth\.session_data=; Max-Age=0;`,
		`^better-auth\.dont_remember=; Max-Age=0;`,
		`^better-auth\.admin_session=[^;]+; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax$`,
		`^better-auth\.session_token=[^;]+; Path=/; HttpOnly; SameSite=Lax$`,
		`^better-auth\.dont_remember=true\.[^;]+; Path=/; HttpOnly; SameSite=Lax$`,
	}
	got := resp.Cookies()
	if len(got) != len(want) {
		t.Fatalf("Set-Cookie lines:\n%s", strings.Join(got, "\n"))
	}
	for i, pattern := range want {
		if !regexp.MustCompile(pattern).MatchString(got[i]) {
			t.Fatalf("Set-Cookie %d = %q, want %s", i, got[i], pattern)
		}
	}
	impJar := rootJar // the browser now holds the impersonation session

	// The session is the target's, hidden from the target's own listing.
	sess := expectOK(t, impJar.do(srv, "GET", "/get-session", nil))
	if sess["user"].(map[string]any)["id"] != f.alice.ID || sessionOf(t, sess)["impersonatedBy"] != f.root.ID {
		t.Fatalf("get-session while impersonating: %v", sess)
	}
	resp = impJar.do(srv, "GET", "/list-sessions", nil)
	if resp.Status != http.StatusOK || strings.Contains(string(resp.Body), s["id"].(string)) {
		t.Fatalf("list-sessions shows the impersonation session: %s", resp.Body)
	}
	listed := expectOK(t, post(srv, "/admin/list-user-sessions", map[string]any{"userId": f.alice.ID}, f.root.Token))
	if !strings.Contains(string(mustJSON(t, listed)), s["id"].(string)) {
		t.Fatalf("list-user-sessions misses the impersonation session: %v", listed)
	}

	// Admin endpoints are authorised as alice.
	expectError(t, impJar.do(srv, "GET", "/admin/list-users", nil), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")

	// Stopping restores root's original cookie and deletes the session.
	resp = impJar.do(srv, "POST", "/admin/stop-impersonating", nil)
	body = expectOK(t, resp)
	if sessionOf(t, body)["userId"] != f.root.ID || body["user"].(map[string]any)["id"] != f.root.ID {
		t.Fatalf("stop-impersonating: %s", resp.Body)
	}
	cookies := strings.Join(resp.Cookies(), "\n")
	if !strings.Contains(cookies, "better-auth.session_token="+rootCookie+"; Max-Age=604800") ||
		!strings.Contains(cookies, "better-auth.admin_session=; Max-Age=0") {
		t.Fatalf("Set-Cookie lines:\n%s", cookies)
	}
	listed = expectOK(t, post(srv, "/admin/list-user-sessions", map[string]any{"userId": f.alice.ID}, f.root.Token))
	if strings.Contains(string(mustJSON(t, listed)), s["id"].(string)) {
		t.Fatal("the impersonation session outlived stop-impersonating")
	}
	expectOK(t, rootJar.do(srv, "GET", "/admin/list-users?limit=1", nil))
}

// Stop-impersonating rejects a normal session, no session and a missing
// admin_session cookie.
func TestStopImpersonatingRejections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	rootJar := signInJar(t, f.srv, f.root, true)
	expectMessage(t, rootJar.do(f.srv, "POST", "/admin/stop-impersonating", nil), http.StatusBadRequest, "You are not impersonating anyone")
	expectEmpty(t, post(f.srv, "/admin/stop-impersonating", nil, ""), http.StatusUnauthorized)

	expectOK(t, rootJar.do(f.srv, "POST", "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}))
	delete(rootJar, "better-auth.admin_session")
	expectMessage(t, rootJar.do(f.srv, "POST", "/admin/stop-impersonating", nil), http.StatusInternalServerError, "Failed to find admin session")
}

// A forged or foreign admin_session cookie does not restore a session.
func TestStopImpersonatingForeignAdminSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	rootJar := signInJar(t, f.srv, f.root, true)
	expectOK(t, rootJar.do(f.srv, "POST", "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}))
	// A correctly signed cookie that points at bob's session, not root's.
	rootJar["better-auth.admin_session"] = f.srv.App.Service.Cookies.Sign(f.bob.Token + ":")
	expectMessage(t, rootJar.do(f.srv, "POST", "/admin/stop-impersonating", nil), http.StatusInternalServerError, "Failed to find admin session")
	rootJar["better-auth.admin_session"] = f.root.Token + ":.bad"
	expectMessage(t, rootJar.do(f.srv, "POST", "/admin/stop-impersonating", nil), http.StatusInternalServerError, "Failed to find admin session")
}

// Admins, including the caller itself, need impersonate-admins.
func TestImpersonateAdmins(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	other := signUpNamed(t, f.srv, "other-admin")
	setRole(t, f.srv, other.ID, "admin")
	imp := func(srv *authtest.Server, token, id string) *authtest.Response {
		return post(srv, "/admin/impersonate-user", map[string]any{"userId": id}, token)
	}
	expectError(t, imp(f.srv, f.root.Token, other.ID), http.StatusForbidden, "YOU_CANNOT_IMPERSONATE_ADMINS")
	expectError(t, imp(f.srv, f.root.Token, f.root.ID), http.StatusForbidden, "YOU_CANNOT_IMPERSONATE_ADMINS")
	expectError(t, imp(f.srv, f.root.Token, "unknown"), http.StatusNotFound, "USER_NOT_FOUND")

	allow := authtest.NewWithDatabase(t, f.srv.DatabaseURL, authtest.Env{"AUTHD_ADMIN_ALLOW_IMPERSONATING_ADMINS": "true"})
	expectOK(t, imp(allow, f.root.Token, other.ID))

	f1 := newFixture(t, rolesFile(t, f1Roles))
	super := signUpNamed(t, f1.srv, "super")
	setRole(t, f1.srv, super.ID, "superadmin")
	expectOK(t, imp(f1.srv, super.Token, f1.root.ID))
	// superadmin is not in adminRoles, so an admin may impersonate it.
	expectOK(t, imp(f1.srv, f1.root.Token, super.ID))
}

// The impersonation duration comes from the settings.
func TestImpersonationDuration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{"AUTHD_ADMIN_IMPERSONATION_SESSION_DURATION": "2m"})
	body := expectOK(t, post(f.srv, "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}, f.root.Token))
	if d := expiresIn(t, f.srv, sessionOf(t, body)); d != 2*time.Minute {
		t.Fatalf("impersonation session lasts %v, want 2m", d)
	}
}

// An impersonation session is never extended, even through a bearer token
// that carries no dont_remember cookie, and it ends on time.
func TestImpersonationNotRefreshed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp := post(f.srv, "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}, f.root.Token)
	token := sessionOf(t, expectOK(t, resp))["token"].(string)
	if resp.Header.Get("set-auth-token") == "" {
		t.Fatal("no set-auth-token header for the bearer client")
	}
	f.srv.Clock.Advance(30 * time.Minute)
	sess := expectOK(t, get(f.srv, "/get-session", token))
	if d := expiresIn(t, f.srv, sessionOf(t, sess)); d != 30*time.Minute {
		t.Fatalf("impersonation session expires in %v after a refresh, want 30m", d)
	}
	f.srv.Clock.Advance(31 * time.Minute)
	resp = get(f.srv, "/get-session", token)
	if string(resp.Body) != "null" {
		t.Fatalf("expired impersonation session still works: %s", resp.Body)
	}
}

// A banned user cannot be impersonated.
func TestImpersonateBannedUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ban(t, f, map[string]any{"userId": f.alice.ID})
	resp := post(f.srv, "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}, f.root.Token)
	expectError(t, resp, http.StatusForbidden, "BANNED_USER")
}

// An admin signed in without "remember me" gets a browser-session
// cookie back.
func TestImpersonationDontRemember(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	rootJar := signInJar(t, f.srv, f.root, false)
	expectOK(t, rootJar.do(f.srv, "POST", "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}))
	resp := rootJar.do(f.srv, "POST", "/admin/stop-impersonating", nil)
	expectOK(t, resp)
	var token, dontRemember string
	for _, line := range resp.Cookies() {
		switch {
		case strings.HasPrefix(line, "better-auth.session_token="):
			token = line
		case strings.HasPrefix(line, "better-auth.dont_remember="):
			dontRemember = line
		}
	}
	if token == "" || strings.Contains(token, "Max-Age") {
		t.Fatalf("restored session cookie %q, want one without Max-Age", token)
	}
	if !strings.HasPrefix(dontRemember, "better-auth.dont_remember=true.") {
		t.Fatalf("dont_remember cookie %q, want true again", dontRemember)
	}
}

// authd: an impersonation session cannot start another impersonation,
// even when the impersonated user may impersonate.
func TestImpersonationChain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, rolesFile(t, `{"roles": {
		"user": {},
		"admin": {"user": ["impersonate", "list"]},
		"helper": {"user": ["impersonate"]}
	}}`))
	helper := signUpNamed(t, f.srv, "helper")
	setRole(t, f.srv, helper.ID, "helper")
	body := expectOK(t, post(f.srv, "/admin/impersonate-user", map[string]any{"userId": helper.ID}, f.root.Token))
	token := sessionOf(t, body)["token"].(string)
	resp := post(f.srv, "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}, token)
	expectError(t, resp, http.StatusForbidden, "IMPERSONATION_SESSION_CANNOT_IMPERSONATE")
}
