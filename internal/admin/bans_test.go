package admin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

const bannedMessage = "You have been banned from this application. Please contact support if you believe this is an error."

func ban(t *testing.T, f *fixture, body map[string]any) map[string]any {
	t.Helper()
	return userOf(t, post(f.srv, "/admin/ban-user", body, f.root.Token))
}

// Ban-user rejects yourself, an unknown user and a string expiry.
func TestBanUserRejections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	expectError(t, post(f.srv, "/admin/ban-user", map[string]any{"userId": f.root.ID}, f.root.Token), http.StatusBadRequest, "YOU_CANNOT_BAN_YOURSELF")
	expectError(t, post(f.srv, "/admin/ban-user", map[string]any{"userId": "unknown"}, f.root.Token), http.StatusNotFound, "USER_NOT_FOUND")
	resp := post(f.srv, "/admin/ban-user", map[string]any{"userId": f.alice.ID, "banExpiresIn": "10"}, f.root.Token)
	expectError(t, resp, http.StatusBadRequest, "VALIDATION_ERROR")
}

// A ban ends the user's sessions: the cookie and the bearer token are
// rejected on the very next request.
func TestBanUserRevokesAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	cookies := signInJar(t, f.srv, f.alice, true)
	expectOK(t, cookies.do(f.srv, "GET", "/get-session", nil))

	u := ban(t, f, map[string]any{"userId": f.alice.ID, "banReason": "spam", "banExpiresIn": 3600})
	if u["banned"] != true || u["banReason"] != "spam" {
		t.Fatalf("user: %v", u)
	}
	expires, err := time.Parse(time.RFC3339, u["banExpires"].(string))
	if err != nil || expires.Sub(f.srv.Clock.Now().Add(time.Hour)).Abs() > time.Second {
		t.Fatalf("banExpires = %v, want about now+1h", u["banExpires"])
	}

	resp := cookies.do(f.srv, "GET", "/get-session", nil)
	if resp.Status != http.StatusOK || string(resp.Body) != "null" {
		t.Fatalf("get-session with the banned user's cookie: %d %s", resp.Status, resp.Body)
	}
	expectEmpty(t, get(f.srv, "/admin/list-users", f.alice.Token), http.StatusUnauthorized)
	resp = f.srv.Do("GET", "/admin/list-users", nil, cookies.headers()...)
	expectEmpty(t, resp, http.StatusUnauthorized)
}

// A session that escaped the deletion (created by a sign-in racing the
// ban) is rejected by the core's ban check.
func TestBanUserLeftoverSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ban(t, f, map[string]any{"userId": f.alice.ID})
	token := "leftover-session-token-0123456789"
	f.srv.Exec(`INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "userId")
		VALUES ('leftover-session', now() + interval '1 day', $1, now(), now(), $2)`, token, f.alice.ID)
	expectError(t, get(f.srv, "/get-session", token), http.StatusForbidden, "BANNED_USER")
}

// API keys of a banned user are rejected from the next request on. The key
// is made with the API Key plugin's endpoint and a service key.
func TestBanUserRejectsAPIKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	key := serviceKey(t, f.srv)
	resp := post(f.srv, "/api-key/create", map[string]any{"userId": f.alice.ID, "name": "ban-test"}, key)
	if resp.Status == http.StatusNotFound {
		t.Skip("POST /api-key/create is not served yet (API Key plugin)")
	}
	created := expectOK(t, resp)
	apiKey, _ := created["key"].(string)
	expectOK(t, f.srv.Do("GET", "/get-session", nil, "x-api-key", apiKey))

	ban(t, f, map[string]any{"userId": f.alice.ID})
	expectError(t, f.srv.Do("GET", "/get-session", nil, "x-api-key", apiKey), http.StatusForbidden, "BANNED_USER")
	verify := expectOK(t, post(f.srv, "/api-key/verify", map[string]any{"key": apiKey}, key))
	if verify["valid"] != false {
		t.Fatalf("verify after ban: %v", verify)
	}
	if e, _ := verify["error"].(map[string]any); e == nil || e["code"] != "USER_BANNED" {
		t.Fatalf("verify error after ban: %v", verify["error"])
	}
}

// A banned user's sign-in fails with 403 after a correct password only.
func TestBannedSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ban(t, f, map[string]any{"userId": f.alice.ID, "banExpiresIn": 3600})
	resp := post(f.srv, "/sign-in/email", map[string]any{"email": f.alice.Email, "password": password}, "")
	expectError(t, resp, http.StatusForbidden, "BANNED_USER")
	expectMessage403(t, resp, bannedMessage)
	resp = post(f.srv, "/sign-in/email", map[string]any{"email": f.alice.Email, "password": "wrong-password"}, "")
	expectError(t, resp, http.StatusUnauthorized, "INVALID_EMAIL_OR_PASSWORD")
}

func expectMessage403(t *testing.T, resp *authtest.Response, message string) {
	t.Helper()
	if got := resp.JSON(t)["message"]; got != message {
		t.Fatalf("message = %q, want %q", got, message)
	}
}

// An empty reason stores "No reason". A ban without expiry clears an
// older banExpires, where Better Auth keeps it.
func TestBanWithoutExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	u := ban(t, f, map[string]any{"userId": f.alice.ID, "banReason": ""})
	if u["banReason"] != "No reason" || u["banExpires"] != nil {
		t.Fatalf("user: %v", u)
	}

	ban(t, f, map[string]any{"userId": f.bob.ID, "banExpiresIn": 60})
	u = ban(t, f, map[string]any{"userId": f.bob.ID, "banExpiresIn": 0})
	if u["banExpires"] != nil {
		t.Fatalf("re-ban without expiry kept banExpires %v", u["banExpires"])
	}
	f.srv.Clock.Advance(2 * time.Minute)
	resp := post(f.srv, "/sign-in/email", map[string]any{"email": f.bob.Email, "password": password}, "")
	expectError(t, resp, http.StatusForbidden, "BANNED_USER")
}

// An expired ban is lifted by the next sign-in. The clock moves
// instead of sleeping.
func TestBanExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ban(t, f, map[string]any{"userId": f.alice.ID, "banExpiresIn": 1})
	f.srv.Clock.Advance(1500 * time.Millisecond)
	expectOK(t, post(f.srv, "/sign-in/email", map[string]any{"email": f.alice.Email, "password": password}, ""))
	u := expectOK(t, get(f.srv, "/admin/get-user?id="+f.alice.ID, f.root.Token))
	if u["banned"] != false || u["banReason"] != nil || u["banExpires"] != nil {
		t.Fatalf("user after the ban expired: %v", u)
	}
}

// Unban clears every ban field, and the user can sign in again.
func TestUnbanUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	ban(t, f, map[string]any{"userId": f.alice.ID, "banReason": "spam", "banExpiresIn": 3600})
	u := userOf(t, post(f.srv, "/admin/unban-user", map[string]any{"userId": f.alice.ID}, f.root.Token))
	if u["banned"] != false || u["banReason"] != nil || u["banExpires"] != nil {
		t.Fatalf("user: %v", u)
	}
	expectOK(t, post(f.srv, "/sign-in/email", map[string]any{"email": f.alice.Email, "password": password}, ""))
	expectError(t, post(f.srv, "/admin/unban-user", map[string]any{"userId": "unknown"}, f.root.Token), http.StatusNotFound, "USER_NOT_FOUND")
}

// The banned-user message, default ban reason and default expiry come
// from the settings.
func TestBanSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t, authtest.Env{
		"AUTHD_ADMIN_BANNED_USER_MESSAGE":    "X",
		"AUTHD_ADMIN_DEFAULT_BAN_REASON":     "terms of service",
		"AUTHD_ADMIN_DEFAULT_BAN_EXPIRES_IN": "1h",
	})
	u := ban(t, f, map[string]any{"userId": f.alice.ID})
	if u["banReason"] != "terms of service" || u["banExpires"] == nil {
		t.Fatalf("user: %v", u)
	}
	resp := post(f.srv, "/sign-in/email", map[string]any{"email": f.alice.Email, "password": password}, "")
	expectError(t, resp, http.StatusForbidden, "BANNED_USER")
	expectMessage403(t, resp, "X")
}

// A user created banned cannot sign in.
func TestCreateBannedUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	email := authtest.UniqueEmail("banned")
	u := userOf(t, post(f.srv, "/admin/create-user", map[string]any{
		"email": email, "name": "N", "password": password, "data": map[string]any{"banned": true},
	}, f.root.Token))
	if u["banned"] != true {
		t.Fatalf("user: %v", u)
	}
	resp := post(f.srv, "/sign-in/email", map[string]any{"email": email, "password": password}, "")
	expectError(t, resp, http.StatusForbidden, "BANNED_USER")

}

// Ban fields in create-user's data need user:ban.
func TestCreateUserBanFieldsNeedBan(t *testing.T) {
	t.Parallel()
	srv := authtest.New(t, rolesFile(t, `{"roles": {"user": {}, "admin": {"user": ["create"]}}}`))
	creator := signUpNamed(t, srv, "creator")
	setRole(t, srv, creator.ID, "admin")
	body := map[string]any{"email": authtest.UniqueEmail("x"), "name": "N", "data": map[string]any{"banReason": nil}}
	expectError(t, post(srv, "/admin/create-user", body, creator.Token), http.StatusForbidden, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
	delete(body, "data")
	expectOK(t, post(srv, "/admin/create-user", body, creator.Token))
}
