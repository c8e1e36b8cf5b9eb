package apikey_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/apikey"
	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/servicekey"
)

const password = "password-123"

// isoTime is the wire format of every date.
const isoTime = `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`

// fixture is a server with a signed-in user and a service key.
type fixture struct {
	*authtest.Server
	user    authtest.User
	service string
}

func newFixture(t *testing.T, env authtest.Env) *fixture {
	t.Helper()
	srv := authtest.New(t, env)
	return &fixture{Server: srv, user: srv.SignUp(authtest.UniqueEmail("ak"), password), service: serviceKey(t, srv)}
}

func serviceKey(t *testing.T, srv *authtest.Server) string {
	t.Helper()
	_, token, err := servicekey.Create(context.Background(), srv.App.Store.Pool, "test-"+authtest.UniqueEmail("sk"), time.Now())
	if err != nil {
		t.Fatalf("create service key: %v", err)
	}
	return token
}

// asUser sends a request with the fixture user's bearer token.
func (f *fixture) asUser(method, path string, body any) *authtest.Response {
	return f.Do(method, path, body, authtest.Bearer(f.user.Token)...)
}

// asService sends a request with the fixture's service key.
func (f *fixture) asService(method, path string, body any) *authtest.Response {
	return f.Do(method, path, body, authtest.Bearer(f.service)...)
}

// create makes a key for the fixture user as a client and returns the body.
func (f *fixture) create(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	resp := f.asUser("POST", "/api-key/create", body)
	if resp.Status != http.StatusOK {
		t.Fatalf("create API key: %d %s", resp.Status, resp.Body)
	}
	return resp.JSON(t)
}

// serverKey makes a key through the service channel, where server-only
// fields are allowed, for userID (the fixture user when empty).
func (f *fixture) serverKey(t *testing.T, userID string, body map[string]any) (id, key string) {
	t.Helper()
	if userID == "" {
		userID = f.user.ID
	}
	if body == nil {
		body = map[string]any{}
	}
	body["userId"] = userID
	resp := f.asService("POST", "/api-key/create", body)
	if resp.Status != http.StatusOK {
		t.Fatalf("create API key as service: %d %s", resp.Status, resp.Body)
	}
	m := resp.JSON(t)
	return m["id"].(string), m["key"].(string)
}

// verify calls the verify endpoint with the service key.
func (f *fixture) verify(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	resp := f.asService("POST", "/api-key/verify", body)
	if resp.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", resp.Status, resp.Body)
	}
	return resp.JSON(t)
}

// verifyCode verifies key and returns "VALID" or the error code.
func (f *fixture) verifyCode(t *testing.T, key string) string {
	t.Helper()
	out := f.verify(t, map[string]any{"key": key})
	if out["valid"] == true {
		return apikey.CodeValid
	}
	return out["error"].(map[string]any)["code"].(string)
}

// row reads columns of a key's row.
type row struct {
	Hash         string
	Remaining    *int64
	RequestCount *int64
	LastRequest  *time.Time
	LastRefillAt *time.Time
	Enabled      *bool
	Metadata     *string
	Permissions  *string
}

func (f *fixture) row(t *testing.T, id string) (row, bool) {
	t.Helper()
	var r row
	err := f.App.Store.Pool.QueryRow(context.Background(), `SELECT "key", "remaining", "requestCount", "lastRequest",
		"lastRefillAt", "enabled", "metadata", "permissions" FROM "apikey" WHERE "id" = $1`, id).
		Scan(&r.Hash, &r.Remaining, &r.RequestCount, &r.LastRequest, &r.LastRefillAt, &r.Enabled, &r.Metadata, &r.Permissions)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return r, false
		}
		t.Fatalf("read API key %s: %v", id, err)
	}
	return r, true
}

// expectError checks status and code of an error response.
func expectError(t *testing.T, resp *authtest.Response, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Code() != code {
		t.Fatalf("got %d %s, want %d %s", resp.Status, resp.Body, status, code)
	}
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// configEnv is an environment for LoadConfig with only the given settings.
func configEnv(env authtest.Env) *config.Env {
	return config.NewEnv(func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
}

// flush writes the server's counted uses of unlimited keys.
func flush(t *testing.T, srv *authtest.Server) {
	t.Helper()
	if err := apikey.PluginOf(srv.App.Service).Flush(context.Background()); err != nil {
		t.Fatalf("flush use counts: %v", err)
	}
}
