package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/authtest"
)

// The conformance tests run against a whole authd on a real Postgres. The
// settings mirror the Better Auth setup that the expected responses were
// observed with: base URL http://localhost:3000, trusted origin
// http://localhost:5173, production mode and rate limiting off unless a
// case turns it on.

const (
	baseURL        = "http://localhost:3000"
	trustedOrigin  = "http://localhost:5173"
	testPassword   = "password123"
	sessionCookie  = "better-auth.session_token"
	dontRemember   = "better-auth.dont_remember"
	sessionData    = "better-auth.session_data"
	oneWeekSeconds = "604800"
)

// clearLines are the three clearing cookies of a sign-out or of a session
// lookup that found a revoked or expired session.
var clearLines = []string{
	"better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
	"better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
	"better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
}

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

// start runs authd with the reference settings plus env.
func start(t *testing.T, env authtest.Env) *authtest.Server {
	t.Helper()
	vars := authtest.Env{"AUTHD_BASE_URL": baseURL}
	for k, v := range env {
		vars[k] = v
	}
	return authtest.New(t, vars)
}

// codec signs values with the test secret, as authd and Better Auth do.
var codec = auth.NewCookies(authtest.Secret, "better-auth", false, "", "Lax")

// send makes a request with full control of the headers: the body is sent
// as is and no Content-Type is added. A header pair whose value is "-"
// sends the header with an empty value (an empty User-Agent is omitted).
func send(t *testing.T, srv *authtest.Server, method, path, body string, headers ...string) *authtest.Response {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.Base+path, reader)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		value := headers[i+1]
		if value == "-" {
			value = ""
		}
		req.Header.Set(headers[i], value)
	}
	return roundTrip(t, srv, req)
}

func roundTrip(t *testing.T, srv *authtest.Server, req *http.Request) *authtest.Response {
	t.Helper()
	client := *srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	return &authtest.Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// session is a signed-up user as the client sees it.
type session struct {
	UserID string
	Email  string
	Token  string // raw token from the JSON body
	Cookie string // name=value of the session cookie, for a Cookie header
}

func signUp(t *testing.T, srv *authtest.Server, prefix string) session {
	t.Helper()
	email := authtest.UniqueEmail(prefix)
	resp := srv.Do("POST", "/sign-up/email", map[string]any{"name": "Test User", "email": email, "password": testPassword})
	wantStatus(t, resp, http.StatusOK)
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	resp.Decode(t, &out)
	name := sessionCookie
	if setCookie(resp, name) == "" {
		name = "__Secure-" + sessionCookie
	}
	return session{UserID: out.User.ID, Email: strings.ToLower(email), Token: out.Token, Cookie: cookiePair(t, resp, name)}
}

// cookiePair returns name=value of the Set-Cookie line that sets name.
func cookiePair(t *testing.T, resp *authtest.Response, name string) string {
	t.Helper()
	line := setCookie(resp, name)
	if line == "" {
		t.Fatalf("no Set-Cookie for %s in %q", name, resp.Cookies())
	}
	pair, _, _ := strings.Cut(line, ";")
	return pair
}

// setCookie returns the first Set-Cookie line for name, or "".
func setCookie(resp *authtest.Response, name string) string {
	for _, line := range resp.Cookies() {
		if strings.HasPrefix(line, name+"=") {
			return line
		}
	}
	return ""
}

func wantStatus(t *testing.T, resp *authtest.Response, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
}

// wantError checks an error response: status, Content-Type and the exact
// {"message","code"} body (no code when code is empty).
func wantError(t *testing.T, resp *authtest.Response, status int, code, message string) {
	t.Helper()
	wantStatus(t, resp, status)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	body := map[string]string{"message": message}
	if code != "" {
		body["code"] = code
	}
	want, _ := json.Marshal(body)
	var got, wantMap map[string]any
	if err := json.Unmarshal(resp.Body, &got); err != nil {
		t.Fatalf("error body is not JSON: %s", resp.Body)
	}
	_ = json.Unmarshal(want, &wantMap)
	if !jsonEqual(got, wantMap) {
		t.Errorf("body %s, want %s", resp.Body, want)
	}
}

// wantCode checks status and code, ignoring the message.
func wantCode(t *testing.T, resp *authtest.Response, status int, code string) {
	t.Helper()
	wantStatus(t, resp, status)
	if got := resp.Code(); got != code {
		t.Errorf("code %q, want %q; body %s", got, code, resp.Body)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func wantCookies(t *testing.T, resp *authtest.Response, want ...string) {
	t.Helper()
	got := resp.Cookies()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Set-Cookie lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func wantNoCookies(t *testing.T, resp *authtest.Response) {
	t.Helper()
	if c := resp.Cookies(); len(c) > 0 {
		t.Errorf("unexpected Set-Cookie %q", c)
	}
}

// wantNullSession checks a get-session response without a session: the
// four bytes null.
func wantNullSession(t *testing.T, resp *authtest.Response) {
	t.Helper()
	wantStatus(t, resp, http.StatusOK)
	if string(resp.Body) != "null" {
		t.Errorf("body %s, want null", resp.Body)
	}
}

// sessionBody is a get-session response that contains a session.
type sessionBody struct {
	Session map[string]any `json:"session"`
	User    map[string]any `json:"user"`
}

func getSession(t *testing.T, srv *authtest.Server, headers ...string) *authtest.Response {
	t.Helper()
	return srv.Do("GET", "/get-session", nil, headers...)
}

func wantSessionOf(t *testing.T, resp *authtest.Response, userID string) sessionBody {
	t.Helper()
	wantStatus(t, resp, http.StatusOK)
	var b sessionBody
	resp.Decode(t, &b)
	if b.User["id"] != userID {
		t.Fatalf("get-session user %v, want %s; body %s", b.User["id"], userID, resp.Body)
	}
	return b
}

// encode is JavaScript's encodeURIComponent for the characters a signed
// cookie value can hold.
func encode(s string) string {
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(s)
}
