package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, client *http.Client, url string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body)}
}

func TestHealth(t *testing.T) {
	srv := authtest.New(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		r := get(t, srv.Client(), srv.URL+path)
		if r.status != 200 || r.body != `{"status":"ok"}` || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q %s", path, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
}

func TestReadyWhenMigrationsBehind(t *testing.T) {
	url := testdb.NewEmpty(t)
	if err := store.Migrate(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	srv := authtest.NewWithDatabase(t, url, authtest.Env{"AUTHD_MIGRATE_ON_START": "false"})
	ready := func() response { return get(t, srv.Client(), srv.URL+"/readyz") }
	if r := ready(); r.status != 200 {
		t.Fatalf("ready before the change: %d %s", r.status, r.body)
	}

	srv.Exec(`UPDATE "` + store.MigrationsTable + `" SET "version" = 1`)
	if r := ready(); r.status != 503 || r.body != `{"status":"unavailable","reason":"migrations"}` {
		t.Errorf("older schema: %d %s", r.status, r.body)
	}
	latest, err := store.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	srv.Exec(`UPDATE "`+store.MigrationsTable+`" SET "version" = $1, "dirty" = true`, int64(latest))
	if r := ready(); r.status != 503 || r.body != `{"status":"unavailable","reason":"migrations"}` {
		t.Errorf("dirty schema: %d %s", r.status, r.body)
	}
	srv.Exec(`UPDATE "` + store.MigrationsTable + `" SET "dirty" = false`)
	if r := ready(); r.status != 200 {
		t.Errorf("repaired schema: %d %s", r.status, r.body)
	}
	// Liveness does not depend on the database.
	srv.App.Store.Close()
	if r := ready(); r.status != 503 || r.body != `{"status":"unavailable","reason":"database"}` {
		t.Errorf("closed pool: %d %s", r.status, r.body)
	}
	if r := get(t, srv.Client(), srv.URL+"/healthz"); r.status != 200 {
		t.Errorf("healthz with the database gone: %d", r.status)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// settings returns production settings on the package's test database.
func settings(t *testing.T, extra map[string]string) *app.Settings {
	t.Helper()
	vars := map[string]string{
		"AUTHD_MODE":              "production",
		"AUTHD_DATABASE_URL":      testdb.New(t),
		"AUTHD_SECRET":            authtest.Secret,
		"AUTHD_BASE_URL":          "http://localhost:3000",
		"AUTHD_RATE_LIMIT":        "off",
		"AUTHD_DATA_DIR":          t.TempDir(),
		"AUTHD_LISTEN_ADDR":       freeAddr(t),
		"AUTHD_ADMIN_LISTEN_ADDR": freeAddr(t),
	}
	for k, v := range extra {
		vars[k] = v
	}
	s, err := app.LoadSettings(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A request in flight when the context is cancelled (SIGTERM in cmd/authd)
// still completes. New connections are refused meanwhile, and Run returns
// nil once the request is done.
func TestGracefulShutdown(t *testing.T) {
	s := settings(t, map[string]string{"AUTHD_SHUTDOWN_TIMEOUT": "10s"})
	a, err := app.Build(context.Background(), s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	inner := a.Handler
	a.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("finished"))
			return
		}
		inner.ServeHTTP(w, r)
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	base := "http://" + s.Core.ListenAddr
	waitUntil(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})

	slow := make(chan response, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- response{status: -1, body: err.Error()}
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- response{status: resp.StatusCode, body: string(body)}
	}()
	<-entered
	cancel()
	waitUntil(t, func() bool {
		conn, err := net.DialTimeout("tcp", s.Core.ListenAddr, 100*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before the in-flight request finished", err)
	default:
	}
	close(release)
	if r := <-slow; r.status != 200 || r.body != "finished" {
		t.Errorf("in-flight request: %d %s", r.status, r.body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the last request finished")
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRequestID(t *testing.T) {
	srv := authtest.New(t, authtest.Env{"AUTHD_RATE_LIMIT": "on", "AUTHD_RATE_LIMIT_MAX": "1"})
	idPattern := regexp.MustCompile(`^[0-9a-f]{24}$`)
	paths := []string{"/healthz", "/readyz", "/nope", "/api/auth/ok", "/api/auth/ok", "/api/auth/nope", "/api/auth/get-session"}
	seen := map[string]bool{}
	for _, p := range paths {
		r := get(t, srv.Client(), srv.URL+p)
		id := r.header.Get("X-Request-Id")
		if !idPattern.MatchString(id) || seen[id] {
			t.Errorf("%s (status %d): X-Request-Id %q is not a new random id", p, r.status, id)
		}
		seen[id] = true
	}
	if r := get(t, srv.Client(), srv.URL+"/api/auth/ok", "X-Request-Id", "proxy-id_1.2"); r.header.Get("X-Request-Id") != "proxy-id_1.2" {
		t.Errorf("a valid incoming id is not echoed: %q", r.header.Get("X-Request-Id"))
	}
	for _, bad := range []string{"has space", strings.Repeat("a", 65), "semi;colon"} {
		if r := get(t, srv.Client(), srv.URL+"/healthz", "X-Request-Id", bad); !idPattern.MatchString(r.header.Get("X-Request-Id")) {
			t.Errorf("incoming id %q replaced by %q, want a random one", bad, r.header.Get("X-Request-Id"))
		}
	}
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type panicPlugin struct{}

func (panicPlugin) Mount(r *auth.Router) {
	r.Get("/boom", func(*auth.Context) error { panic("boom in an endpoint") })
}

func TestPanicRecovery(t *testing.T) {
	s := settings(t, nil)
	st, err := store.Open(context.Background(), s.Core.DatabaseURL, store.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logs := &syncBuffer{}
	svc, err := auth.New(s.Core, st, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	svc.Use(panicPlugin{})
	h, _ := svc.Handler(func(r chi.Router) {
		r.Get("/outside", func(http.ResponseWriter, *http.Request) { panic("boom outside the base path") })
	})
	ts := httptest.NewServer(h)
	defer ts.Close()

	for _, path := range []string{"/api/auth/boom", "/outside"} {
		r := get(t, ts.Client(), ts.URL+path)
		if r.status != 500 || r.body != "" || r.header.Get("Content-Type") != "" {
			t.Errorf("%s: %d %q %q, want a bare 500", path, r.status, r.header.Get("Content-Type"), r.body)
		}
		id := r.header.Get("X-Request-Id")
		if id == "" || !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Errorf("%s: the panic is not logged with request id %q: %s", path, id, logs.String())
		}
	}
	// The server keeps serving.
	if r := get(t, ts.Client(), ts.URL+"/api/auth/ok"); r.status != 200 {
		t.Errorf("after the panics: %d", r.status)
	}
}

// No password, token, signed cookie or secret may reach the logs, at any
// level, on any path through the core.
func TestNoSecretsInLogs(t *testing.T) {
	s := settings(t, map[string]string{"AUTHD_LOG_LEVEL": "debug"})
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.Build(context.Background(), s, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Store.Close()
	ts := httptest.NewServer(auth.LogRequests(log)(a.Handler))
	defer ts.Close()

	const pw, newPw = "log-secret-password-1", "log-secret-password-2"
	post := func(path string, body any, headers ...string) (int, http.Header, map[string]any) {
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", ts.URL+"/api/auth"+path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, resp.Header, out
	}

	email := authtest.UniqueEmail("logs")
	status, header, out := post("/sign-up/email", map[string]any{"name": "L", "email": email, "password": pw})
	if status != 200 {
		t.Fatalf("sign-up: %d %v", status, out)
	}
	token, _ := out["token"].(string)
	signed := header.Get("set-auth-token")
	cookie := strings.SplitN(header.Get("Set-Cookie"), ";", 2)[0]

	_, _, out = post("/sign-in/email", map[string]any{"email": email, "password": pw})
	token2, _ := out["token"].(string)
	post("/sign-in/email", map[string]any{"email": email, "password": pw + "-wrong"})
	get(t, ts.Client(), ts.URL+"/api/auth/get-session", "Cookie", cookie)
	get(t, ts.Client(), ts.URL+"/api/auth/get-session", "Authorization", "Bearer "+token2)
	get(t, ts.Client(), ts.URL+"/api/auth/get-session?token="+token2)
	post("/change-password", map[string]any{"currentPassword": pw, "newPassword": newPw}, "Authorization", "Bearer "+token)
	post("/sign-out", map[string]any{}, "Cookie", cookie, "Origin", "http://localhost:3000")

	// A malformed stored hash makes sign-in fail with a logged error.
	bad := authtest.UniqueEmail("logs-bad")
	post("/sign-up/email", map[string]any{"name": "B", "email": bad, "password": pw})
	if _, err := a.Store.Pool.Exec(context.Background(),
		`UPDATE "account" SET "password" = 'broken' FROM "user" u WHERE u."id" = "account"."userId" AND u."email" = $1`, bad); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := post("/sign-in/email", map[string]any{"email": bad, "password": pw}); status != 500 {
		t.Errorf("sign-in with a broken hash: %d", status)
	}

	text := logs.String()
	if !strings.Contains(text, `"msg":"request"`) || !strings.Contains(text, "malformed") {
		t.Fatalf("the log lacks the request lines or the failed sign-in: %s", text)
	}
	for name, secret := range map[string]string{
		"password": pw, "new password": newPw, "token": token, "second token": token2,
		"signed token": signed, "cookie": cookie, "server secret": authtest.Secret,
	} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
}

// With migrations off at start-up, a replica on an unmigrated database
// serves health checks, reports not ready, and becomes ready once the
// migrations are applied, instead of exiting on missing tables.
func TestRunWaitsForMigrations(t *testing.T) {
	dbURL := testdb.NewEmpty(t)
	s := settings(t, map[string]string{
		"AUTHD_DATABASE_URL":     dbURL,
		"AUTHD_MIGRATE_ON_START": "false",
		"AUTHD_SMTP_HOST":        "127.0.0.1",
		"AUTHD_SMTP_PORT":        "2525",
		"AUTHD_SMTP_TLS":         "none",
		"AUTHD_MAIL_FROM":        "authd@example.com",
	})
	a, err := app.Build(context.Background(), s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	base := "http://" + s.Core.ListenAddr
	waitUntil(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	if r := get(t, http.DefaultClient, base+"/readyz"); r.status != http.StatusServiceUnavailable {
		t.Errorf("readyz before migrations = %d, want 503", r.status)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned %v on an unmigrated database", err)
	default:
	}

	if err := app.MigrateUp(context.Background(), dbURL); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { return get(t, http.DefaultClient, base+"/readyz").status == http.StatusOK })

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
