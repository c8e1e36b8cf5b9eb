package emailotp_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

type codeRow struct {
	identifier, value  string
	createdAt, expires time.Time
}

func codeRows(t *testing.T, s *server) []codeRow {
	t.Helper()
	rows, err := s.App.Store.Pool.Query(context.Background(),
		`SELECT "identifier", "value", "createdAt", "expiresAt" FROM "verification" ORDER BY "createdAt"`)
	if err != nil {
		t.Fatalf("read verification rows: %v", err)
	}
	defer rows.Close()
	var out []codeRow
	for rows.Next() {
		var r codeRow
		if err := rows.Scan(&r.identifier, &r.value, &r.createdAt, &r.expires); err != nil {
			t.Fatalf("scan verification row: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// digest is the documented stored form of a code: base64url of
// HMAC-SHA256(key, identifier NUL code), with the key
// HMAC-SHA256(secret, "authd email-otp code digest v1"). Changing it
// invalidates the codes in flight during an upgrade.
func digest(identifier, code string) string {
	k := hmac.New(sha256.New, []byte(authtest.Secret))
	k.Write([]byte("authd email-otp code digest v1"))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte(identifier + "\x00" + code))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestCodeStorage(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	code := s.send(t, alice, "sign-in")

	rows := codeRows(t, s)
	if len(rows) != 1 {
		t.Fatalf("verification rows = %d, want 1", len(rows))
	}
	r := rows[0]
	if r.identifier != "sign-in-otp-alice@example.com" {
		t.Errorf("identifier = %q", r.identifier)
	}
	if want := digest(r.identifier, code) + ":0"; r.value != want {
		t.Errorf("value = %q, want %q", r.value, want)
	}
	if life := r.expires.Sub(r.createdAt); life != 5*time.Minute {
		t.Errorf("lifetime = %v, want 5m", life)
	}

	wantJSON(t, s.signIn(alice, wrong(code)), 400, invalidOTP)
	if got := codeRows(t, s)[0].value; got != digest(r.identifier, code)+":1" {
		t.Errorf("value after a wrong code = %q, want the count 1", got)
	}
	s.send(t, alice, "sign-in")
	if got := codeRows(t, s); len(got) != 1 || got[0].value[len(got[0].value)-2:] != ":0" {
		t.Errorf("rows after a new code = %+v, want one with a fresh count", got)
	}
}

func TestCodeFromBetterAuthRow(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, alice, "sign-in")
	ident := "sign-in-otp-" + alice
	// An older row of the same identifier, as Better Auth leaves them, is
	// never consulted and goes with the newest one.
	s.Exec(`INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
		VALUES ('older', $1, '123456:0', $2, $3, $3)`, ident, s.Clock.Now().Add(time.Minute), s.Clock.Now().Add(-time.Minute))

	decodeSignIn(t, s.signIn(alice, code))

	if rows := codeRows(t, s); len(rows) != 0 {
		t.Errorf("rows after sign-in = %+v, want none", rows)
	}
}

func TestSweep(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	now := s.Clock.Now()
	insert := func(id string, expires time.Time) {
		s.Exec(`INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
			VALUES ($1, $1, 'x:0', $2, $3, $3)`, id, expires, expires.Add(-5*time.Minute))
	}
	insert("long-expired", now.Add(-2*time.Hour))
	insert("just-expired", now.Add(-time.Minute))
	insert("live", now.Add(time.Minute))

	deadline := time.Now().Add(mailTimeout)
	for len(codeRows(t, s)) == 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}

	rows := codeRows(t, s)
	if len(rows) != 2 || rows[0].identifier != "just-expired" || rows[1].identifier != "live" {
		t.Errorf("rows after the sweep = %+v, want just-expired and live", rows)
	}
}
