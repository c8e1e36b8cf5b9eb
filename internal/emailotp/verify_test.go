package emailotp_test

import (
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

func check(s *server, email, kind, otp string) *authtest.Response {
	return s.post("/email-otp/check-verification-otp", map[string]any{"email": email, "type": kind, "otp": otp})
}

func TestCheckDoesNotConsume(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.requestReset(t, alice)

	wantJSON(t, check(s, alice, "forget-password", code), 200, `{"success":true}`)
	resp := s.post("/email-otp/reset-password", map[string]any{"email": alice, "otp": code, "password": "new-password-1"})

	wantJSON(t, resp, 200, `{"success":true}`)
}

func TestCheckRightCodeIsNotCounted(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, alice, "sign-in")

	// Two wrong checks and any number of right ones leave one attempt.
	wantJSON(t, check(s, alice, "sign-in", wrong(code)), 400, invalidOTP)
	wantJSON(t, check(s, alice, "sign-in", wrong(code)), 400, invalidOTP)
	for range 3 {
		wantJSON(t, check(s, alice, "sign-in", code), 200, `{"success":true}`)
	}

	decodeSignIn(t, s.signIn(alice, code))
}

func TestCheckSharesAttemptCounter(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, alice, "sign-in")

	for range 3 {
		wantJSON(t, check(s, alice, "sign-in", wrong(code)), 400, invalidOTP)
	}

	wantJSON(t, s.signIn(alice, code), 403, tooManyAttempts)
}

func TestCheckLockOut(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, alice, "sign-in")

	for range 3 {
		wantJSON(t, check(s, alice, "sign-in", wrong(code)), 400, invalidOTP)
	}
	wantJSON(t, check(s, alice, "sign-in", code), 403, tooManyAttempts)

	// Better Auth has deleted the code by now and answers INVALID_OTP; authd
	// keeps the lock until the code expires or a new one is sent.
	wantJSON(t, s.signIn(alice, code), 403, tooManyAttempts)
}

func TestCheckSameAnswerForUnknownAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	known := check(s, alice, "sign-in", "000000")
	unknown := check(s, ghost, "sign-in", "000000")

	wantJSON(t, known, 400, invalidOTP)
	wantJSON(t, unknown, 400, invalidOTP)
}

func TestCheckNewAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	code := s.send(t, "fresh@example.com", "sign-in")

	wantJSON(t, check(s, "fresh@example.com", "sign-in", code), 400, userNotFound)

	decodeSignIn(t, s.signIn("fresh@example.com", code))
}

func TestCheckInvalidEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)

	wantJSON(t, check(s, "bad", "sign-in", "1"), 400, invalidEmail)
}

func TestCheckExpired(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, alice, "sign-in")
	s.Clock.Advance(6 * time.Minute)

	wantJSON(t, check(s, alice, "sign-in", code), 400, otpExpired)
	wantJSON(t, check(s, alice, "sign-in", code), 400, invalidOTP)
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, bob, "email-verification")

	resp := s.post("/email-otp/verify-email", map[string]any{"email": "BOB@example.com", "otp": code})

	out := resp.JSON(t)
	if resp.Status != 200 || out["status"] != true || out["token"] != nil {
		t.Fatalf("verify-email = %d %s", resp.Status, resp.Body)
	}
	if !s.verified(t, bob) {
		t.Errorf("bob is not verified")
	}
	wantJSON(t, s.post("/email-otp/verify-email", map[string]any{"email": bob, "otp": code}), 400, invalidOTP)
}

func TestVerifyEmailAutoSignIn(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_EMAIL_OTP_AUTO_SIGN_IN_AFTER_VERIFICATION": "true"})
	s.seed(t)
	code := s.send(t, bob, "email-verification")

	resp := s.post("/email-otp/verify-email", map[string]any{"email": bob, "otp": code})

	var out struct {
		Status bool   `json:"status"`
		Token  string `json:"token"`
		User   struct {
			EmailVerified bool `json:"emailVerified"`
		} `json:"user"`
	}
	resp.Decode(t, &out)
	if resp.Status != 200 || !out.Status || !sessionToken.MatchString(out.Token) || !out.User.EmailVerified {
		t.Fatalf("verify-email = %d %s", resp.Status, resp.Body)
	}
	if len(resp.Cookies()) != 1 {
		t.Errorf("Set-Cookie = %q, want the session cookie", resp.Cookies())
	}
	if s.session(t, out.Token) == nil {
		t.Errorf("the returned token has no session")
	}
}

func TestVerifyEmailInvalidEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)

	resp := s.post("/email-otp/verify-email", map[string]any{"email": "bob", "otp": "1"})

	wantJSON(t, resp, 400, invalidEmail)
}

func TestVerifyEmailLockOut(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, alice, "email-verification")

	for range 3 {
		wantJSON(t, s.post("/email-otp/verify-email", map[string]any{"email": alice, "otp": wrong(code)}), 400, invalidOTP)
	}

	wantJSON(t, s.post("/email-otp/verify-email", map[string]any{"email": alice, "otp": code}), 403, tooManyAttempts)
}
