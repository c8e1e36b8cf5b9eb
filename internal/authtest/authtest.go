// Package authtest starts a whole authd (core and plugins) on a fresh
// Postgres database for integration tests, with a settable clock and small
// HTTP helpers.
package authtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/testdb"
)

// Secret is the fixed test secret: cookies and signatures in tests are
// reproducible with it.
const Secret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// Clock is a settable clock. The zero value is not usable; use NewClock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Server is a running authd for one test.
type Server struct {
	*httptest.Server
	App   *app.App
	Clock *Clock
	// Base is the URL of the base path, such as http://127.0.0.1:1234/api/auth.
	Base string
	// DatabaseURL is the test database, shared by the package's servers.
	DatabaseURL string
	t           testing.TB
}

// Env lists settings for New as environment variables.
type Env map[string]string

// New starts authd with the test database of the package, rate limiting
// off and the given settings on top. The clock starts at the real time
// unless RealClock is false.
func New(t testing.TB, env Env) *Server {
	t.Helper()
	return NewWithDatabase(t, testdb.New(t), env)
}

// NewWithDatabase is New on a given database (for two replicas on one
// database, or a database that Better Auth created).
func NewWithDatabase(t testing.TB, databaseURL string, env Env) *Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	vars := map[string]string{
		"AUTHD_MODE":            "production",
		"AUTHD_DATABASE_URL":    databaseURL,
		"AUTHD_SECRET":          Secret,
		"AUTHD_BASE_URL":        base,
		"AUTHD_TRUSTED_ORIGINS": "http://localhost:5173",
		"AUTHD_RATE_LIMIT":      "off",
		"AUTHD_DATA_DIR":        t.TempDir(),
	}
	for k, v := range env {
		vars[k] = v
	}
	settings, err := app.LoadSettings(func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("load test settings: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("AUTHD_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.Build(context.Background(), settings, log)
	if err != nil {
		t.Fatalf("build authd: %v", err)
	}
	clock := NewClock(time.Now())
	a.Service.Now = clock.Now
	ts.Config.Handler = a.Handler
	ts.Start()
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.StartBackground(ctx); err != nil {
		t.Fatalf("start background workers: %v", err)
	}
	t.Cleanup(func() {
		ts.Close()
		cancel()
		a.StopBackground(context.Background())
		a.Store.Close()
	})
	return &Server{Server: ts, App: a, Clock: clock, Base: base + settings.Core.BasePath, DatabaseURL: databaseURL, t: t}
}

// Response is a completed request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value; it fails the test on
// invalid JSON.
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Decode decodes the body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode response body: %v: %s", err, r.Body)
	}
}

// Code returns the error code of an error body, or "".
func (r *Response) Code() string {
	var m struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &m)
	return m.Code
}

// Cookies returns the Set-Cookie lines.
func (r *Response) Cookies() []string { return r.Header.Values("Set-Cookie") }

// Do sends a request to a path below the base path. body is encoded as
// JSON unless it is a string or []byte; headers are name, value pairs.
func (s *Server) Do(method, path string, body any, headers ...string) *Response {
	s.t.Helper()
	var reader io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		reader, contentType = strings.NewReader(b), "application/json"
	case []byte:
		reader, contentType = bytes.NewReader(b), "application/json"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("encode request body: %v", err)
		}
		reader, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, s.Base+path, reader)
	if err != nil {
		s.t.Fatalf("build request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	// Redirects are returned, not followed: several endpoints respond with 302
	// and the tests check the Location header.
	client := *s.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("read response: %v", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Bearer returns the header pair for a bearer token.
func Bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// User is a signed-up test user.
type User struct {
	ID       string
	Email    string
	Password string
	Token    string // raw session token
}

// SignUp creates a user with a session and fails the test otherwise.
func (s *Server) SignUp(email, password string) User {
	s.t.Helper()
	resp := s.Do("POST", "/sign-up/email", map[string]any{"name": "Test User", "email": email, "password": password})
	if resp.Status != http.StatusOK {
		s.t.Fatalf("sign-up %s: status %d: %s", email, resp.Status, resp.Body)
	}
	var out struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	resp.Decode(s.t, &out)
	return User{ID: out.User.ID, Email: strings.ToLower(email), Password: password, Token: out.Token}
}

// SignIn returns a new session token and fails the test otherwise.
func (s *Server) SignIn(email, password string) string {
	s.t.Helper()
	resp := s.Do("POST", "/sign-in/email", map[string]any{"email": email, "password": password})
	if resp.Status != http.StatusOK {
		s.t.Fatalf("sign-in %s: status %d: %s", email, resp.Status, resp.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	resp.Decode(s.t, &out)
	return out.Token
}

// Exec runs SQL on the test database, for set-up that has no endpoint.
func (s *Server) Exec(sql string, args ...any) {
	s.t.Helper()
	if _, err := s.App.Store.Pool.Exec(context.Background(), sql, args...); err != nil {
		s.t.Fatalf("exec %q: %v", sql, err)
	}
}

var emailCounter struct {
	sync.Mutex
	n int
}

// UniqueEmail returns an address no other test of the process uses.
func UniqueEmail(prefix string) string {
	emailCounter.Lock()
	defer emailCounter.Unlock()
	emailCounter.n++
	return prefix + "-" + time.Now().Format("150405.000000") + "-" + itoa(emailCounter.n) + "@example.com"
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
