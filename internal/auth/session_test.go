package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/wire"
)

func wantNoStore(t *testing.T, resp *authtest.Response) {
	t.Helper()
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
		t.Errorf("Cache-Control %q, Pragma %q: want no-store, no-cache", resp.Header.Get("Cache-Control"), resp.Header.Get("Pragma"))
	}
}

func sessionRowExpiry(t *testing.T, srv *authtest.Server, token string) (time.Time, bool) {
	t.Helper()
	var expires time.Time
	err := srv.App.Store.Pool.QueryRow(context.Background(), `SELECT "expiresAt" FROM "session" WHERE "token" = $1`, token).Scan(&expires)
	if err != nil {
		return time.Time{}, false
	}
	return expires, true
}

func TestGetSession(t *testing.T) {
	srv := start(t, nil)
	alice := signUp(t, srv, "alice")

	t.Run("cookie", func(t *testing.T) {
		resp := send(t, srv, "GET", "/get-session", "", "Cookie", alice.Cookie, "User-Agent", "-")
		b := wantSessionOf(t, resp, alice.UserID)
		wantNoStore(t, resp)
		wantNoCookies(t, resp)
		if b.Session["token"] != alice.Token || b.Session["userId"] != alice.UserID {
			t.Errorf("session %v", b.Session)
		}
		// Without a trusted proxy, authd stores the socket address because
		// it takes the client address from trusted proxies only. Better
		// Auth stores "" in that case.
		if b.Session["ipAddress"] != "127.0.0.1" {
			t.Errorf("ipAddress %v, want 127.0.0.1", b.Session["ipAddress"])
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		resp := getSession(t, srv)
		wantNullSession(t, resp)
		wantNoStore(t, resp)
		wantNoCookies(t, resp)
	})
	t.Run("tampered signature", func(t *testing.T) {
		signed := codec.Sign(alice.Token)
		// Replace the last signature character before the padding with a
		// different one; a fixed "A" would be a no-op when it already is one.
		replacement := "A="
		if signed[len(signed)-2] == 'A' {
			replacement = "E="
		}
		tampered := signed[:len(signed)-2] + replacement
		resp := getSession(t, srv, "Cookie", sessionCookie+"="+encode(tampered))
		wantNullSession(t, resp)
		wantNoCookies(t, resp)
	})
	t.Run("unsigned cookie", func(t *testing.T) {
		wantNullSession(t, getSession(t, srv, "Cookie", sessionCookie+"="+alice.Token))
	})
	t.Run("bearer raw token", func(t *testing.T) {
		wantSessionOf(t, getSession(t, srv, authtest.Bearer(alice.Token)...), alice.UserID)
	})
	t.Run("bearer signed", func(t *testing.T) {
		signed := codec.Sign(alice.Token)
		wantSessionOf(t, getSession(t, srv, "Authorization", "bearer "+signed), alice.UserID)
		wantSessionOf(t, getSession(t, srv, "Authorization", "Bearer "+encode(signed)), alice.UserID)
	})
	t.Run("bearer unknown token", func(t *testing.T) {
		resp := getSession(t, srv, authtest.Bearer("zzz")...)
		wantNullSession(t, resp)
		wantCookies(t, resp, clearLines...)
	})
	t.Run("basic auth", func(t *testing.T) {
		resp := getSession(t, srv, "Authorization", "Basic Zm9vOmJhcg==")
		wantNullSession(t, resp)
		wantNoCookies(t, resp)
	})
	t.Run("bearer wins over cookie", func(t *testing.T) {
		bob := signUp(t, srv, "bob")
		wantSessionOf(t, getSession(t, srv, "Authorization", "Bearer "+alice.Token, "Cookie", bob.Cookie), alice.UserID)
	})
	t.Run("revoked session", func(t *testing.T) {
		u := signUp(t, srv, "revoked")
		srv.Exec(`DELETE FROM "session" WHERE "token" = $1`, u.Token)
		resp := getSession(t, srv, "Cookie", u.Cookie)
		wantNullSession(t, resp)
		wantCookies(t, resp, clearLines...)
	})
	t.Run("POST without cookie", func(t *testing.T) {
		resp := srv.Do("POST", "/get-session", nil)
		wantError(t, resp, 405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED",
			"POST method requires deferSessionRefresh to be enabled in session config")
		wantNoStore(t, resp)
	})
	t.Run("POST with cookie without Origin", func(t *testing.T) {
		resp := srv.Do("POST", "/get-session", nil, "Cookie", alice.Cookie)
		wantError(t, resp, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	})

	// The session lookup of a protected endpoint writes its cookies on the
	// error response too: a revoked session gets the clearing lines with 401.
	t.Run("401 clears a revoked cookie", func(t *testing.T) {
		u := signUp(t, srv, "revoked401")
		srv.Exec(`DELETE FROM "session" WHERE "token" = $1`, u.Token)
		resp := srv.Do("POST", "/update-user", map[string]any{"name": "X"}, "Cookie", u.Cookie, "Origin", trustedOrigin)
		wantError(t, resp, 401, "UNAUTHORIZED", "Unauthorized")
		wantCookies(t, resp, clearLines...)
	})

	// authd rejects a banned user's sessions at lookup, where Better Auth
	// relies on ban-user having deleted them (revocation is immediate).
	t.Run("banned user", func(t *testing.T) {
		u := signUp(t, srv, "banned")
		srv.Exec(`UPDATE "user" SET "banned" = true WHERE "id" = $1`, u.UserID)
		wantCode(t, getSession(t, srv, "Cookie", u.Cookie), 403, "BANNED_USER")
		srv.Exec(`UPDATE "user" SET "banExpires" = $2 WHERE "id" = $1`, u.UserID, srv.Clock.Now().Add(-time.Minute))
		wantSessionOf(t, getSession(t, srv, "Cookie", u.Cookie), u.UserID)
	})
}

// The time rules move the injected clock. The database rows keep the
// times that the clock returned when they were written.
func TestSessionTime(t *testing.T) {
	t.Run("expired", func(t *testing.T) {
		srv := start(t, nil)
		u := signUp(t, srv, "expired")
		srv.Clock.Advance(7*24*time.Hour + time.Second)
		resp := getSession(t, srv, "Cookie", u.Cookie)
		wantNullSession(t, resp)
		wantCookies(t, resp, clearLines...)
		if _, ok := sessionRowExpiry(t, srv, u.Token); ok {
			t.Error("the expired session row was not deleted")
		}
	})

	t.Run("refresh", func(t *testing.T) {
		srv := start(t, nil)
		u := signUp(t, srv, "refresh")
		// One day and a second after sign-up, expiresAt is now+6d-1s: due.
		srv.Clock.Advance(24*time.Hour + time.Second)
		now := srv.Clock.Now()
		resp := getSession(t, srv, "Cookie", u.Cookie)
		b := wantSessionOf(t, resp, u.UserID)
		if b.Session["expiresAt"] != wire.Time(now.Add(7*24*time.Hour)) || b.Session["updatedAt"] != wire.Time(now) {
			t.Errorf("session not refreshed: %v", b.Session)
		}
		signed := codec.Sign(u.Token)
		wantCookies(t, resp, sessionCookie+"="+encode(signed)+"; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
		if resp.Header.Get("set-auth-token") != signed {
			t.Errorf("set-auth-token %q", resp.Header.Get("set-auth-token"))
		}
		if exp, _ := sessionRowExpiry(t, srv, u.Token); !exp.Equal(now.Add(7 * 24 * time.Hour).Truncate(time.Microsecond)) {
			t.Errorf("row expiresAt %s", exp)
		}
	})

	t.Run("not yet due", func(t *testing.T) {
		srv := start(t, nil)
		u := signUp(t, srv, "notdue")
		srv.Clock.Advance(24*time.Hour - time.Second)
		resp := getSession(t, srv, "Cookie", u.Cookie)
		wantSessionOf(t, resp, u.UserID)
		wantNoCookies(t, resp)
	})

	t.Run("disableRefresh", func(t *testing.T) {
		srv := start(t, nil)
		u := signUp(t, srv, "norefresh")
		before, _ := sessionRowExpiry(t, srv, u.Token)
		srv.Clock.Advance(24*time.Hour + time.Second)
		// zod's coerce.boolean: any non-empty value, "false" too, is true.
		resp := srv.Do("GET", "/get-session?disableRefresh=false", nil, "Cookie", u.Cookie)
		b := wantSessionOf(t, resp, u.UserID)
		wantNoCookies(t, resp)
		if b.Session["expiresAt"] != wire.Time(before) {
			t.Errorf("expiresAt %v changed from %s", b.Session["expiresAt"], wire.Time(before))
		}
	})

	t.Run("dont_remember", func(t *testing.T) {
		srv := start(t, nil)
		resp := srv.Do("POST", "/sign-up/email", map[string]any{"name": "D", "email": authtest.UniqueEmail("dr"), "password": testPassword, "rememberMe": false})
		wantStatus(t, resp, 200)
		cookies := cookiePair(t, resp, sessionCookie) + "; " + cookiePair(t, resp, dontRemember)
		token := resp.JSON(t)["token"].(string)
		before, _ := sessionRowExpiry(t, srv, token)
		srv.Clock.Advance(23 * time.Hour) // expiresAt is now+1h
		resp = getSession(t, srv, "Cookie", cookies)
		b := wantSessionOf(t, resp, resp.JSON(t)["user"].(map[string]any)["id"].(string))
		wantNoCookies(t, resp)
		if b.Session["expiresAt"] != wire.Time(before) {
			t.Errorf("expiresAt %v changed from %s", b.Session["expiresAt"], wire.Time(before))
		}
	})

	t.Run("stale session", func(t *testing.T) {
		srv := start(t, nil)
		u := signUp(t, srv, "stale")
		srv.Clock.Advance(2 * 24 * time.Hour)
		wantError(t, srv.Do("GET", "/list-sessions", nil, authtest.Bearer(u.Token)...), 403, "SESSION_NOT_FRESH", "Session is not fresh")
		// The refresh above moved expiresAt, never createdAt.
		wantError(t, srv.Do("GET", "/list-sessions", nil, authtest.Bearer(u.Token)...), 403, "SESSION_NOT_FRESH", "Session is not fresh")
	})
}

func TestSecureCookies(t *testing.T) {
	srv := start(t, authtest.Env{"AUTHD_BASE_URL": "https://auth.example.com", "AUTHD_TRUSTED_ORIGINS": "https://app.example.com"})

	t.Run("sign-up", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-up/email", map[string]any{"name": "S", "email": authtest.UniqueEmail("secure"), "password": testPassword})
		wantStatus(t, resp, 200)
		token := resp.JSON(t)["token"].(string)
		wantCookies(t, resp, "__Secure-better-auth.session_token="+encode(codec.Sign(token))+"; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax")
		wantSessionOf(t, getSession(t, srv, "Cookie", cookiePair(t, resp, "__Secure-better-auth.session_token")), resp.JSON(t)["user"].(map[string]any)["id"].(string))
	})
	t.Run("unprefixed cookie", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-up/email", map[string]any{"name": "S", "email": authtest.UniqueEmail("unprefixed"), "password": testPassword})
		unprefixed := cookiePair(t, resp, "__Secure-better-auth.session_token")[len("__Secure-"):]
		wantNullSession(t, getSession(t, srv, "Cookie", unprefixed))
	})
	t.Run("sign-out clears secure cookies", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-out", nil)
		wantCookies(t, resp,
			"__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
			"__Secure-better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
			"__Secure-better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax")
	})
}

func TestSignOut(t *testing.T) {
	srv := start(t, nil)

	t.Run("cookie", func(t *testing.T) {
		u := signUp(t, srv, "so1")
		resp := srv.Do("POST", "/sign-out", map[string]any{}, "Cookie", u.Cookie, "Origin", baseURL)
		wantStatus(t, resp, 200)
		if string(resp.Body) != `{"success":true}` {
			t.Errorf("body %s", resp.Body)
		}
		wantCookies(t, resp, clearLines...)
		wantNullSession(t, getSession(t, srv, "Cookie", u.Cookie))
	})
	t.Run("anonymous", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-out", nil)
		wantStatus(t, resp, 200)
		wantCookies(t, resp, clearLines...)
	})
	t.Run("bearer", func(t *testing.T) {
		u := signUp(t, srv, "so3")
		resp := srv.Do("POST", "/sign-out", map[string]any{}, authtest.Bearer(u.Token)...)
		wantStatus(t, resp, 200)
		wantCookies(t, resp, clearLines...)
		if _, ok := sessionRowExpiry(t, srv, u.Token); ok {
			t.Error("session row still exists after sign-out")
		}
	})
	t.Run("untrusted query callbackURL", func(t *testing.T) {
		wantError(t, srv.Do("POST", "/sign-out?callbackURL=https://evil.com", nil), 403, "INVALID_CALLBACK_URL", "Invalid callbackURL")
	})
	t.Run("cookie without Origin", func(t *testing.T) {
		u := signUp(t, srv, "so-origin")
		wantCode(t, srv.Do("POST", "/sign-out", map[string]any{}, "Cookie", u.Cookie), 403, "MISSING_OR_NULL_ORIGIN")
		wantSessionOf(t, getSession(t, srv, "Cookie", u.Cookie), u.UserID)
	})
}

func TestSessionList(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "list")
	second := srv.SignIn(u.Email, testPassword)

	t.Run("list", func(t *testing.T) {
		resp := srv.Do("GET", "/list-sessions", nil, authtest.Bearer(u.Token)...)
		wantStatus(t, resp, 200)
		var sessions []map[string]any
		resp.Decode(t, &sessions)
		tokens := map[any]bool{}
		for _, s := range sessions {
			tokens[s["token"]] = true
		}
		if len(sessions) != 2 || !tokens[u.Token] || !tokens[second] {
			t.Errorf("sessions %s", resp.Body)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		wantError(t, srv.Do("GET", "/list-sessions", nil), 401, "UNAUTHORIZED", "Unauthorized")
	})
}

func TestRevokeSessions(t *testing.T) {
	srv := start(t, nil)

	t.Run("no body", func(t *testing.T) {
		u := signUp(t, srv, "rv1")
		resp := send(t, srv, "POST", "/revoke-session", "", "Authorization", "Bearer "+u.Token)
		wantError(t, resp, 400, "VALIDATION_ERROR", "[body] Invalid input: expected object, received undefined")
	})
	t.Run("unknown token", func(t *testing.T) {
		u := signUp(t, srv, "rv2")
		resp := srv.Do("POST", "/revoke-session", map[string]any{"token": "doesnotexist"}, authtest.Bearer(u.Token)...)
		wantStatus(t, resp, 200)
		if string(resp.Body) != `{"status":true}` {
			t.Errorf("body %s", resp.Body)
		}
	})
	t.Run("token of another user", func(t *testing.T) {
		u, other := signUp(t, srv, "rv2a"), signUp(t, srv, "rv2b")
		wantStatus(t, srv.Do("POST", "/revoke-session", map[string]any{"token": other.Token}, authtest.Bearer(u.Token)...), 200)
		wantSessionOf(t, getSession(t, srv, authtest.Bearer(other.Token)...), other.UserID)
	})
	t.Run("own token", func(t *testing.T) {
		u := signUp(t, srv, "rv3")
		resp := srv.Do("POST", "/revoke-session", map[string]any{"token": u.Token}, authtest.Bearer(u.Token)...)
		wantStatus(t, resp, 200)
		wantNoCookies(t, resp)
		after := getSession(t, srv, "Cookie", u.Cookie)
		wantNullSession(t, after)
		wantCookies(t, after, clearLines...)
	})
	t.Run("other sessions", func(t *testing.T) {
		u := signUp(t, srv, "rv4")
		other := srv.SignIn(u.Email, testPassword)
		wantStatus(t, srv.Do("POST", "/revoke-other-sessions", map[string]any{}, authtest.Bearer(u.Token)...), 200)
		wantNullSession(t, getSession(t, srv, authtest.Bearer(other)...))
		wantSessionOf(t, getSession(t, srv, authtest.Bearer(u.Token)...), u.UserID)
	})
	t.Run("all sessions", func(t *testing.T) {
		u := signUp(t, srv, "rv5")
		other := srv.SignIn(u.Email, testPassword)
		resp := send(t, srv, "POST", "/revoke-sessions", "", "Authorization", "Bearer "+u.Token)
		wantStatus(t, resp, 200)
		wantNoCookies(t, resp)
		wantNullSession(t, getSession(t, srv, authtest.Bearer(u.Token)...))
		wantNullSession(t, getSession(t, srv, authtest.Bearer(other)...))
	})
	t.Run("anonymous", func(t *testing.T) {
		for _, p := range []string{"/revoke-sessions", "/revoke-other-sessions"} {
			wantError(t, srv.Do("POST", p, map[string]any{}), 401, "UNAUTHORIZED", "Unauthorized")
		}
		wantError(t, srv.Do("POST", "/revoke-session", map[string]any{"token": "x"}), 401, "UNAUTHORIZED", "Unauthorized")
	})
}
