package auth_test

import (
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

// postEndpoints are the core POST endpoints with the media types they
// accept, in the order the 415 message lists them.
var postEndpoints = []struct {
	path    string
	allowed string
}{
	{"/sign-up/email", "application/x-www-form-urlencoded, application/json"},
	{"/sign-in/email", "application/x-www-form-urlencoded, application/json"},
	{"/sign-out", "application/json"},
	{"/get-session", "application/json"},
	{"/revoke-session", "application/json"},
	{"/revoke-sessions", "application/json"},
	{"/revoke-other-sessions", "application/json"},
	{"/update-user", "application/json"},
	{"/change-password", "application/json"},
	{"/verify-password", "application/json"},
	{"/update-session", "application/json"},
	{"/change-email", "application/json"},
	{"/delete-user", "application/json"},
	{"/request-password-reset", "application/json"},
	{"/send-verification-email", "application/json"},
}

type badInput struct {
	name    string
	path    string
	body    string
	headers []string
	status  int
	code    string
	message string
}

// TestBadInput sends malformed, mistyped, oversized and cross-site requests
// to every core endpoint. Each response must carry the documented status, code
// and message, and no request may reach the handler.
func TestBadInput(t *testing.T) {
	const limit = 2048
	srv := start(t, authtest.Env{"AUTHD_MAX_BODY_BYTES": "2048"})
	u := signUp(t, srv, "badinput")
	bearer := []string{"Authorization", "Bearer " + u.Token}
	jsonType := []string{"Content-Type", "application/json"}

	var cases []badInput
	oversized := `{"pad":"` + strings.Repeat("x", limit) + `"}`
	for _, e := range postEndpoints {
		cases = append(cases,
			badInput{"malformed JSON", e.path, `{"a":`, jsonType, 400, "BAD_REQUEST", "Invalid JSON in request body"},
			badInput{"trailing data", e.path, `{"a":1} x`, jsonType, 400, "BAD_REQUEST", "Invalid JSON in request body"},
			badInput{"oversized", e.path, oversized, jsonType, 413, "PAYLOAD_TOO_LARGE", "Request body is larger than the limit of 2048 bytes"},
			badInput{"text/plain", e.path, `{}`, []string{"Content-Type", "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE",
				`Content-Type "text/plain" is not allowed. Allowed types: ` + e.allowed},
			badInput{"vendor JSON type", e.path, `{}`, []string{"Content-Type", "application/vnd.api+json"}, 415, "UNSUPPORTED_MEDIA_TYPE",
				`Content-Type "application/vnd.api+json" is not allowed. Allowed types: ` + e.allowed},
			badInput{"no Content-Type", e.path, `{}`, nil, 415, "UNSUPPORTED_MEDIA_TYPE",
				"Content-Type is required. Allowed types: " + e.allowed},
			badInput{"untrusted Origin with cookie", e.path, `{}`, []string{"Content-Type", "application/json", "Cookie", u.Cookie,
				"Origin", "https://evil.com"}, 403, "INVALID_ORIGIN", "Invalid origin"},
			badInput{"cookie without Origin", e.path, `{}`, []string{"Content-Type", "application/json", "Cookie", u.Cookie},
				403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin"},
		)
	}

	// Schema failures: validation runs before authentication, so these are
	// sent without credentials and still get 400.
	v := func(path, body, message string) badInput {
		return badInput{"validation " + body, path, body, jsonType, 400, "VALIDATION_ERROR", message}
	}
	cases = append(cases,
		v("/sign-up/email", `null`, "[body] Invalid input: expected object, received null; [body] Invalid input: expected record, received null"),
		v("/sign-up/email", `[]`, "[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array"),
		v("/sign-up/email", `{"name":1,"email":"a@b.co","password":"password123"}`, "[body.name] Invalid input: expected string, received number"),
		v("/sign-up/email", `{"name":"A","email":"a@b.co","password":"password123","image":null}`, "[body.image] Invalid input: expected string, received null"),
		v("/sign-up/email", `{"name":"A","email":"a@b.co","password":"password123","rememberMe":"false"}`, "[body.rememberMe] Invalid input: expected boolean, received string"),
		v("/sign-up/email", `{}`, "[body.name] Invalid input: expected string, received undefined; [body.email] Invalid input: expected string, received undefined; [body.password] Invalid input: expected string, received undefined"),
		v("/sign-up/email", `{"name":"A","email":" a@b.co","password":"password123"}`, "[body.email] Invalid email address"),
		v("/sign-in/email", `{}`, "[body.email] Invalid input: expected string, received undefined; [body.password] Invalid input: expected string, received undefined"),
		v("/sign-in/email", `{"email":true,"password":"x"}`, "[body.email] Invalid input: expected string, received boolean"),
		v("/sign-in/email", `{"email":"a@b.co","password":["x"]}`, "[body.password] Invalid input: expected string, received array"),
		v("/sign-in/email", `{"email":"a@b.co","password":"x","rememberMe":1}`, "[body.rememberMe] Invalid input: expected boolean, received number"),
		v("/sign-in/email", `"text"`, "[body] Invalid input: expected object, received string"),
		v("/sign-out", `[]`, "[body] Invalid input: expected object, received array"),
		v("/sign-out", `{"disableRedirect":"yes"}`, "[body.disableRedirect] Invalid input: expected boolean, received string"),
		v("/revoke-session", `{}`, "[body.token] Invalid input: expected string, received undefined"),
		v("/revoke-session", `{"token":null}`, "[body.token] Invalid input: expected string, received null"),
		v("/update-user", `[]`, "[body] Invalid input: expected record, received array"),
		v("/update-user", `null`, "[body] Invalid input: expected record, received null"),
		// Better Auth stores any value for name, but authd requires a string.
		v("/update-user", `{"name":5}`, "[body.name] Invalid input: expected string, received number"),
		v("/change-password", `{"newPassword":"x","currentPassword":"y","revokeOtherSessions":"true"}`, "[body.revokeOtherSessions] Invalid input: expected boolean, received string"),
		v("/change-password", `{}`, "[body.newPassword] Invalid input: expected string, received undefined; [body.currentPassword] Invalid input: expected string, received undefined"),
		v("/verify-password", `{"password":null}`, "[body.password] Invalid input: expected string, received null"),
		v("/update-session", `[]`, "[body] Invalid input: expected record, received array"),
		v("/change-email", `{"newEmail":"bad"}`, "[body.newEmail] Invalid email address"),
		v("/delete-user", `{"password":1}`, "[body.password] Invalid input: expected string, received number"),
		v("/request-password-reset", `{"email":"a@localhost"}`, "[body.email] Invalid email address"),
		v("/send-verification-email", `{"email":1}`, "[body.email] Invalid input: expected string, received number"),
	)

	// Absent bodies: an endpoint with a required body reports the missing
	// body, even when the Content-Type is wrong.
	cases = append(cases,
		badInput{"absent body", "/revoke-session", "", bearer, 400, "VALIDATION_ERROR", "[body] Invalid input: expected object, received undefined"},
		badInput{"absent body", "/update-user", "", bearer, 400, "VALIDATION_ERROR", "[body] Invalid input: expected record, received undefined"},
		badInput{"absent body", "/change-password", "", bearer, 400, "VALIDATION_ERROR", "[body] Invalid input: expected object, received undefined"},
		badInput{"absent body with text/plain", "/sign-in/email", "", []string{"Content-Type", "text/plain"}, 400, "VALIDATION_ERROR",
			"[body] Invalid input: expected object, received undefined"},
	)

	// Form values are strings, so a form rememberMe fails the boolean check.
	cases = append(cases, badInput{"form rememberMe", "/sign-in/email", "email=a%40b.co&password=x&rememberMe=false",
		[]string{"Content-Type", "application/x-www-form-urlencoded"}, 400, "VALIDATION_ERROR",
		"[body.rememberMe] Invalid input: expected boolean, received string"})

	for _, c := range cases {
		t.Run(c.path+" "+c.name, func(t *testing.T) {
			resp := send(t, srv, "POST", c.path, c.body, c.headers...)
			wantError(t, resp, c.status, c.code, c.message)
			wantNoCookies(t, resp)
		})
	}

	// Better Auth reads the body as text first, which drops a byte order
	// mark, and declares no body for the revoke-all endpoints.
	t.Run("byte order mark", func(t *testing.T) {
		resp := send(t, srv, "POST", "/sign-in/email", "\xef\xbb\xbf"+`{"email":"ghost@example.com","password":"x"}`, jsonType...)
		wantCode(t, resp, 401, "INVALID_EMAIL_OR_PASSWORD")
	})
	t.Run("revoke-other-sessions ignores the body", func(t *testing.T) {
		for _, body := range []string{`5`, `[]`, `null`, `"x"`} {
			wantStatus(t, send(t, srv, "POST", "/revoke-other-sessions", body, append(jsonType, bearer...)...), 200)
		}
	})

	t.Run("session survives", func(t *testing.T) {
		wantSessionOf(t, getSession(t, srv, bearer...), u.UserID)
	})
}

// The default body limit is 1 MiB.
func TestBodyLimitDefault(t *testing.T) {
	srv := start(t, nil)
	const mib = 1 << 20
	pad := func(total int) string {
		prefix, suffix := `{"email":"a@b.co","password":"x","pad":"`, `"}`
		return prefix + strings.Repeat("x", total-len(prefix)-len(suffix)) + suffix
	}
	resp := send(t, srv, "POST", "/sign-in/email", pad(mib), "Content-Type", "application/json")
	wantCode(t, resp, 401, "INVALID_EMAIL_OR_PASSWORD")
	resp = send(t, srv, "POST", "/sign-in/email", pad(mib+1), "Content-Type", "application/json")
	wantError(t, resp, 413, "PAYLOAD_TOO_LARGE", "Request body is larger than the limit of 1048576 bytes")
}
