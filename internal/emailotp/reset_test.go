package emailotp_test

import (
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

func reset(s *server, email, otp, password string) *authtest.Response {
	return s.post("/email-otp/reset-password", map[string]any{"email": email, "otp": otp, "password": password})
}

func TestRequestPasswordReset(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	s.requestReset(t, alice)

	s.wantMails(t, 1)
}

func TestRequestPasswordResetUnknownAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)

	for _, email := range []string{ghost, "not-an-email", strings.Repeat("x", 300) + "@example.com"} {
		resp := s.post("/email-otp/request-password-reset", map[string]any{"email": email})
		wantJSON(t, resp, 200, `{"success":true}`)
	}

	s.wantMails(t, 0)
}

func TestForgetPasswordDeprecatedPath(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	resp := s.post("/forget-password/email-otp", map[string]any{"email": alice})
	wantJSON(t, resp, 200, `{"success":true}`)
	code := s.readCode(t, alice, "forget-password")

	wantJSON(t, reset(s, alice, code, "new-password-1"), 200, `{"success":true}`)
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.requestReset(t, alice)

	resp := reset(s, alice, code, "long-enough-1")

	wantJSON(t, resp, 200, `{"success":true}`)
	if len(resp.Cookies()) != 0 {
		t.Errorf("reset-password set cookies %q", resp.Cookies())
	}
	s.SignIn(alice, "long-enough-1")
	wantJSON(t, reset(s, alice, code, "long-enough-2"), 400, invalidOTP)
}

func TestResetPasswordLength(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.requestReset(t, alice)

	wantJSON(t, reset(s, alice, code, "short12"), 400, `{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}`)
	wantJSON(t, reset(s, alice, code, strings.Repeat("p", 129)), 400, `{"message":"Password too long","code":"PASSWORD_TOO_LONG"}`)

	// Neither used up the code.
	wantJSON(t, reset(s, alice, code, "long-enough-1"), 200, `{"success":true}`)
}

func TestResetPasswordWithSignInCode(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.send(t, alice, "sign-in")

	wantJSON(t, reset(s, alice, code, "long-enough-1"), 400, invalidOTP)
}

func TestResetPasswordLockOut(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.requestReset(t, alice)

	for range 3 {
		wantJSON(t, reset(s, alice, wrong(code), "long-enough-1"), 400, invalidOTP)
	}

	wantJSON(t, reset(s, alice, code, "long-enough-1"), 403, tooManyAttempts)
}

func TestResetPasswordUnverifiedUser(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	code := s.requestReset(t, bob)

	resp := reset(s, bob, code, "bob-new-pass-1")

	wantJSON(t, resp, 200, `{"success":true}`)
	if len(resp.Cookies()) != 0 {
		t.Errorf("reset-password set cookies %q", resp.Cookies())
	}
	if !s.verified(t, bob) {
		t.Errorf("bob is not verified after the reset")
	}
	s.SignIn(bob, "bob-new-pass-1")
}

func TestResetPasswordWithoutCredentialAccount(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	code := s.send(t, "otp-only@example.com", "sign-in")
	decodeSignIn(t, s.signIn("otp-only@example.com", code))
	code = s.requestReset(t, "otp-only@example.com")

	wantJSON(t, reset(s, "otp-only@example.com", code, "first-password-1"), 200, `{"success":true}`)

	s.SignIn("otp-only@example.com", "first-password-1")
}

func TestResetPasswordKeepsSessions(t *testing.T) {
	t.Parallel()
	for _, revoke := range []bool{false, true} {
		name := map[bool]string{false: "default", true: "revoke"}[revoke]
		t.Run(name, func(t *testing.T) {
			env := authtest.Env{}
			if revoke {
				env["AUTHD_EMAIL_OTP_REVOKE_SESSIONS_ON_PASSWORD_RESET"] = "true"
			}
			s := newServer(t, env)
			s.seed(t)
			token := s.SignIn(alice, alicePassword)
			code := s.requestReset(t, alice)

			wantJSON(t, reset(s, alice, code, "long-enough-1"), 200, `{"success":true}`)

			if alive := s.session(t, token) != nil; alive == revoke {
				t.Errorf("session alive after reset = %v, want %v", alive, !revoke)
			}
		})
	}
}
