package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/servicekey"
)

// Cross-cutting attacks: service keys, API keys of removed or banned
// users, impersonation replay, and hostile input to plugin endpoints.

const securityOrigin = "http://localhost:5173"

// securityFixture is a server with a plain user, an admin and a service key.
type securityFixture struct {
	srv         *authtest.Server
	user, admin authtest.User
	service     string
}

func newSecurityFixture(t *testing.T, srv *authtest.Server) *securityFixture {
	t.Helper()
	f := &securityFixture{srv: srv}
	f.user = srv.SignUp(authtest.UniqueEmail("sec-user"), "password-123")
	f.admin = srv.SignUp(authtest.UniqueEmail("sec-admin"), "password-123")
	srv.Exec(`UPDATE "user" SET "role" = 'admin' WHERE "id" = $1`, f.admin.ID)
	_, key, err := servicekey.Create(context.Background(), srv.App.Store.Pool, "sec-"+authtest.UniqueEmail("sk"), time.Now())
	if err != nil {
		t.Fatalf("create service key: %v", err)
	}
	f.service = key
	return f
}

// apiKey creates a key for userID through the service channel.
func (f *securityFixture) apiKey(t *testing.T, userID string) string {
	t.Helper()
	resp := f.srv.Do("POST", "/api-key/create", map[string]any{"userId": userID}, authtest.Bearer(f.service)...)
	if resp.Status != http.StatusOK {
		t.Fatalf("create API key: %d %s", resp.Status, resp.Body)
	}
	key, _ := resp.JSON(t)["key"].(string)
	return key
}

// TestSecurityServiceKeyForgery sends near-miss service keys: each is
// refused outright or treated as no credential, never as a backend.
func TestSecurityServiceKeyForgery(t *testing.T) {
	srv := authtest.New(t, nil)
	f := newSecurityFixture(t, srv)
	revokedKey, revoked, err := servicekey.Create(context.Background(), srv.App.Store.Pool, "sec-revoked-"+authtest.UniqueEmail("sk"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := servicekey.Revoke(context.Background(), srv.App.Store.Pool, revokedKey.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"userId": f.user.ID, "remaining": 5}
	refused := map[string][]string{
		"revoked":            authtest.Bearer(revoked),
		"one character more": authtest.Bearer(f.service + "a"),
		"one character less": authtest.Bearer(f.service[:len(f.service)-1]),
		"last one changed":   authtest.Bearer(f.service[:len(f.service)-1] + string(f.service[len(f.service)-1]^1)),
		"prefix only":        authtest.Bearer(servicekey.Prefix),
		"upper-case prefix":  authtest.Bearer(strings.ToUpper(servicekey.Prefix) + f.service[len(servicekey.Prefix):]),
		"invalid UTF-8":      authtest.Bearer(servicekey.Prefix + strings.Repeat("\xff", 48)),
		"in x-api-key":       {"x-api-key", f.service},
		"as Basic":           {"Authorization", "Basic " + f.service},
		"as a cookie":        {"Cookie", "better-auth.session_token=" + f.service},
		"user token":         authtest.Bearer(f.user.Token),
	}
	for name, h := range refused {
		resp := srv.Do("POST", "/api-key/create", body, h...)
		if resp.Status == http.StatusOK || resp.Status >= 500 {
			t.Errorf("%s: create with server-only fields answered %d %s", name, resp.Status, resp.Body)
		}
		resp = srv.Do("POST", "/api-key/verify", map[string]any{"key": "x"}, h...)
		if resp.Status == http.StatusOK || resp.Status >= 500 {
			t.Errorf("%s: verify answered %d %s", name, resp.Status, resp.Body)
		}
	}
	// The genuine key works, with blanks around it too.
	if resp := srv.Do("POST", "/api-key/create", body, "Authorization", "Bearer  "+f.service+" "); resp.Status != http.StatusOK {
		t.Errorf("genuine service key: %d %s", resp.Status, resp.Body)
	}
	// A service key is not a session.
	resp := srv.Do("GET", "/get-session", nil, authtest.Bearer(f.service)...)
	if resp.Status != http.StatusOK || string(resp.Body) != "null" {
		t.Errorf("get-session with a service key: %d %s, want null", resp.Status, resp.Body)
	}
}

// TestSecurityRemovedUserAPIKey removes a user and replays their API key
// and session token.
func TestSecurityRemovedUserAPIKey(t *testing.T) {
	srv := authtest.New(t, nil)
	f := newSecurityFixture(t, srv)
	key := f.apiKey(t, f.user.ID)
	if resp := srv.Do("GET", "/get-session", nil, "x-api-key", key); resp.Status != http.StatusOK || string(resp.Body) == "null" {
		t.Fatalf("key before removal: %d %s", resp.Status, resp.Body)
	}
	if resp := srv.Do("POST", "/admin/remove-user", map[string]any{"userId": f.user.ID}, authtest.Bearer(f.admin.Token)...); resp.Status != http.StatusOK {
		t.Fatalf("remove-user: %d %s", resp.Status, resp.Body)
	}
	for name, h := range map[string][]string{"x-api-key": {"x-api-key", key}, "bearer": authtest.Bearer(f.user.Token)} {
		resp := srv.Do("GET", "/get-session", nil, h...)
		if resp.Status == http.StatusOK && string(resp.Body) != "null" {
			t.Errorf("%s of a removed user still signs in: %s", name, resp.Body)
		}
		resp = srv.Do("GET", "/forward-auth", nil, h...)
		if resp.Status == http.StatusOK {
			t.Errorf("forward-auth admits the %s of a removed user: %s", name, resp.Body)
		}
	}
	resp := srv.Do("POST", "/api-key/verify", map[string]any{"key": key}, authtest.Bearer(f.service)...)
	if valid, _ := resp.JSON(t)["valid"].(bool); valid {
		t.Errorf("verify accepts the key of a removed user: %s", resp.Body)
	}
}

// TestSecurityBanDuringRequests bans a user on one replica while another
// replica serves a stream of their requests: once the ban has returned,
// no credential of the user is accepted anywhere.
func TestSecurityBanDuringRequests(t *testing.T) {
	a := authtest.New(t, nil)
	b := authtest.NewWithDatabase(t, a.DatabaseURL, nil)
	f := newSecurityFixture(t, a)
	key := f.apiKey(t, f.user.ID)

	var banned atomic.Bool
	var late atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, h := range [][]string{authtest.Bearer(f.user.Token), {"x-api-key", key}} {
		wg.Add(1)
		go func(h []string) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				before := banned.Load()
				status, body := rawGet(b, "/get-session", h...)
				if before && status == http.StatusOK && body != "null" {
					late.Add(1)
				}
			}
		}(h)
	}
	time.Sleep(100 * time.Millisecond)
	resp := a.Do("POST", "/admin/ban-user", map[string]any{"userId": f.user.ID}, authtest.Bearer(f.admin.Token)...)
	if resp.Status != http.StatusOK {
		t.Fatalf("ban-user: %d %s", resp.Status, resp.Body)
	}
	banned.Store(true)
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if n := late.Load(); n > 0 {
		t.Errorf("%d requests that started after the ban answered were still served as the user", n)
	}
	// Sign-in with the right password is rejected too.
	if resp := b.Do("POST", "/sign-in/email", map[string]any{"email": f.user.Email, "password": "password-123"}); resp.Status != http.StatusForbidden {
		t.Errorf("sign-in of a banned user: %d %s", resp.Status, resp.Body)
	}
}

func rawGet(srv *authtest.Server, path string, headers ...string) (int, string) {
	req, _ := http.NewRequest("GET", srv.Base+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestSecurityImpersonationReplay replays the cookies of an impersonation
// after stop-impersonating: the impersonation session is dead, and the
// saved admin_session cookie cannot start anything by itself.
func TestSecurityImpersonationReplay(t *testing.T) {
	srv := authtest.New(t, nil)
	f := newSecurityFixture(t, srv)
	adminCookie := "better-auth.session_token=" + signedCookie(t, srv, f.admin.Token)
	resp := srv.Do("POST", "/admin/impersonate-user", map[string]any{"userId": f.user.ID},
		"Cookie", adminCookie, "Origin", securityOrigin)
	if resp.Status != http.StatusOK {
		t.Fatalf("impersonate-user: %d %s", resp.Status, resp.Body)
	}
	impersonation := cookieHeader(resp.Cookies())
	var out struct{ Session struct{ Token string } }
	resp.Decode(t, &out)

	stop := srv.Do("POST", "/admin/stop-impersonating", nil, "Cookie", impersonation, "Origin", securityOrigin)
	if stop.Status != http.StatusOK {
		t.Fatalf("stop-impersonating: %d %s", stop.Status, stop.Body)
	}
	// The old cookies, replayed as they were.
	if r := srv.Do("GET", "/get-session", nil, "Cookie", impersonation); string(r.Body) != "null" {
		t.Errorf("impersonation cookie after stop: %d %s", r.Status, r.Body)
	}
	if r := srv.Do("GET", "/get-session", nil, authtest.Bearer(out.Session.Token)...); string(r.Body) != "null" {
		t.Errorf("impersonation token after stop: %d %s", r.Status, r.Body)
	}
	if r := srv.Do("POST", "/admin/stop-impersonating", nil, "Cookie", impersonation, "Origin", securityOrigin); r.Status == http.StatusOK {
		t.Errorf("second stop-impersonating: %d %s", r.Status, r.Body)
	}
	// The saved admin_session cookie next to the user's own session does
	// not turn the user into the admin.
	adminSession := ""
	for _, part := range strings.Split(impersonation, "; ") {
		if strings.HasPrefix(part, "better-auth.admin_session=") {
			adminSession = part
		}
	}
	userCookie := "better-auth.session_token=" + signedCookie(t, srv, f.user.Token)
	r := srv.Do("POST", "/admin/stop-impersonating", nil, "Cookie", userCookie+"; "+adminSession, "Origin", securityOrigin)
	if r.Status == http.StatusOK {
		t.Errorf("stop-impersonating from the user's own session with the saved admin cookie: %s", r.Body)
	}
}

func signedCookie(t *testing.T, srv *authtest.Server, token string) string {
	t.Helper()
	return strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(srv.App.Service.Cookies.Sign(token))
}

// cookieHeader turns Set-Cookie lines into the Cookie header a browser
// would send next: the last value of each name, expired ones dropped.
func cookieHeader(lines []string) string {
	values := map[string]string{}
	var order []string
	for _, line := range lines {
		pair := strings.SplitN(line, ";", 2)[0]
		name, value, _ := strings.Cut(pair, "=")
		if _, seen := values[name]; !seen {
			order = append(order, name)
		}
		values[name] = value
		if strings.Contains(line, "Max-Age=0") {
			values[name] = ""
		}
	}
	var parts []string
	for _, name := range order {
		if values[name] != "" {
			parts = append(parts, name+"="+values[name])
		}
	}
	return strings.Join(parts, "; ")
}

// TestSecurityPluginInput sends NUL characters and invalid UTF-8 to plugin
// endpoints, in bodies and queries: each is a 400, never a 500.
func TestSecurityPluginInput(t *testing.T) {
	srv := authtest.New(t, nil)
	f := newSecurityFixture(t, srv)
	admin, service := authtest.Bearer(f.admin.Token), authtest.Bearer(f.service)
	posts := []struct {
		path string
		body string
		auth []string
	}{
		{"/sign-in/email-otp", `{"email":"a\u0000@example.com","otp":"123456"}`, nil},
		{"/email-otp/reset-password", `{"email":"\u0000","otp":"1","password":"password-123"}`, nil},
		{"/email-otp/send-verification-otp", `{"email":"a@example.com\u0000","type":"sign-in"}`, nil},
		{"/admin/set-role", `{"userId":"` + f.user.ID + `","role":"a\u0000"}`, admin},
		{"/admin/ban-user", `{"userId":"\u0000"}`, admin},
		{"/admin/ban-user", `{"userId":"` + f.user.ID + `","banReason":"\u0000"}`, admin},
		{"/admin/create-user", `{"email":"` + authtest.UniqueEmail("nul") + `","password":"password-123","name":"\u0000"}`, admin},
		{"/admin/revoke-user-session", `{"sessionToken":"\u0000"}`, admin},
		{"/api-key/create", `{"userId":"\u0000"}`, service},
		{"/api-key/create", `{"name":"a\u0000"}`, authtest.Bearer(f.user.Token)},
		{"/api-key/update", `{"keyId":"\u0000","name":"x"}`, service},
		{"/api-key/verify", `{"key":"x","configId":"\u0000"}`, service},
		{"/api-key/verify", `{"key":"x","permissions":{"a\u0000":["b"]}}`, service},
	}
	for _, p := range posts {
		headers := append([]string{"Content-Type", "application/json"}, p.auth...)
		req, _ := http.NewRequest("POST", srv.Base+p.path, bytes.NewReader([]byte(p.body)))
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		status, body := do(t, srv, req)
		if status != http.StatusBadRequest {
			t.Errorf("POST %s %s: %d %s, want 400", p.path, p.body, status, body)
		}
	}
	for _, q := range []string{
		"/admin/get-user?id=%00", "/admin/get-user?id=%ff", "/admin/list-users?searchValue=%00",
		"/admin/list-users?filterField=role&filterValue=%00&filterOperator=contains",
		"/api-key/get?id=%00", "/api-key/get?id=%c0%af", "/api-key/list?organizationId=%00",
		"/forward-auth?permissions=%00",
	} {
		headers := service
		if strings.HasPrefix(q, "/admin") {
			headers = admin
		}
		resp := srv.Do("GET", q, nil, headers...)
		if resp.Status != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s, want 400", q, resp.Status, resp.Body)
		}
	}
}

func do(t *testing.T, srv *authtest.Server, req *http.Request) (int, string) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestSecurityPluginLimits sends huge values to plugin fields that store
// JSON or list rows: each response is a 4xx or a 200, never a 500, and list
// queries with huge limits and offsets answer promptly.
func TestSecurityPluginLimits(t *testing.T) {
	srv := authtest.New(t, nil)
	f := newSecurityFixture(t, srv)
	service := authtest.Bearer(f.service)
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	for name, body := range map[string]string{
		"huge number in metadata":       `{"userId":"` + f.user.ID + `","metadata":{"n":1e999999}}`,
		"deep metadata":                 `{"userId":"` + f.user.ID + `","metadata":` + deep + `}`,
		"long name":                     `{"userId":"` + f.user.ID + `","name":"` + strings.Repeat("n", 100000) + `"}`,
		"long permission":               `{"userId":"` + f.user.ID + `","permissions":{"r":["` + strings.Repeat("p", 100000) + `"]}}`,
		"many permissions":              `{"userId":"` + f.user.ID + `","permissions":{"r":[` + strings.Repeat(`"p",`, 50000) + `"p"]}}`,
		"remaining 2^63":                `{"userId":"` + f.user.ID + `","remaining":9223372036854775808}`,
		"expiresIn 1e309":               `{"userId":"` + f.user.ID + `","expiresIn":1e309}`,
		"rateLimitTimeWindow -0":        `{"userId":"` + f.user.ID + `","rateLimitTimeWindow":-0}`,
		"array for metadata":            `{"userId":"` + f.user.ID + `","metadata":[1,2]}`,
		"refillInterval 1e308":          `{"userId":"` + f.user.ID + `","refillInterval":1e308,"refillAmount":1}`,
		"rateLimitMax 9007199254740993": `{"userId":"` + f.user.ID + `","rateLimitMax":9007199254740993}`,
	} {
		req, _ := http.NewRequest("POST", srv.Base+"/api-key/create", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", service[1])
		status, resp := do(t, srv, req)
		if status >= 500 {
			t.Errorf("api-key/create with %s: %d %.200s", name, status, resp)
		}
	}
	admin := authtest.Bearer(f.admin.Token)
	for _, q := range []string{
		"limit=1e309", "limit=99999999999999999999", "offset=9223372036854775807", "limit=-5", "offset=-1",
		"limit=1&limit=2", "sortBy=%22name%22;drop", "searchValue=" + strings.Repeat("a", 5000),
	} {
		begin := time.Now()
		resp := srv.Do("GET", "/admin/list-users?"+q, nil, admin...)
		if resp.Status >= 500 || time.Since(begin) > 5*time.Second {
			t.Errorf("list-users?%.60s: %d after %v: %.200s", q, resp.Status, time.Since(begin), resp.Body)
		}
		resp = srv.Do("GET", "/api-key/list?"+q, nil, authtest.Bearer(f.user.Token)...)
		if resp.Status >= 500 {
			t.Errorf("api-key/list?%.60s: %d %.200s", q, resp.Status, resp.Body)
		}
	}
}
