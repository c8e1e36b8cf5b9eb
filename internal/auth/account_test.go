package auth_test

import (
	"context"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

func TestUpdateUser(t *testing.T) {
	srv := start(t, nil)

	t.Run("cookie and trusted Origin", func(t *testing.T) {
		u := signUp(t, srv, "uu1")
		resp := srv.Do("POST", "/update-user", map[string]any{"name": "Alice2"}, "Cookie", u.Cookie, "Origin", trustedOrigin)
		wantStatus(t, resp, 200)
		if string(resp.Body) != `{"status":true}` {
			t.Errorf("body %s", resp.Body)
		}
		signed := codec.Sign(u.Token)
		wantCookies(t, resp, sessionCookie+"="+encode(signed)+"; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
		if resp.Header.Get("set-auth-token") != signed {
			t.Errorf("set-auth-token %q", resp.Header.Get("set-auth-token"))
		}
		b := wantSessionOf(t, getSession(t, srv, "Cookie", u.Cookie), u.UserID)
		if b.User["name"] != "Alice2" {
			t.Errorf("name %v", b.User["name"])
		}
	})
	t.Run("cookie without Origin", func(t *testing.T) {
		u := signUp(t, srv, "uu2")
		resp := srv.Do("POST", "/update-user", map[string]any{"name": "X"}, "Cookie", u.Cookie)
		wantError(t, resp, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	})
	t.Run("cookie with untrusted Origin", func(t *testing.T) {
		u := signUp(t, srv, "uu3")
		resp := srv.Do("POST", "/update-user", map[string]any{"name": "X"}, "Cookie", u.Cookie, "Origin", "https://evil.com")
		wantError(t, resp, 403, "INVALID_ORIGIN", "Invalid origin")
	})
	t.Run("bearer with untrusted Origin", func(t *testing.T) {
		u := signUp(t, srv, "uu4")
		resp := srv.Do("POST", "/update-user", map[string]any{"name": "D"}, "Authorization", "Bearer "+u.Token, "Origin", "https://evil.com")
		wantStatus(t, resp, 200)
	})
	t.Run("email", func(t *testing.T) {
		u := signUp(t, srv, "uu5")
		resp := srv.Do("POST", "/update-user", map[string]any{"email": "x@y.com"}, authtest.Bearer(u.Token)...)
		wantError(t, resp, 400, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated")
	})
	t.Run("no known field", func(t *testing.T) {
		u := signUp(t, srv, "uu6")
		wantError(t, srv.Do("POST", "/update-user", map[string]any{"foo": 1}, authtest.Bearer(u.Token)...), 400, "", "No fields to update")
	})
	t.Run("anonymous", func(t *testing.T) {
		wantError(t, srv.Do("POST", "/update-user", map[string]any{"name": "X"}), 401, "UNAUTHORIZED", "Unauthorized")
	})
	t.Run("form body", func(t *testing.T) {
		u := signUp(t, srv, "uu8")
		resp := send(t, srv, "POST", "/update-user", "name=X", "Content-Type", "application/x-www-form-urlencoded", "Authorization", "Bearer "+u.Token)
		wantError(t, resp, 415, "UNSUPPORTED_MEDIA_TYPE", `Content-Type "application/x-www-form-urlencoded" is not allowed. Allowed types: application/json`)
	})
	// A rememberMe:false session keeps its browser-session cookie when the
	// cookie is re-issued.
	t.Run("dont_remember cookie", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-up/email", map[string]any{"name": "D", "email": authtest.UniqueEmail("uudr"), "password": testPassword, "rememberMe": false})
		wantStatus(t, resp, 200)
		token := resp.JSON(t)["token"].(string)
		cookies := cookiePair(t, resp, sessionCookie) + "; " + cookiePair(t, resp, dontRemember)
		resp = srv.Do("POST", "/update-user", map[string]any{"name": "D2"}, "Cookie", cookies, "Origin", trustedOrigin)
		wantStatus(t, resp, 200)
		wantCookies(t, resp,
			sessionCookie+"="+encode(codec.Sign(token))+"; Path=/; HttpOnly; SameSite=Lax",
			"better-auth.dont_remember=true.1Ue91JS%2BcwPpyhFiSTriJ9vlBOt6RG78rdQqJ%2BTjbEk%3D; Path=/; HttpOnly; SameSite=Lax")
	})
	t.Run("image null", func(t *testing.T) {
		u := signUp(t, srv, "image")
		wantStatus(t, srv.Do("POST", "/update-user", map[string]any{"image": "https://img.example.com/a.png"}, authtest.Bearer(u.Token)...), 200)
		wantStatus(t, srv.Do("POST", "/update-user", map[string]any{"image": nil}, authtest.Bearer(u.Token)...), 200)
		if b := wantSessionOf(t, getSession(t, srv, authtest.Bearer(u.Token)...), u.UserID); b.User["image"] != nil {
			t.Errorf("image %v, want null", b.User["image"])
		}
	})
	t.Run("admin field", func(t *testing.T) {
		u := signUp(t, srv, "role")
		wantError(t, srv.Do("POST", "/update-user", map[string]any{"role": "admin"}, authtest.Bearer(u.Token)...), 400,
			"FIELD_NOT_ALLOWED", "role is not allowed to be set")
	})
	t.Run("update-session", func(t *testing.T) {
		u := signUp(t, srv, "us1")
		wantError(t, srv.Do("POST", "/update-session", map[string]any{"foo": 1}, authtest.Bearer(u.Token)...), 400, "", "No fields to update")
	})
}

func TestChangePassword(t *testing.T) {
	srv := start(t, nil)
	change := func(u session, body map[string]any) *authtest.Response {
		return srv.Do("POST", "/change-password", body, authtest.Bearer(u.Token)...)
	}

	t.Run("wrong current password", func(t *testing.T) {
		u := signUp(t, srv, "cp1")
		resp := change(u, map[string]any{"currentPassword": "wrong-pass", "newPassword": "brandnew123"})
		wantError(t, resp, 400, "INVALID_PASSWORD", "Invalid password")
	})
	t.Run("short new password", func(t *testing.T) {
		u := signUp(t, srv, "cp2")
		resp := change(u, map[string]any{"currentPassword": testPassword, "newPassword": "short"})
		wantError(t, resp, 400, "PASSWORD_TOO_SHORT", "Password too short")
	})
	t.Run("keep sessions", func(t *testing.T) {
		u := signUp(t, srv, "cp3")
		resp := change(u, map[string]any{"currentPassword": testPassword, "newPassword": "brandnew123"})
		wantStatus(t, resp, 200)
		wantNoCookies(t, resp)
		out := resp.JSON(t)
		if tok, ok := out["token"]; !ok || tok != nil {
			t.Errorf("token %v, want null", tok)
		}
		if out["user"].(map[string]any)["id"] != u.UserID {
			t.Errorf("user %v", out["user"])
		}
		wantCode(t, srv.Do("POST", "/sign-in/email", map[string]any{"email": u.Email, "password": testPassword}), 401, "INVALID_EMAIL_OR_PASSWORD")
		wantStatus(t, srv.Do("POST", "/sign-in/email", map[string]any{"email": u.Email, "password": "brandnew123"}), 200)
		wantSessionOf(t, getSession(t, srv, authtest.Bearer(u.Token)...), u.UserID)
	})
	t.Run("revoke other sessions", func(t *testing.T) {
		u := signUp(t, srv, "cp4")
		resp := change(u, map[string]any{"currentPassword": testPassword, "newPassword": "brandnew123", "revokeOtherSessions": true})
		wantStatus(t, resp, 200)
		newToken, _ := resp.JSON(t)["token"].(string)
		if !tokenPattern.MatchString(newToken) || newToken == u.Token {
			t.Fatalf("new token %q", newToken)
		}
		signed := codec.Sign(newToken)
		wantCookies(t, resp, sessionCookie+"="+encode(signed)+"; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
		if resp.Header.Get("set-auth-token") != signed {
			t.Errorf("set-auth-token %q", resp.Header.Get("set-auth-token"))
		}
		wantNullSession(t, getSession(t, srv, authtest.Bearer(u.Token)...))
		wantSessionOf(t, getSession(t, srv, authtest.Bearer(newToken)...), u.UserID)
	})
	t.Run("no credential account", func(t *testing.T) {
		u := signUp(t, srv, "cpnoacc")
		srv.Exec(`DELETE FROM "account" WHERE "userId" = $1`, u.UserID)
		resp := change(u, map[string]any{"currentPassword": testPassword, "newPassword": "brandnew123"})
		wantError(t, resp, 400, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
	})
	t.Run("anonymous with bad body", func(t *testing.T) {
		// Validation runs before authentication, as in Better Auth.
		resp := srv.Do("POST", "/change-password", map[string]any{"newPassword": 1})
		wantError(t, resp, 400, "VALIDATION_ERROR",
			"[body.newPassword] Invalid input: expected string, received number; [body.currentPassword] Invalid input: expected string, received undefined")
	})
}

func TestVerifyPassword(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "vp")
	t.Run("right", func(t *testing.T) {
		resp := srv.Do("POST", "/verify-password", map[string]any{"password": testPassword}, authtest.Bearer(u.Token)...)
		wantStatus(t, resp, 200)
		if string(resp.Body) != `{"status":true}` {
			t.Errorf("body %s", resp.Body)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		resp := srv.Do("POST", "/verify-password", map[string]any{"password": "nope"}, authtest.Bearer(u.Token)...)
		wantError(t, resp, 400, "INVALID_PASSWORD", "Invalid password")
	})
}

func TestListAccounts(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "rt6")
	resp := srv.Do("GET", "/list-accounts", nil, authtest.Bearer(u.Token)...)
	wantStatus(t, resp, 200)
	var accounts []map[string]any
	resp.Decode(t, &accounts)
	if len(accounts) != 1 {
		t.Fatalf("accounts %s", resp.Body)
	}
	a := accounts[0]
	var accountID string
	if err := srv.App.Store.Pool.QueryRow(context.Background(), `SELECT "id" FROM "account" WHERE "userId" = $1`, u.UserID).Scan(&accountID); err != nil {
		t.Fatal(err)
	}
	if a["accountId"] != u.UserID || a["providerId"] != "credential" || a["userId"] != u.UserID || a["id"] != accountID {
		t.Errorf("account %v", a)
	}
	if scopes, ok := a["scopes"].([]any); !ok || len(scopes) != 0 {
		t.Errorf("scopes %v, want []", a["scopes"])
	}
	for _, secret := range []string{"password", "accessToken", "refreshToken", "idToken"} {
		if _, ok := a[secret]; ok {
			t.Errorf("account exposes %s", secret)
		}
	}
}
