package emailotp_test

import (
	"context"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/emailotp"
	"github.com/authd/authd/internal/mail/smtptest"
)

// waitForFailedAttempt waits until the outbox has tried the only queued
// mail and failed, so that it waits for a retry.
func waitForFailedAttempt(t *testing.T, s *server) {
	t.Helper()
	deadline := time.Now().Add(mailTimeout)
	for time.Now().Before(deadline) {
		var state string
		var attempt int
		err := s.App.Store.Pool.QueryRow(context.Background(),
			`SELECT state, attempt FROM river_job WHERE kind = 'authd_mail'`).Scan(&state, &attempt)
		if err == nil && attempt >= 1 && (state == "retryable" || state == "available") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the outbox did not try the mail within %s", mailTimeout)
}

func TestMailAfterSMTPOutage(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	s.SMTP.Stop()

	resp := s.post("/email-otp/send-verification-otp", map[string]any{"email": alice, "type": "sign-in"})
	wantJSON(t, resp, 200, `{"success":true}`)
	waitForFailedAttempt(t, s)
	s.SMTP.Restart()

	code := s.readCode(t, alice, "sign-in")
	decodeSignIn(t, s.signIn(alice, code))
}

func TestMailAfterRestart(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	databaseURL := freshDatabase(t)
	first := startServer(t, databaseURL, smtp, nil)
	first.seed(t)
	smtp.Stop()
	resp := first.post("/email-otp/send-verification-otp", map[string]any{"email": alice, "type": "sign-in"})
	wantJSON(t, resp, 200, `{"success":true}`)
	waitForFailedAttempt(t, first)

	// The first replica stops before it could deliver; another one starts
	// on the same database once the mail server is back.
	first.Close()
	first.App.StopBackground(context.Background())
	smtp.Restart()
	second := startServer(t, databaseURL, smtp, nil)

	code := second.readCode(t, alice, "sign-in")
	decodeSignIn(t, second.signIn(alice, code))
	// Wait for two more polls of the queue, then count again.
	time.Sleep(2500 * time.Millisecond)
	if n := len(smtp.MessagesTo(alice)); n != 1 {
		t.Errorf("alice got %d mails, want exactly 1", n)
	}
}

func TestMailTwoReplicas(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	databaseURL := freshDatabase(t)
	first := startServer(t, databaseURL, smtp, nil)
	second := startServer(t, databaseURL, smtp, nil)

	const n = 10
	for i := range n {
		target := []*server{first, second}[i%2]
		target.send(t, "newbie@example.com", "sign-in")
	}

	time.Sleep(2500 * time.Millisecond)
	if got := len(smtp.MessagesTo("newbie@example.com")); got != n {
		t.Errorf("delivered %d mails for %d requests, want each exactly once", got, n)
	}
}

func TestCollectors(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	svc := s.App.Service

	withMail, err := emailotp.New(svc, emailotp.LoadConfig(config.NewEnv(func(name string) (string, bool) {
		v, ok := map[string]string{"AUTHD_SMTP_HOST": "127.0.0.1", "AUTHD_SMTP_TLS": "none", "AUTHD_MAIL_FROM": "authd@example.com"}[name]
		return v, ok
	})))
	if err != nil {
		t.Fatalf("build the plugin with SMTP: %v", err)
	}
	withoutMail, err := emailotp.New(svc, emailotp.LoadConfig(config.NewEnv(func(string) (string, bool) { return "", false })))
	if err != nil {
		t.Fatalf("build the plugin without SMTP: %v", err)
	}

	if got := len(withMail.Collectors()); got != 4 {
		t.Errorf("collectors with mail = %d, want the outbox's 4", got)
	}
	if got := withoutMail.Collectors(); got != nil {
		t.Errorf("collectors without mail = %v, want none", got)
	}
}

func TestDevModeLogsMail(t *testing.T) {
	t.Parallel()
	srv := authtest.NewWithDatabase(t, freshDatabase(t), authtest.Env{"AUTHD_MODE": "dev"})

	resp := srv.Do("POST", "/email-otp/send-verification-otp", map[string]any{"email": "dev@example.com", "type": "sign-in"})
	wantJSON(t, resp, 200, `{"success":true}`)

	deadline := time.Now().Add(mailTimeout)
	for time.Now().Before(deadline) {
		var state string
		err := srv.App.Store.Pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE kind = 'authd_mail'`).Scan(&state)
		if err == nil && state == "completed" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the log sender did not complete the mail within %s", mailTimeout)
}
