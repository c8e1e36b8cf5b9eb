package emailotp_test

import (
	"net/http"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

func TestSendSignInCode(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	code := s.send(t, alice, "sign-in")

	if len(code) != 6 {
		t.Errorf("code %q has %d digits, want 6", code, len(code))
	}
	s.wantMails(t, 1)
}

func TestSendLowerCasesAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	// readCode checks that the mail goes to the lower-cased address.
	s.send(t, "ALICE@Example.COM", "sign-in")
	s.wantMails(t, 1)
}

func TestSendSignInToNewAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)

	s.send(t, "newbie@example.com", "sign-in")
	s.wantMails(t, 1)
}

func TestSendUnknownAddress(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"email-verification", "forget-password"} {
		t.Run(kind, func(t *testing.T) {
			s := newServer(t, nil)

			resp := s.post("/email-otp/send-verification-otp", map[string]any{"email": ghost, "type": kind})
			wantJSON(t, resp, 200, `{"success":true}`)

			s.wantMails(t, 0)
			resp = s.post("/email-otp/verify-email", map[string]any{"email": ghost, "otp": "000000"})
			wantJSON(t, resp, 400, invalidOTP)
		})
	}
}

func TestSendSignInWithSignUpDisabled(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_EMAIL_OTP_DISABLE_SIGN_UP": "true"})

	resp := s.post("/email-otp/send-verification-otp", map[string]any{"email": ghost, "type": "sign-in"})
	wantJSON(t, resp, 200, `{"success":true}`)
	resp = s.signIn(ghost, "123456")

	wantJSON(t, resp, 400, invalidOTP)
	s.wantMails(t, 0)
}

func TestSendRejects(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		want   string // exact body when set
	}{
		{"malformed address", map[string]any{"email": "not-an-email", "type": "sign-in"}, 400, "", invalidEmail},
		{"leading space", map[string]any{"email": " " + alice, "type": "sign-in"}, 400, "", invalidEmail},
		{"change-email type", map[string]any{"email": alice, "type": "change-email"}, 400, "", `{"message":"Invalid OTP type"}`},
		{"type case", map[string]any{"email": alice, "type": "Sign-In"}, 400, "VALIDATION_ERROR", ""},
		{"missing email", map[string]any{"type": "sign-in"}, 400, "VALIDATION_ERROR", ""},
		{"numeric email", map[string]any{"email": 5, "type": "sign-in"}, 400, "VALIDATION_ERROR", ""},
		{"array body", []any{}, 400, "VALIDATION_ERROR", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.post("/email-otp/send-verification-otp", tc.body)
			if tc.want != "" {
				wantJSON(t, resp, tc.status, tc.want)
			} else {
				wantCode(t, resp, tc.status, tc.code)
			}
		})
	}
	s.wantMails(t, 0)
}

func TestSendFormBody(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)

	resp := s.post("/email-otp/send-verification-otp", "email=a%40b.co&type=sign-in", "Content-Type", "application/x-www-form-urlencoded")

	wantCode(t, resp, 415, "UNSUPPORTED_MEDIA_TYPE")
}

func TestUnroutedPaths(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)

	for _, path := range []string{"/email-otp/send-verification-otp", "/email-otp/get-verification-otp?email=a@b.co&type=sign-in"} {
		resp := s.Do(http.MethodGet, path, nil)
		if resp.Status != 404 || len(resp.Body) != 0 {
			t.Errorf("GET %s = %d %q, want 404 with an empty body", path, resp.Status, resp.Body)
		}
	}
}

func TestSendEightDigits(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_EMAIL_OTP_LENGTH": "8"})
	s.seed(t)

	code := s.send(t, alice, "sign-in")

	if len(code) != 8 {
		t.Fatalf("code %q has %d digits, want 8", code, len(code))
	}
	decodeSignIn(t, s.signIn(alice, code))
}

func TestSendRotatesCode(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)

	first := s.send(t, alice, "email-verification")
	second := s.send(t, alice, "email-verification")
	for first == second { // one chance in a million
		second = s.send(t, alice, "email-verification")
	}

	// The first code stopped working when the second replaced it, and its
	// wrong submission counts against the second.
	resp := s.post("/email-otp/verify-email", map[string]any{"email": alice, "otp": first})
	wantJSON(t, resp, 400, invalidOTP)
	resp = s.post("/email-otp/verify-email", map[string]any{"email": alice, "otp": second})
	if resp.Status != 200 {
		t.Fatalf("verify with the second code: %d %s", resp.Status, resp.Body)
	}
}

func TestSendAfterLockOutGivesNewCode(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_EMAIL_OTP_ALLOWED_ATTEMPTS": "2"})
	s.seed(t)
	first := s.send(t, alice, "email-verification")
	for range 2 {
		resp := s.post("/email-otp/verify-email", map[string]any{"email": alice, "otp": wrong(first)})
		wantJSON(t, resp, 400, invalidOTP)
	}

	second := s.send(t, alice, "email-verification")

	resp := s.post("/email-otp/verify-email", map[string]any{"email": alice, "otp": second})
	if resp.Status != 200 {
		t.Fatalf("verify with the new code: %d %s", resp.Status, resp.Body)
	}
}

func TestSendWithSMTPDown(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	s.SMTP.Stop()

	resp := s.post("/email-otp/send-verification-otp", map[string]any{"email": alice, "type": "sign-in"})

	wantJSON(t, resp, 200, `{"success":true}`)
}

func TestSendWithoutSMTPInProduction(t *testing.T) {
	t.Parallel()
	srv := authtest.New(t, nil)

	for _, tc := range []struct {
		path string
		body any
	}{
		{"/email-otp/send-verification-otp", map[string]any{"email": alice, "type": "sign-in"}},
		{"/email-otp/request-password-reset", map[string]any{"email": alice}},
	} {
		resp := srv.Do(http.MethodPost, tc.path, tc.body)
		wantJSON(t, resp, 400, `{"message":"send email verification is not implemented"}`)
	}
	// Endpoints that only check codes keep working.
	resp := srv.Do(http.MethodPost, "/sign-in/email-otp", map[string]any{"email": alice, "otp": "123456"})
	wantJSON(t, resp, 400, invalidOTP)
}

func TestSendOnSignUp(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_EMAIL_OTP_SEND_ON_SIGN_UP": "true"})

	s.SignUp("carol@example.com", "carol-pass-1")
	code := s.readCode(t, "carol@example.com", "email-verification")

	resp := s.post("/email-otp/verify-email", map[string]any{"email": "carol@example.com", "otp": code})
	if resp.Status != 200 || !s.verified(t, "carol@example.com") {
		t.Fatalf("verify-email after sign-up: %d %s", resp.Status, resp.Body)
	}
}

func TestSendOnSignUpFailedSignUp(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_EMAIL_OTP_SEND_ON_SIGN_UP": "true"})
	s.SignUp("carol@example.com", "carol-pass-1")
	s.readCode(t, "carol@example.com", "email-verification")

	// A second sign-up with the address fails; its transaction, and so its
	// mail, is rolled back.
	resp := s.post("/sign-up/email", map[string]any{"name": "C", "email": "carol@example.com", "password": "carol-pass-2"})

	wantCode(t, resp, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
	s.wantMails(t, 1)
}

func TestSignInRequiresVerification(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_REQUIRE_EMAIL_VERIFICATION": "true"})
	s.seed(t)

	resp := s.post("/sign-in/email", map[string]any{"email": bob, "password": bobPassword})
	wantCode(t, resp, 403, "EMAIL_NOT_VERIFIED")
	code := s.readCode(t, bob, "email-verification")
	resp = s.post("/email-otp/verify-email", map[string]any{"email": bob, "otp": code})
	if resp.Status != 200 {
		t.Fatalf("verify-email: %d %s", resp.Status, resp.Body)
	}

	s.SignIn(bob, bobPassword)
}
