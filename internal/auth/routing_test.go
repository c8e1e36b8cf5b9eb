package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

func TestRouting(t *testing.T) {
	srv := start(t, nil)

	t.Run("ok", func(t *testing.T) {
		resp := srv.Do("GET", "/ok", nil)
		wantStatus(t, resp, 200)
		if string(resp.Body) != `{"ok":true}` || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q, body %s", resp.Header.Get("Content-Type"), resp.Body)
		}
	})

	// OPTIONS without a trusted Origin is not a CORS preflight, so it gets
	// Better Auth's 404 (authd responds to preflights of trusted origins).
	for _, c := range []struct{ method, path string }{
		{"GET", "/nope"}, {"GET", "/sign-in/email"}, {"GET", "/ok/"}, {"GET", "//ok"},
		{"OPTIONS", "/sign-in/email"}, {"HEAD", "/ok"}, {"GET", ""}, {"GET", "/"}, {"GET", "/OK"},
		{"PUT", "/update-user"}, {"DELETE", "/sign-out"},
	} {
		t.Run(""+c.method+" "+c.path, func(t *testing.T) {
			resp := send(t, srv, c.method, c.path, "")
			wantStatus(t, resp, 404)
			if len(resp.Body) != 0 || resp.Header.Get("Content-Type") != "" {
				t.Errorf("404 must be bare: Content-Type %q, body %q", resp.Header.Get("Content-Type"), resp.Body)
			}
		})
	}
	t.Run("outside the base path", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/api/other", nil)
		resp := roundTrip(t, srv, req)
		wantStatus(t, resp, 404)
		if len(resp.Body) != 0 {
			t.Errorf("body %q", resp.Body)
		}
	})

	t.Run("delete-user disabled", func(t *testing.T) {
		u := signUp(t, srv, "rt3")
		resp := srv.Do("POST", "/delete-user", map[string]any{}, authtest.Bearer(u.Token)...)
		wantStatus(t, resp, 404)
		if len(resp.Body) != 0 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q, body %q", resp.Header.Get("Content-Type"), resp.Body)
		}
	})
	t.Run("change-email disabled", func(t *testing.T) {
		u := signUp(t, srv, "rt4")
		resp := srv.Do("POST", "/change-email", map[string]any{"newEmail": "d2@example.com"}, authtest.Bearer(u.Token)...)
		wantError(t, resp, 400, "CHANGE_EMAIL_DISABLED", "Change email is disabled")
	})
	t.Run("error page", func(t *testing.T) {
		resp := send(t, srv, "GET", "/error?error=SOME_CODE", "")
		wantStatus(t, resp, 302)
		if resp.Header.Get("Location") != "/?error=SOME_CODE" || len(resp.Body) != 0 {
			t.Errorf("Location %q, body %q", resp.Header.Get("Location"), resp.Body)
		}
		resp = send(t, srv, "GET", "/error?error=%3Cscript%3E", "")
		if resp.Header.Get("Location") != "/?error=UNKNOWN" {
			t.Errorf("Location %q, want the code replaced by UNKNOWN", resp.Header.Get("Location"))
		}
	})

	// Link-based reset and verification are disabled, as in a Better Auth
	// without sendResetPassword and sendVerificationEmail (the reference
	// server's configuration). The Email OTP plugin replaces them.
	t.Run("reset disabled", func(t *testing.T) {
		resp := srv.Do("POST", "/request-password-reset", map[string]any{"email": "ghost@example.com", "redirectTo": "/reset"})
		wantError(t, resp, 400, "RESET_PASSWORD_DISABLED", "Reset password isn't enabled")
	})
	t.Run("verification disabled", func(t *testing.T) {
		resp := srv.Do("POST", "/send-verification-email", map[string]any{"email": "ghost@example.com", "callbackURL": "/verified"})
		wantError(t, resp, 400, "VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled")
	})
}

// CORS is authd's own layer (Better Auth leaves it to the host): trusted
// origins get credentialed CORS headers and preflight responses.
func TestCORS(t *testing.T) {
	srv := start(t, nil)

	t.Run("preflight trusted", func(t *testing.T) {
		resp := send(t, srv, "OPTIONS", "/sign-in/email", "", "Origin", trustedOrigin, "Access-Control-Request-Method", "POST")
		wantStatus(t, resp, 204)
		h := resp.Header
		if h.Get("Access-Control-Allow-Origin") != trustedOrigin || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("headers %v", h)
		}
		if h.Get("Access-Control-Allow-Methods") == "" || h.Get("Access-Control-Allow-Headers") == "" {
			t.Errorf("preflight lacks allowed methods or headers: %v", h)
		}
	})
	t.Run("preflight untrusted", func(t *testing.T) {
		resp := send(t, srv, "OPTIONS", "/sign-in/email", "", "Origin", "https://evil.com", "Access-Control-Request-Method", "POST")
		wantStatus(t, resp, 404)
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("untrusted origin allowed: %v", resp.Header)
		}
	})
	t.Run("actual request", func(t *testing.T) {
		resp := srv.Do("GET", "/ok", nil, "Origin", trustedOrigin)
		if resp.Header.Get("Access-Control-Allow-Origin") != trustedOrigin || resp.Header.Get("Access-Control-Expose-Headers") != "set-auth-token" {
			t.Errorf("headers %v", resp.Header)
		}
	})
	t.Run("sign-in exposes the header once", func(t *testing.T) {
		u := signUp(t, srv, "cors")
		resp := srv.Do("POST", "/sign-in/email", map[string]any{"email": u.Email, "password": testPassword}, "Origin", trustedOrigin)
		wantStatus(t, resp, 200)
		if got := resp.Header.Values("Access-Control-Expose-Headers"); len(got) != 1 || got[0] != "set-auth-token" {
			t.Errorf("Access-Control-Expose-Headers %q", got)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		off := start(t, authtest.Env{"AUTHD_CORS": "false"})
		resp := send(t, off, "OPTIONS", "/sign-in/email", "", "Origin", trustedOrigin, "Access-Control-Request-Method", "POST")
		wantStatus(t, resp, 404)
	})
}

// A signed-cookie vector computed with better-call 1.4.0 and Node's crypto
// for authtest.Secret, replayed against a session row with its token.
const (
	vectorToken        = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
	vectorSetAuthToken = "AbCdEfGhIjKlMnOpQrStUvWxYz012345.2AJAGXZf2tNxvNUH8UyX5XUk4YjV/Q/lvunN3RtheGE="
	vectorCookie       = "better-auth.session_token=AbCdEfGhIjKlMnOpQrStUvWxYz012345.2AJAGXZf2tNxvNUH8UyX5XUk4YjV%2FQ%2FlvunN3RtheGE%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
	vectorSecureCookie = "__Secure-better-auth.session_token=AbCdEfGhIjKlMnOpQrStUvWxYz012345.2AJAGXZf2tNxvNUH8UyX5XUk4YjV%2FQ%2FlvunN3RtheGE%3D; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"
)

func TestCookieVectors(t *testing.T) {
	if got := codec.Sign(vectorToken); got != vectorSetAuthToken {
		t.Fatalf("Sign(%s) = %s, want %s", vectorToken, got, vectorSetAuthToken)
	}
	for _, c := range []struct {
		name, base, line string
	}{
		{"http", baseURL, vectorCookie},
		{"https", "https://auth.example.com", vectorSecureCookie},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := start(t, authtest.Env{"AUTHD_BASE_URL": c.base})
			u := signUp(t, srv, "vector")
			// The row is created due for refresh, so the response re-sets the
			// cookie and shows its bytes.
			now := srv.Clock.Now()
			srv.Exec(`INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
				VALUES ($1, $2, $3, $4, $4, '', '', $5)`, "vector-"+c.name, now.Add(6*24*time.Hour-time.Second), vectorToken, now.Add(-time.Hour), u.UserID)
			pair := c.line[:len(c.line)-len("; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")]
			if c.base != baseURL {
				pair = c.line[:len(c.line)-len("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax")]
			}
			resp := getSession(t, srv, "Cookie", pair)
			wantSessionOf(t, resp, u.UserID)
			wantCookies(t, resp, c.line)
			if resp.Header.Get("set-auth-token") != vectorSetAuthToken {
				t.Errorf("set-auth-token %q", resp.Header.Get("set-auth-token"))
			}
			srv.Exec(`DELETE FROM "session" WHERE "token" = $1`, vectorToken)
		})
	}

	t.Run("cookie cache chunks", func(t *testing.T) {
		srv := start(t, nil)
		resp := srv.Do("POST", "/sign-out", map[string]any{}, "Origin", trustedOrigin,
			"Cookie", "better-auth.session_data=abc; better-auth.session_data.0=x; better-auth.session_data.1=y")
		wantStatus(t, resp, 200)
		wantCookies(t, resp,
			"better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
			"better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
			"better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
			"better-auth.session_data.0=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
			"better-auth.session_data.1=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
			"better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
	})

	t.Run("cookie parsing", func(t *testing.T) {
		srv := start(t, nil)
		u := signUp(t, srv, "parse")
		signed := codec.Sign(u.Token)
		for _, header := range []string{
			sessionCookie + "=" + signed,                                          // raw + / =
			sessionCookie + `="` + encode(signed) + `"`,                           // quoted
			"a=b;  " + sessionCookie + " = " + encode(signed),                     // spaces
			sessionCookie + "=" + encode(signed) + "; " + sessionCookie + "=junk", // first wins
		} {
			wantSessionOf(t, getSession(t, srv, "Cookie", header), u.UserID)
		}
	})
}
