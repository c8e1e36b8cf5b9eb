package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

// Attacks on the core: forged and malformed credentials, hostile input,
// races between sign-in and password changes, enumeration and redirects.

// TestSecurityBearerForgery sends bearer tokens that must never resolve to
// a session, and must never fail the request either.
func TestSecurityBearerForgery(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "bearer")
	other := signUp(t, srv, "bearer-other")
	signed := codec.Sign(u.Token)
	value, sig, _ := strings.Cut(signed, ".")
	flipped := []byte(sig)
	flipped[0] ^= 1
	cases := map[string]string{
		"signature of another token":  u.Token + "." + strings.SplitN(codec.Sign(other.Token), ".", 2)[1],
		"altered signature":           value + "." + string(flipped),
		"empty signature":             u.Token + ".",
		"signature only":              "." + sig,
		"token with extra dot part":   u.Token + ".x." + sig,
		"signature under other key":   u.Token + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"percent-encoded NUL":         u.Token + "%00." + sig,
		"invalid percent escape":      u.Token + "%zz." + sig,
		"invalid UTF-8":               "\xff\xfe",
		"invalid UTF-8 inside":        u.Token[:8] + "\xff" + u.Token[9:],
		"service key prefix only":     "authd_sk_",
		"service key prefix on token": "authd_sk_" + u.Token,
		"very long":                   strings.Repeat("a", 6000),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			resp := send(t, srv, "GET", "/get-session", "", "Authorization", "Bearer "+token)
			if resp.Status == http.StatusUnauthorized && resp.Code() == "INVALID_SERVICE_KEY" {
				return
			}
			wantStatus(t, resp, http.StatusOK)
			if string(resp.Body) != "null" {
				t.Errorf("forged bearer %q resolved to a session: %s", token, resp.Body)
			}
		})
	}
	// The same token is accepted in every signature spelling the bearer
	// plugin tolerates, and nothing else about the header matters.
	good := map[string]string{
		"raw token":          "Bearer " + u.Token,
		"signed":             "Bearer " + signed,
		"percent-encoded":    "Bearer " + url.QueryEscape(signed),
		"lower-case scheme":  "bearer " + u.Token,
		"surrounding blanks": "Bearer   " + u.Token + "  ",
	}
	for name, header := range good {
		t.Run(name, func(t *testing.T) {
			resp := send(t, srv, "GET", "/get-session", "", "Authorization", header)
			wantSessionOf(t, resp, u.UserID)
		})
	}
}

// TestSecurityCookieParsing checks duplicate, quoted and malformed session
// cookies: the first cookie of a name decides, and a forged first cookie
// is never replaced by a valid later one.
func TestSecurityCookieParsing(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "cookie")
	signed := codec.Sign(u.Token)
	forged := sessionCookie + "=" + u.Token + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	cases := []struct {
		name   string
		cookie string
		valid  bool
	}{
		{"plain", sessionCookie + "=" + signed, true},
		{"percent-encoded", sessionCookie + "=" + encode(signed), true},
		{"quoted", sessionCookie + `="` + signed + `"`, true},
		{"forged first", forged + "; " + sessionCookie + "=" + signed, false},
		{"valid first", sessionCookie + "=" + signed + "; " + forged, true},
		{"unsigned token", sessionCookie + "=" + u.Token, false},
		{"NUL escape", sessionCookie + "=%00" + signed, false},
		{"bad escape", sessionCookie + "=%zz" + signed, false},
		{"invalid UTF-8", sessionCookie + "=\xff." + strings.SplitN(signed, ".", 2)[1], false},
		{"name with blanks", " " + sessionCookie + " = " + signed, true},
		{"other prefix", "__Secure-" + sessionCookie + "=" + signed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := send(t, srv, "GET", "/get-session", "", "Cookie", tc.cookie)
			wantStatus(t, resp, http.StatusOK)
			if tc.valid {
				wantSessionOf(t, resp, u.UserID)
			} else if string(resp.Body) != "null" {
				t.Errorf("cookie %q resolved to a session: %s", tc.cookie, resp.Body)
			}
		})
	}
}

// TestSecurityRevokedToken replays tokens after sign-out and revocation.
func TestSecurityRevokedToken(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "revoked")
	second := srv.SignIn(u.Email, testPassword)
	third := srv.SignIn(u.Email, testPassword)

	wantStatus(t, srv.Do("POST", "/sign-out", nil, authtest.Bearer(u.Token)...), http.StatusOK)
	wantStatus(t, srv.Do("POST", "/revoke-session", map[string]any{"token": second}, authtest.Bearer(third)...), http.StatusOK)
	for _, token := range []string{u.Token, second} {
		for _, header := range [][]string{authtest.Bearer(token), {"Cookie", sessionCookie + "=" + encode(codec.Sign(token))}} {
			resp := send(t, srv, "GET", "/get-session", "", header...)
			if string(resp.Body) != "null" {
				t.Errorf("revoked token %s with %s: %d %s", token, header[0], resp.Status, resp.Body)
			}
			if r := send(t, srv, "GET", "/list-sessions", "", header...); r.Status != http.StatusUnauthorized {
				t.Errorf("list-sessions with revoked token: %d %s", r.Status, r.Body)
			}
		}
	}
	// A user cannot revoke another user's session by its token.
	victim := signUp(t, srv, "victim")
	wantStatus(t, srv.Do("POST", "/revoke-session", map[string]any{"token": victim.Token}, authtest.Bearer(third)...), http.StatusOK)
	wantSessionOf(t, getSession(t, srv, authtest.Bearer(victim.Token)...), victim.UserID)
}

// TestSecurityNULInBody sends NUL characters, which Postgres cannot store
// in text, in every kind of field: the response is a 400 that names the
// field, never a 500.
func TestSecurityNULInBody(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "nul")
	cases := []struct {
		path string
		body string
		auth bool
	}{
		{"/sign-up/email", `{"name":"a\u0000b","email":"` + authtest.UniqueEmail("nul") + `","password":"password123"}`, false},
		{"/sign-up/email", `{"name":"n","email":"` + authtest.UniqueEmail("nul") + `","password":"pass\u0000word123"}`, false},
		{"/sign-up/email", `{"name":"n","email":"` + authtest.UniqueEmail("nul") + `","password":"password123","image":"\u0000"}`, false},
		{"/sign-in/email", `{"email":"a@example.com","password":"\u0000"}`, false},
		{"/update-user", `{"name":"\u0000"}`, true},
		{"/update-user", `{"image":"x\u0000"}`, true},
		{"/revoke-session", `{"token":"\u0000"}`, true},
		{"/verify-password", `{"password":"\u0000"}`, true},
		{"/update-user", `{"name":"ok","nested":{"k\u0000":[1]}}`, true},
	}
	for _, tc := range cases {
		headers := []string{"Content-Type", "application/json"}
		if tc.auth {
			headers = append(headers, "Authorization", "Bearer "+u.Token)
		}
		resp := send(t, srv, "POST", tc.path, tc.body, headers...)
		if resp.Status != http.StatusBadRequest || resp.Code() != "VALIDATION_ERROR" {
			t.Errorf("%s %s: %d %s, want 400 VALIDATION_ERROR", tc.path, tc.body, resp.Status, resp.Body)
		}
	}
	// The same with a form body.
	resp := send(t, srv, "POST", "/sign-in/email", "email=a%40example.com&password=%00",
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.Status != http.StatusBadRequest {
		t.Errorf("form body with NUL: %d %s, want 400", resp.Status, resp.Body)
	}
}

// TestSecurityQueryInput sends NUL and invalid UTF-8 in query parameters.
func TestSecurityQueryInput(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "query")
	for _, q := range []string{"disableRefresh=%00", "disableRefresh=%ff", "x=%00", "%00=1", "a=%c0%af"} {
		resp := send(t, srv, "GET", "/get-session?"+q, "", "Authorization", "Bearer "+u.Token)
		if resp.Status != http.StatusBadRequest || resp.Code() != "VALIDATION_ERROR" {
			t.Errorf("query %s: %d %s, want 400 VALIDATION_ERROR", q, resp.Status, resp.Body)
		}
	}
}

// TestSecurityOddJSON sends bodies that are valid JSON of the wrong shape,
// or barely valid: every response is a 4xx with a message.
func TestSecurityOddJSON(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "json")
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	cases := map[string]string{
		"array":             `[]`,
		"string":            `"x"`,
		"null":              `null`,
		"number too large":  `{"email":1e309,"password":"x"}`,
		"negative zero":     `{"email":-0,"password":"x"}`,
		"2^63":              `{"email":9223372036854775808,"password":"x"}`,
		"array for string":  `{"email":["a@example.com"],"password":"x"}`,
		"object for string": `{"email":{"a":1},"password":"x"}`,
		"deeply nested":     `{"email":"a@example.com","password":"x","x":` + deep + `}`,
		"trailing garbage":  `{"email":"a@example.com","password":"x"} {}`,
		"invalid UTF-8":     "{\"email\":\"a@example.com\",\"password\":\"\xff\xfe\"}",
		"lone surrogate":    `{"email":"a@example.com","password":"\ud800"}`,
		"duplicate keys":    `{"email":1,"email":"a@example.com","password":"x"}`,
		"overlong encoding": "{\"email\":\"a\xc0\xaf@example.com\",\"password\":\"x\"}",
		"RTL override":      "{\"email\":\"\u202eamoc.elpmaxe@a\",\"password\":\"x\"}",
	}
	for name, body := range cases {
		resp := send(t, srv, "POST", "/sign-in/email", body, "Content-Type", "application/json")
		if resp.Status < 400 || resp.Status >= 500 {
			t.Errorf("%s: %d %s, want a 4xx", name, resp.Status, resp.Body)
		} else if resp.Status == http.StatusBadRequest && !bytes.Contains(resp.Body, []byte(`"message"`)) {
			t.Errorf("%s: 400 without a message: %s", name, resp.Body)
		}
	}
	// Long strings in every core field are refused with the limit named.
	long := strings.Repeat("a", 100_000)
	for path, body := range map[string]map[string]any{
		"/sign-up/email":  {"name": long, "email": authtest.UniqueEmail("long"), "password": testPassword},
		"/sign-in/email":  {"email": long + "@example.com", "password": testPassword},
		"/update-user":    {"image": long},
		"/revoke-session": {"token": long},
	} {
		resp := srv.Do("POST", path, body, authtest.Bearer(u.Token)...)
		if resp.Status != http.StatusBadRequest || !strings.Contains(string(resp.Body), "Too big") {
			t.Errorf("%s with a 100 000 character field: %d %.200s", path, resp.Status, resp.Body)
		}
	}
	// One byte over the limit is 413; exactly at the limit is read.
	over := `{"email":"a@example.com","password":"` + strings.Repeat("x", 1<<20) + `"}`
	if resp := send(t, srv, "POST", "/sign-in/email", over, "Content-Type", "application/json"); resp.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("body over 1 MiB: %d %.200s", resp.Status, resp.Body)
	}
}

// TestSecuritySignInDuringPasswordChange races password sign-ins with the
// old password against a change-password that revokes other sessions. A
// sign-in that checked the old hash before the change committed must not
// leave a live session behind it.
func TestSecuritySignInDuringPasswordChange(t *testing.T) {
	srv := start(t, nil)
	for round := 0; round < 2; round++ {
		u := signUp(t, srv, "race-pw")
		var stop atomic.Bool
		var wg sync.WaitGroup
		var mu sync.Mutex
		var tokens []string
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					body, status := postJSON(srv, "/sign-in/email", map[string]any{"email": u.Email, "password": testPassword}, "")
					if status == http.StatusOK {
						var out struct{ Token string }
						_ = json.Unmarshal(body, &out)
						mu.Lock()
						tokens = append(tokens, out.Token)
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(150 * time.Millisecond)
		body, status := postJSON(srv, "/change-password", map[string]any{
			"currentPassword": testPassword, "newPassword": "new-password-456", "revokeOtherSessions": true,
		}, u.Token)
		if status != http.StatusOK {
			t.Fatalf("change-password: %d %s", status, body)
		}
		// Sign-ins that started before the change may still be running.
		time.Sleep(300 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		var newToken struct{ Token string }
		_ = json.Unmarshal(body, &newToken)
		var alive int
		if err := srv.App.Store.Pool.QueryRow(context.Background(),
			`SELECT count(*) FROM "session" WHERE "userId" = $1 AND "token" <> $2`, u.UserID, newToken.Token).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if alive != 0 {
			t.Fatalf("round %d: %d sessions from old-password sign-ins (of %d) survived the password change", round, alive, len(tokens))
		}
	}
}

// postJSON posts without Server.Do, which may not be called from other
// goroutines.
func postJSON(srv *authtest.Server, path string, body any, bearer string) ([]byte, int) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", srv.Base+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return []byte(err.Error()), 0
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return out, resp.StatusCode
}

// TestSecuritySignInEnumeration compares answers for a known email with a
// wrong password and an unknown email: same status, body and headers, and
// median times within 25 % of each other.
func TestSecuritySignInEnumeration(t *testing.T) {
	if testing.Short() {
		t.Skip("timing measurement")
	}
	srv := start(t, nil)
	u := signUp(t, srv, "enum")
	unknown := authtest.UniqueEmail("nobody")
	measure := func(email string) (time.Duration, *authtest.Response) {
		var times []time.Duration
		var last *authtest.Response
		for i := 0; i < 11; i++ {
			begin := time.Now()
			last = srv.Do("POST", "/sign-in/email", map[string]any{"email": email, "password": "wrong-password"})
			times = append(times, time.Since(begin))
		}
		return median(times), last
	}
	// Warm up the pool and scrypt.
	measure(unknown)
	known, kr := measure(u.Email)
	missing, mr := measure(unknown)
	t.Logf("sign-in median: known email %v, unknown email %v", known, missing)
	if kr.Status != mr.Status || !bytes.Equal(kr.Body, mr.Body) {
		t.Errorf("answers differ: %d %s vs %d %s", kr.Status, kr.Body, mr.Status, mr.Body)
	}
	if headerNames(kr.Header) != headerNames(mr.Header) {
		t.Errorf("headers differ: %s vs %s", headerNames(kr.Header), headerNames(mr.Header))
	}
	if ratio := float64(known) / float64(missing); ratio < 0.75 || ratio > 1.33 {
		t.Errorf("median times differ by more than a third: known %v, unknown %v", known, missing)
	}
}

// TestSecuritySignUpEnumeration checks enumeration-safe sign-up: a taken
// email gets the same status, body shape and headers as a new one.
func TestSecuritySignUpEnumeration(t *testing.T) {
	if testing.Short() {
		t.Skip("timing measurement")
	}
	srv := start(t, authtest.Env{"AUTHD_REQUIRE_EMAIL_VERIFICATION": "true"})
	taken := authtest.UniqueEmail("taken")
	wantStatus(t, srv.Do("POST", "/sign-up/email", map[string]any{"name": "T", "email": taken, "password": testPassword}), http.StatusOK)
	var takenTimes, newTimes []time.Duration
	var tr, nr *authtest.Response
	for i := 0; i < 9; i++ {
		begin := time.Now()
		tr = srv.Do("POST", "/sign-up/email", map[string]any{"name": "T", "email": taken, "password": testPassword})
		takenTimes = append(takenTimes, time.Since(begin))
		begin = time.Now()
		nr = srv.Do("POST", "/sign-up/email", map[string]any{"name": "T", "email": authtest.UniqueEmail("fresh"), "password": testPassword})
		newTimes = append(newTimes, time.Since(begin))
	}
	tm, nm := median(takenTimes), median(newTimes)
	t.Logf("sign-up median: taken email %v, new email %v", tm, nm)
	if tr.Status != nr.Status || jsonKeys(t, tr.Body) != jsonKeys(t, nr.Body) {
		t.Errorf("answers differ: %d %s vs %d %s", tr.Status, tr.Body, nr.Status, nr.Body)
	}
	if headerNames(tr.Header) != headerNames(nr.Header) {
		t.Errorf("headers differ: %s vs %s", headerNames(tr.Header), headerNames(nr.Header))
	}
	if ratio := float64(tm) / float64(nm); ratio < 0.75 || ratio > 1.33 {
		t.Errorf("median times differ by more than a third: taken %v, new %v", tm, nm)
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// headerNames lists the response header names that could differ between
// answers, without the ones that always vary in value only.
func headerNames(h http.Header) string {
	var names []string
	for k := range h {
		if k != "Date" && k != "X-Request-Id" && k != "Content-Length" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func jsonKeys(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %s", body)
	}
	var keys []string
	for k, v := range m {
		keys = append(keys, k)
		if inner, ok := v.(map[string]any); ok {
			for ik := range inner {
				keys = append(keys, k+"."+ik)
			}
		}
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// TestSecurityCallbackURL sends redirect targets that browsers would take
// to another origin; each is refused before credentials are checked.
func TestSecurityCallbackURL(t *testing.T) {
	srv := start(t, nil)
	evil := []string{
		"//evil.example", `/\evil.example`, "/%2fevil.example", "/%2Fevil.example", "/%5cevil.example",
		`\\evil.example`, "https://evil.example", "HTTPS://EVIL.EXAMPLE", "https://localhost:5173@evil.example",
		"http://localhost:5173.evil.example", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x",
		"http://localhost:5173\\@evil.example", "/\tevil", "/ /evil.example", "http:evil.example", "https:/evil.example",
		"/%09/evil.example", "http://evil.example#http://localhost:5173", "http://[::1]:5173",
		"\x00http://localhost:5173",
	}
	for _, cb := range evil {
		resp := srv.Do("POST", "/sign-in/email", map[string]any{"email": "a@example.com", "password": "x", "callbackURL": cb})
		if resp.Status != http.StatusForbidden && resp.Status != http.StatusBadRequest {
			t.Errorf("callbackURL %q: %d %s, want it refused", cb, resp.Status, resp.Body)
		}
		resp = srv.Do("POST", "/sign-in/email?callbackURL="+url.QueryEscape(cb), map[string]any{"email": "a@example.com", "password": "x"})
		if resp.Status != http.StatusForbidden && resp.Status != http.StatusBadRequest {
			t.Errorf("query callbackURL %q: %d %s, want it refused", cb, resp.Status, resp.Body)
		}
	}
	for _, cb := range []string{"/dashboard", "/a/b?x=1", "http://localhost:5173/after", "HTTP://LOCALHOST:5173/x", "http://localhost:3000/x"} {
		resp := srv.Do("POST", "/sign-in/email", map[string]any{"email": "a@example.com", "password": "x", "callbackURL": cb})
		if resp.Code() != "INVALID_EMAIL_OR_PASSWORD" {
			t.Errorf("trusted callbackURL %q: %d %s, want the credentials checked", cb, resp.Status, resp.Body)
		}
	}
}

// TestSecurityOrigin sends cookie-bearing POSTs with hostile Origin and
// Referer values, and CORS preflights from untrusted origins.
func TestSecurityOrigin(t *testing.T) {
	srv := start(t, nil)
	u := signUp(t, srv, "origin")
	for _, h := range [][]string{
		{"Origin", "http://evil.example"},
		{"Origin", "http://localhost:5173.evil.example"},
		{"Origin", "http://localhost:5173@evil.example"},
		{"Origin", "null"},
		{"Origin", "null", "Sec-Fetch-Site", "cross-site"},
		{"Referer", "http://evil.example/http://localhost:5173"},
		{"Referer", "//localhost:5173"},
		{"Origin", "http://evil.example", "Referer", "http://localhost:5173/"},
	} {
		headers := append([]string{"Cookie", u.Cookie, "Content-Type", "application/json"}, h...)
		resp := send(t, srv, "POST", "/revoke-sessions", "{}", headers...)
		if resp.Status != http.StatusForbidden {
			t.Errorf("cookie POST with %q: %d %s, want 403", h, resp.Status, resp.Body)
		}
	}
	wantSessionOf(t, getSession(t, srv, authtest.Bearer(u.Token)...), u.UserID)
	for _, o := range []string{"http://evil.example", "null", "http://localhost:5173.evil.example"} {
		resp := send(t, srv, "OPTIONS", "/sign-in/email", "", "Origin", o, "Access-Control-Request-Method", "POST")
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("preflight from %q allowed: %d %v", o, resp.Status, resp.Header)
		}
	}
}
