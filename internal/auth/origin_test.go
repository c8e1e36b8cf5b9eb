package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

// Login CSRF: sign-in and sign-up reject cross-site form posts, and every
// state-changing request that carries cookies needs a trusted Origin.
func TestSignInCSRF(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "csrf")
	form := "email=" + u.Email + "&password=" + testPassword
	creds := map[string]any{"email": u.Email, "password": testPassword}

	t.Run("cross-site navigation", func(t *testing.T) {
		resp := send(t, srv, "POST", "/sign-in/email", form, "Content-Type", "application/x-www-form-urlencoded",
			"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate")
		wantError(t, resp, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
			"Cross-site navigation login blocked. This request appears to be a CSRF attack.")
	})
	t.Run("untrusted Origin", func(t *testing.T) {
		wantError(t, srv.Do("POST", "/sign-in/email", creds, "Origin", "https://evil.com"), 403, "INVALID_ORIGIN", "Invalid origin")
	})
	t.Run("untrusted Referer", func(t *testing.T) {
		wantError(t, srv.Do("POST", "/sign-in/email", creds, "Referer", "https://evil.com/page"), 403, "INVALID_ORIGIN", "Invalid origin")
	})
	t.Run("trusted Referer", func(t *testing.T) {
		wantStatus(t, srv.Do("POST", "/sign-in/email", creds, "Referer", "http://localhost:5173/login?x=1"), 200)
	})
	t.Run("fetch metadata without Origin", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-in/email", creds, "Sec-Fetch-Site", "same-origin")
		wantError(t, resp, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	})
	t.Run("cookie with Origin null", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-in/email", creds, "Cookie", "foo=bar", "Origin", "null")
		wantError(t, resp, 403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	})
	// A browser may send "Origin: null" on a same-origin request; the
	// request's Host then replaces the origin and must be trusted.
	t.Run("Origin null on a same-origin request", func(t *testing.T) {
		signOut := func(site string) *authtest.Response {
			req, _ := http.NewRequest("POST", srv.Base+"/sign-out", strings.NewReader("{}"))
			req.Host = "localhost:3000" // the base URL's host
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Cookie", u.Cookie)
			req.Header.Set("Origin", "null")
			req.Header.Set("Sec-Fetch-Site", site)
			return roundTrip(t, srv, req)
		}
		wantStatus(t, signOut("same-origin"), 200)
		wantCode(t, signOut("same-site"), 403, "MISSING_OR_NULL_ORIGIN")
	})
	t.Run("Origin null with an untrusted Host", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-out", map[string]any{}, "Cookie", "a=b", "Origin", "null", "Sec-Fetch-Site", "same-origin")
		wantCode(t, resp, 403, "INVALID_ORIGIN")
	})
	t.Run("no cookie and no Origin", func(t *testing.T) {
		wantStatus(t, srv.Do("POST", "/sign-in/email", creds), 200)
	})
	t.Run("sign-up cross-site navigation", func(t *testing.T) {
		resp := send(t, srv, "POST", "/sign-up/email", "name=X&email=x%40example.com&password=password123",
			"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate")
		wantCode(t, resp, 403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
	})
}

func TestTrustedOriginPatterns(t *testing.T) {
	srv := start(t, authtest.Env{"AUTHD_TRUSTED_ORIGINS": "*.example.com,https://*.trusted.io,myapp://"})
	u := signUp(t, srv, "patterns")
	creds := map[string]any{"email": u.Email, "password": testPassword}

	for _, origin := range []string{"https://app.example.com", "https://a.trusted.io", "myapp://", "http://localhost:3000"} {
		t.Run(""+origin, func(t *testing.T) {
			wantStatus(t, srv.Do("POST", "/sign-in/email", creds, "Origin", origin), 200)
		})
	}
	for _, origin := range []string{"http://a.trusted.io", "http://localhost:3001", "http://localhost:5173"} {
		t.Run(""+origin, func(t *testing.T) {
			wantError(t, srv.Do("POST", "/sign-in/email", creds, "Origin", origin), 403, "INVALID_ORIGIN", "Invalid origin")
		})
	}
}

// Callback fields are checked on every POST, before credentials.
func TestCallbackURLChecks(t *testing.T) {
	srv := start(t, nil)
	cases := []struct {
		name, path string
		body       map[string]any
		status     int
		code, msg  string
	}{
		{"protocol-relative", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "callbackURL": "//evil.com"}, 403, "INVALID_CALLBACK_URL", "Invalid callbackURL"},
		{"backslash", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "callbackURL": `/\evil.com`}, 403, "INVALID_CALLBACK_URL", "Invalid callbackURL"},
		{"fragment", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "callbackURL": "/a#x"}, 403, "INVALID_CALLBACK_URL", "Invalid callbackURL"},
		{"redirectTo", "/request-password-reset", map[string]any{"email": "a@b.co", "redirectTo": "https://evil.com/r"}, 403, "INVALID_REDIRECT_URL", "Invalid redirectURL"},
		{"errorCallbackURL", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "errorCallbackURL": "https://evil.com"}, 403, "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL"},
		{"newUserCallbackURL", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "newUserCallbackURL": "https://evil.com"}, 403, "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL"},
		{"redirectTo number", "/request-password-reset", map[string]any{"email": "a@b.co", "redirectTo": 5}, 400, "", "Invalid redirectURL: expected a string"},
		{"callbackURL true", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "callbackURL": true}, 400, "", "Invalid callbackURL: expected a string"},
		// Falsy values skip the origin check and fail validation instead.
		{"callbackURL false", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "callbackURL": false}, 400, "VALIDATION_ERROR", "[body.callbackURL] Invalid input: expected string, received boolean"},
		{"callbackURL 0", "/sign-in/email", map[string]any{"email": "a@b.co", "password": "x", "callbackURL": 0}, 400, "VALIDATION_ERROR", "[body.callbackURL] Invalid input: expected string, received number"},
		{"empty body callbackURL, query fallback", "/sign-in/email?callbackURL=https://evil.com", map[string]any{"email": "a@b.co", "password": "x", "callbackURL": ""}, 403, "INVALID_CALLBACK_URL", "Invalid callbackURL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, srv.Do("POST", c.path, c.body), c.status, c.code, c.msg)
		})
	}
	t.Run("trusted absolute", func(t *testing.T) {
		resp := srv.Do("POST", "/sign-in/email", map[string]any{"email": "ghost@example.com", "password": "x", "callbackURL": "http://localhost:5173/done"})
		wantCode(t, resp, 401, "INVALID_EMAIL_OR_PASSWORD")
	})
}
