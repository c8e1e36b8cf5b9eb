package emailotp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSecurityResetConcurrentReplay sends one reset code many times at
// once, with different new passwords: exactly one reset wins, and the
// password that works afterwards is the winner's.
func TestSecurityResetConcurrentReplay(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.requestReset(t, alice)
	const n = 6
	results := s.parallel(t, n, "/email-otp/reset-password", func(i int) any {
		return map[string]any{"email": alice, "otp": code, "password": "replayed-pass-" + string(rune('a'+i))}
	})
	winner := -1
	for i, r := range results {
		if r.status == http.StatusOK {
			if winner >= 0 {
				t.Fatalf("the code reset the password twice: %v", tally(results))
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no reset succeeded: %v", tally(results))
	}
	s.SignIn(alice, "replayed-pass-"+string(rune('a'+winner)))
}

// TestSecuritySignInDuringReset races password sign-ins with the old
// password against a reset that revokes sessions: no session from the old
// password survives the reset.
func TestSecuritySignInDuringReset(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"AUTHD_EMAIL_OTP_REVOKE_SESSIONS_ON_PASSWORD_RESET": "true"})
	s.seed(t)
	code := s.requestReset(t, alice)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var signedIn atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				data, _ := json.Marshal(map[string]any{"email": alice, "password": alicePassword})
				resp, err := s.Client().Post(s.Base+"/sign-in/email", "application/json", strings.NewReader(string(data)))
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					signedIn.Add(1)
				}
			}
		}()
	}
	time.Sleep(150 * time.Millisecond)
	resp := reset(s, alice, code, "after-reset-1")
	wantJSON(t, resp, 200, `{"success":true}`)
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	var alive int
	if err := s.App.Store.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM "session" s JOIN "user" u ON u."id" = s."userId" WHERE u."email" = $1`, alice).Scan(&alive); err != nil {
		t.Fatal(err)
	}
	if alive != 0 {
		t.Errorf("%d sessions from old-password sign-ins (of %d) survived the reset", alive, signedIn.Load())
	}
}

// TestSecurityHostileEmail sends addresses that Postgres cannot store or
// that try to smuggle mail headers: each is refused with a 400, except by
// request-password-reset, which answers 200 to any string as Better Auth
// does, and no mail is queued.
func TestSecurityHostileEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	for _, email := range []string{
		"a\x00@example.com", "alice@example.com\r\nBcc: evil@example.com", "alice@example.com\nX: y",
		"<alice@example.com>", "alice@example.com, evil@example.com", strings.Repeat("a", 300) + "@example.com",
	} {
		for _, path := range []string{"/email-otp/send-verification-otp", "/email-otp/request-password-reset", "/sign-in/email-otp"} {
			resp := s.post(path, map[string]any{"email": email, "type": "sign-in", "otp": "123456"})
			want := http.StatusBadRequest
			if path == "/email-otp/request-password-reset" && !strings.Contains(email, "\x00") {
				want = http.StatusOK
			}
			if resp.Status != want {
				t.Errorf("%s with %q: %d %s, want %d", path, email, resp.Status, resp.Body, want)
			}
		}
	}
	s.wantMails(t, 0)
}
