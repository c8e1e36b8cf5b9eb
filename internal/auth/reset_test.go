package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

// authd mails no reset links, but a database taken over from Better Auth
// can hold reset tokens; these tests insert such rows as Better Auth
// writes them and redeem them over HTTP.

func insertResetToken(t *testing.T, srv *authtest.Server, token, userID string, expiresAt time.Time) {
	t.Helper()
	srv.Exec(`INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
		VALUES ($1, $2, $3, $4, now(), now())`, "reset-"+token, "reset-password:"+token, userID, expiresAt)
}

func TestResetLinkRedirectsWithToken(t *testing.T) {
	srv := authtest.New(t, nil)
	u := srv.SignUp(authtest.UniqueEmail("reset-link"), "password123")
	insertResetToken(t, srv, "tok24charactersxxxxxxxxA", u.ID, srv.Clock.Now().Add(time.Hour))

	resp := srv.Do("GET", "/reset-password/tok24charactersxxxxxxxxA?callbackURL=%2Freset", nil)
	if resp.Status != http.StatusFound {
		t.Fatalf("status = %d, want 302: %s", resp.Status, resp.Body)
	}
	want := srv.URL + "/reset?token=tok24charactersxxxxxxxxA"
	if got := resp.Header.Get("Location"); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
}

func TestResetLinkUnknownToken(t *testing.T) {
	srv := authtest.New(t, nil)
	resp := srv.Do("GET", "/reset-password/nope?callbackURL=%2Freset%3Fx%3D1", nil)
	if resp.Status != http.StatusFound {
		t.Fatalf("status = %d, want 302: %s", resp.Status, resp.Body)
	}
	want := srv.URL + "/reset?x=1&error=INVALID_TOKEN"
	if got := resp.Header.Get("Location"); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
}

func TestResetLinkExpiredToken(t *testing.T) {
	srv := authtest.New(t, nil)
	u := srv.SignUp(authtest.UniqueEmail("reset-expired"), "password123")
	insertResetToken(t, srv, "expiredtokenxxxxxxxxxxxx", u.ID, srv.Clock.Now().Add(time.Hour))
	srv.Clock.Advance(2 * time.Hour)

	resp := srv.Do("GET", "/reset-password/expiredtokenxxxxxxxxxxxx?callbackURL=%2Freset", nil)
	if got, want := resp.Header.Get("Location"), srv.URL+"/reset?error=INVALID_TOKEN"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	resp = srv.Do("POST", "/reset-password", map[string]any{"newPassword": "brandnew123", "token": "expiredtokenxxxxxxxxxxxx"})
	if resp.Status != http.StatusBadRequest || resp.Code() != "INVALID_TOKEN" {
		t.Errorf("expired token reset: %d %s", resp.Status, resp.Body)
	}
}

func TestResetLinkRequiresTrustedCallback(t *testing.T) {
	srv := authtest.New(t, nil)
	resp := srv.Do("GET", "/reset-password/nope", nil)
	if resp.Status != http.StatusBadRequest || resp.Code() != "VALIDATION_ERROR" {
		t.Errorf("missing callbackURL: %d %s", resp.Status, resp.Body)
	}
	resp = srv.Do("GET", "/reset-password/nope?callbackURL=https%3A%2F%2Fevil.com%2Fr", nil)
	if resp.Status != http.StatusForbidden || resp.Code() != "INVALID_CALLBACK_URL" {
		t.Errorf("untrusted callbackURL: %d %s", resp.Status, resp.Body)
	}
}

func TestResetPasswordSingleUse(t *testing.T) {
	srv := authtest.New(t, nil)
	u := srv.SignUp(authtest.UniqueEmail("reset-once"), "password123")
	insertResetToken(t, srv, "singleusetokenxxxxxxxxxx", u.ID, srv.Clock.Now().Add(time.Hour))

	resp := srv.Do("POST", "/reset-password", map[string]any{"newPassword": "short", "token": "singleusetokenxxxxxxxxxx"})
	if resp.Code() != "PASSWORD_TOO_SHORT" {
		t.Fatalf("short password: %d %s", resp.Status, resp.Body)
	}
	resp = srv.Do("POST", "/reset-password", map[string]any{"newPassword": "brandnew123", "token": "singleusetokenxxxxxxxxxx"})
	if resp.Status != http.StatusOK || string(resp.Body) != `{"status":true}` {
		t.Fatalf("reset: %d %s", resp.Status, resp.Body)
	}
	resp = srv.Do("POST", "/reset-password", map[string]any{"newPassword": "brandnew456", "token": "singleusetokenxxxxxxxxxx"})
	if resp.Status != http.StatusBadRequest || resp.Code() != "INVALID_TOKEN" {
		t.Errorf("replayed token: %d %s", resp.Status, resp.Body)
	}

	if r := srv.Do("POST", "/sign-in/email", map[string]any{"email": u.Email, "password": "password123"}); r.Status != http.StatusUnauthorized {
		t.Errorf("old password still signs in: %d", r.Status)
	}
	srv.SignIn(u.Email, "brandnew123")
}

func TestResetPasswordWithoutToken(t *testing.T) {
	srv := authtest.New(t, nil)
	resp := srv.Do("POST", "/reset-password", map[string]any{"newPassword": "brandnew123"})
	if resp.Status != http.StatusBadRequest || resp.Code() != "INVALID_TOKEN" {
		t.Errorf("no token: %d %s", resp.Status, resp.Body)
	}
	resp = srv.Do("POST", "/reset-password", map[string]any{"newPassword": "brandnew123", "token": "nope"})
	if resp.Status != http.StatusBadRequest || resp.Code() != "INVALID_TOKEN" {
		t.Errorf("unknown token: %d %s", resp.Status, resp.Body)
	}
}
