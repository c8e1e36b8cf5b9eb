package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/admin"
	"github.com/authd/authd/internal/password"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

// withStdin runs fn with standard input reading content.
func withStdin(t *testing.T, content string, fn func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(content); err != nil {
		t.Fatal(err)
	}
	w.Close()
	saved := os.Stdin
	os.Stdin = r
	defer func() {
		os.Stdin = saved
		r.Close()
	}()
	fn()
}

func TestUserCreatePipedPassword(t *testing.T) {
	url := testdb.New(t)
	t.Setenv("AUTHD_DATABASE_URL", url)
	ctx := context.Background()
	email := "first-admin-" + strings.ToLower(t.Name()) + "@example.com"

	withStdin(t, "first-admin-password\n", func() {
		if err := runUser(ctx, []string{"create", "--email", strings.ToUpper(email), "--name", "First Admin", "--role", "admin"}); err != nil {
			t.Fatalf("user create: %v", err)
		}
	})

	st, err := store.Open(ctx, url, store.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := store.UserByEmail(ctx, st.Pool, email)
	if err != nil {
		t.Fatalf("the new user is not stored: %v", err)
	}
	if u.Role == nil || *u.Role != "admin" || u.Name != "First Admin" {
		t.Fatalf("user: %+v", u)
	}
	account, err := store.CredentialAccount(ctx, st.Pool, u.ID)
	if err != nil {
		t.Fatalf("no credential account: %v", err)
	}
	if ok, err := password.Verify(ctx, *account.Password, "first-admin-password"); err != nil || !ok {
		t.Fatalf("the piped password does not verify: %v %v", ok, err)
	}
	events, err := admin.ListAuditEvents(ctx, st.Pool, admin.AuditFilter{TargetUserID: u.ID})
	if err != nil || len(events) != 1 || events[0].Actor.Type != admin.ActorCLI || events[0].Action != admin.ActionUserCreate {
		t.Fatalf("audit events: %+v, %v", events, err)
	}
	if err := runAudit(ctx, []string{"list", "--target", u.ID, "--since", "1h"}); err != nil {
		t.Fatalf("audit list: %v", err)
	}

	withStdin(t, "another-password\n", func() {
		err := runUser(ctx, []string{"create", "--email", email, "--name", "Again"})
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("duplicate email: %v", err)
		}
	})
}

func TestUserCreateRejectsInput(t *testing.T) {
	t.Setenv("AUTHD_DATABASE_URL", testdb.New(t))
	ctx := context.Background()
	cases := []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"create", "--email", "nope", "--name", "N"}, "password-1\n", "not a valid email address"},
		{[]string{"create", "--email", "a@example.com"}, "password-1\n", "--name is required"},
		{[]string{"create", "--email", "a@example.com", "--name", "N"}, "short\n", "needs between 8 and 128"},
		{[]string{"create", "--email", "a@example.com", "--name", "N"}, "", "standard input is empty"},
		{[]string{"delete"}, "", "usage: authd user create"},
	}
	for _, c := range cases {
		withStdin(t, c.stdin, func() {
			err := runUser(ctx, c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	now, _ := parseSince("2026-01-31T12:00:00Z", testNow)
	if !now.Equal(testNow) {
		t.Errorf("absolute time: %v", now)
	}
	if got, err := parseSince("7d", testNow); err != nil || !got.Equal(testNow.AddDate(0, 0, -7)) {
		t.Errorf("7d: %v %v", got, err)
	}
	if _, err := parseSince("yesterday", testNow); err == nil {
		t.Error("yesterday is accepted")
	}
}

var testNow = mustTime("2026-01-31T12:00:00Z")

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
