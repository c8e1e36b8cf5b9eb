package emailotp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/emailotp"
	"github.com/authd/authd/internal/mail"
	"github.com/authd/authd/internal/mail/smtptest"
	"github.com/authd/authd/internal/testdb"
)

// mailTimeout bounds the wait for a queued mail. The outbox usually
// delivers within milliseconds; a retry waits for river's one-second poll.
const mailTimeout = 15 * time.Second

// retryBackoff replaces the outbox's backoff in these tests, so a failed
// send is retried at river's next poll instead of after seconds or hours.
const retryBackoff = 100 * time.Millisecond

// sweepInterval replaces the ten minutes between sweeps of expired codes.
const sweepInterval = 200 * time.Millisecond

// comparisons counts code comparisons per identifier, for the tests that
// check how many guesses a code admitted.
var comparisons = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

func TestMain(m *testing.M) {
	emailotp.SetOutboxOptions(func(o *mail.OutboxOptions) {
		o.Backoff = func(int) time.Duration { return retryBackoff }
	})
	emailotp.SetSweepInterval(sweepInterval)
	emailotp.SetComparedHook(func(ident string) {
		comparisons.Lock()
		comparisons.n[ident]++
		comparisons.Unlock()
	})
	os.Exit(m.Run())
}

func comparedCount(ident string) int {
	comparisons.Lock()
	defer comparisons.Unlock()
	return comparisons.n[ident]
}

// Seed users of the black-box cases.
const (
	alice         = "alice@example.com" // verified, has a password
	alicePassword = "alice-pass-1"
	bob           = "bob@example.com" // unverified, has a password
	bobPassword   = "bob-pass-1"
	ghost         = "ghost@example.com" // no account
)

// server is an authd with its own database and its own SMTP server. Each
// test gets one: every outbox on a database works the same mail queue, so
// two servers on one database would deliver each other's mails.
type server struct {
	*authtest.Server
	SMTP *smtptest.Server
	env  authtest.Env
}

// newServer starts authd on a new database with mail going to a new
// smtptest server, with the given settings on top.
func newServer(t *testing.T, env authtest.Env) *server {
	t.Helper()
	return startServer(t, freshDatabase(t), smtptest.Start(t), env)
}

// startServer starts authd on an existing database and SMTP server, as a
// second replica or a restarted one.
func startServer(t *testing.T, databaseURL string, smtp *smtptest.Server, env authtest.Env) *server {
	t.Helper()
	all := authtest.Env{
		"AUTHD_SMTP_HOST": smtp.Host(),
		"AUTHD_SMTP_PORT": strconv.Itoa(smtp.Port()),
		"AUTHD_SMTP_TLS":  "none",
		"AUTHD_MAIL_FROM": "authd@example.com",
	}
	for k, v := range env {
		all[k] = v
	}
	return &server{Server: authtest.NewWithDatabase(t, databaseURL, all), SMTP: smtp, env: env}
}

// freshDatabase returns an empty database that authd migrates at start-up,
// and drops it when the test ends.
func freshDatabase(t *testing.T) string {
	t.Helper()
	databaseURL := testdb.NewEmpty(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		u, err := url.Parse(databaseURL)
		if err != nil {
			t.Errorf("parse test database URL: %v", err)
			return
		}
		name := strings.TrimPrefix(u.Path, "/")
		conn, err := pgx.Connect(ctx, os.Getenv(testdb.EnvVar))
		if err != nil {
			t.Logf("connect to drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return databaseURL
}

// seed creates alice (verified) and bob (unverified), both with passwords.
func (s *server) seed(t *testing.T) {
	t.Helper()
	s.SignUp(alice, alicePassword)
	s.SignUp(bob, bobPassword)
	s.Exec(`UPDATE "user" SET "emailVerified" = true WHERE "email" = $1`, alice)
}

// post sends a JSON body to a path below the base path.
func (s *server) post(path string, body any, headers ...string) *authtest.Response {
	return s.Do(http.MethodPost, path, body, headers...)
}

// send requests a code and returns it, read from the mail that carries it.
func (s *server) send(t *testing.T, email, kind string) string {
	t.Helper()
	resp := s.post("/email-otp/send-verification-otp", map[string]any{"email": email, "type": kind})
	wantJSON(t, resp, 200, `{"success":true}`)
	return s.readCode(t, email, kind)
}

// requestReset requests a forget-password code and returns it.
func (s *server) requestReset(t *testing.T, email string) string {
	t.Helper()
	resp := s.post("/email-otp/request-password-reset", map[string]any{"email": email})
	wantJSON(t, resp, 200, `{"success":true}`)
	return s.readCode(t, email, "forget-password")
}

// purposes are the subject lines' words for each mail type.
var purposes = map[string]string{
	"sign-in":            "sign-in",
	"email-verification": "verification",
	"forget-password":    "password reset",
	"change-email":       "email change",
}

var codeLine = regexp.MustCompile(`(?m)^    ([0-9]+)$`)

// readCode waits for the next mail to the lower-cased address, checks its
// recipient, subject, type header and both parts, and returns its code.
func (s *server) readCode(t *testing.T, email, kind string) string {
	t.Helper()
	to := strings.ToLower(email)
	m := s.SMTP.WaitFor(t, to, mailTimeout)
	if m.To != to {
		t.Errorf("mail recipient = %q, want %q", m.To, to)
	}
	if got := m.Header.Get(mail.HeaderOTPType); got != kind {
		t.Errorf("mail %s header = %q, want %q", mail.HeaderOTPType, got, kind)
	}
	found := codeLine.FindStringSubmatch(m.Text)
	if found == nil {
		t.Fatalf("mail to %s has no code line in its text part:\n%s", to, m.Text)
	}
	code := found[1]
	if want := code + " is your authd " + purposes[kind] + " code"; m.Subject != want {
		t.Errorf("mail subject = %q, want %q", m.Subject, want)
	}
	if !strings.Contains(m.Text, to) {
		t.Errorf("mail text does not name the address %s:\n%s", to, m.Text)
	}
	if !strings.Contains(m.HTML, ">"+code+"<") {
		t.Errorf("mail HTML part does not contain the code %s:\n%s", code, m.HTML)
	}
	return code
}

// wantMails checks that exactly n mails were queued on the server's
// database and that the SMTP server received them. Mails are queued in the
// request's transaction, so after the responses the queue is complete.
func (s *server) wantMails(t *testing.T, n int) {
	t.Helper()
	var queued int
	err := s.App.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'authd_mail'`).Scan(&queued)
	if err != nil {
		t.Fatalf("count queued mails: %v", err)
	}
	if queued != n {
		t.Errorf("queued mails = %d, want %d", queued, n)
	}
	deadline := time.Now().Add(mailTimeout)
	for len(s.SMTP.Messages()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := len(s.SMTP.Messages()); got != n {
		t.Errorf("delivered mails = %d, want %d", got, n)
	}
}

// signIn signs in with a code and returns the response.
func (s *server) signIn(email, otp string) *authtest.Response {
	return s.post("/sign-in/email-otp", map[string]any{"email": email, "otp": otp})
}

// session returns the get-session body for a bearer token.
func (s *server) session(t *testing.T, token string) map[string]any {
	t.Helper()
	resp := s.Do(http.MethodGet, "/get-session", nil, authtest.Bearer(token)...)
	if resp.Status != 200 {
		t.Fatalf("get-session status %d: %s", resp.Status, resp.Body)
	}
	var out map[string]any
	resp.Decode(t, &out)
	return out
}

// verified reports whether the user with the email has a verified email.
func (s *server) verified(t *testing.T, email string) bool {
	t.Helper()
	var v bool
	err := s.App.Store.Pool.QueryRow(context.Background(), `SELECT "emailVerified" FROM "user" WHERE "email" = $1`, email).Scan(&v)
	if err != nil {
		t.Fatalf("read emailVerified of %s: %v", email, err)
	}
	return v
}

// wrong returns a code of the same length that differs from code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// Error bodies of the plugin.
const (
	invalidOTP      = `{"message":"Invalid OTP","code":"INVALID_OTP"}`
	otpExpired      = `{"message":"OTP expired","code":"OTP_EXPIRED"}`
	tooManyAttempts = `{"message":"Too many attempts","code":"TOO_MANY_ATTEMPTS"}`
	invalidEmail    = `{"message":"Invalid email","code":"INVALID_EMAIL"}`
	userNotFound    = `{"message":"User not found","code":"USER_NOT_FOUND"}`
)

// wantJSON checks the status and that the body equals want as JSON.
func wantJSON(t *testing.T, resp *authtest.Response, status int, want string) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	if !jsonEqual(resp.Body, []byte(want)) {
		t.Fatalf("body = %s, want %s", resp.Body, want)
	}
}

// wantCode checks the status and the error code only.
func wantCode(t *testing.T, resp *authtest.Response, status int, code string) {
	t.Helper()
	if resp.Status != status || resp.Code() != code {
		t.Fatalf("got %d %q, want %d %q; body %s", resp.Status, resp.Code(), status, code, resp.Body)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// signInResult is the body of a successful OTP sign-in.
type signInResult struct {
	Token string `json:"token"`
	User  struct {
		ID            string  `json:"id"`
		Email         string  `json:"email"`
		Name          string  `json:"name"`
		Image         *string `json:"image"`
		EmailVerified bool    `json:"emailVerified"`
	} `json:"user"`
}

func decodeSignIn(t *testing.T, resp *authtest.Response) signInResult {
	t.Helper()
	if resp.Status != 200 {
		t.Fatalf("sign-in status = %d: %s", resp.Status, resp.Body)
	}
	var out signInResult
	resp.Decode(t, &out)
	return out
}

// result is one response of a concurrent request.
type result struct {
	status int
	body   string
}

// parallel sends n POST requests at once, released together, and returns
// their results. It does not use Server.Do, which may stop the test from
// another goroutine.
func (s *server) parallel(t *testing.T, n int, path string, body func(i int) any) []result {
	t.Helper()
	results := make([]result, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		data, err := json.Marshal(body(i))
		if err != nil {
			t.Fatalf("encode request body: %v", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := s.Client().Post(s.Base+path, "application/json", bytes.NewReader(data))
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			results[i], errs[i] = result{resp.StatusCode, string(b)}, err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	return results
}

// tally counts results by "<status> <body>".
func tally(results []result) map[string]int {
	counts := map[string]int{}
	for _, r := range results {
		counts[fmt.Sprintf("%d %s", r.status, r.body)]++
	}
	return counts
}
