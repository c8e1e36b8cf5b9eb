package emailotp_test

import (
	"testing"

	"github.com/authd/authd/internal/authtest"
)

var changeEmailOn = authtest.Env{"AUTHD_EMAIL_OTP_CHANGE_EMAIL": "true"}

func TestRequestEmailChangeWithoutSession(t *testing.T) {
	t.Parallel()
	s := newServer(t, changeEmailOn)

	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": "alice2@example.com"})

	wantJSON(t, resp, 401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`)
}

func TestChangeEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t, changeEmailOn)
	s.seed(t)
	token := s.SignIn(alice, alicePassword)

	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": "Alice2@example.com"}, authtest.Bearer(token)...)
	wantJSON(t, resp, 200, `{"success":true}`)
	code := s.readCode(t, "alice2@example.com", "change-email")
	resp = s.post("/email-otp/change-email", map[string]any{"newEmail": "alice2@example.com", "otp": code}, authtest.Bearer(token)...)

	wantJSON(t, resp, 200, `{"success":true}`)
	if len(resp.Cookies()) != 1 {
		t.Errorf("Set-Cookie = %q, want the session cookie again", resp.Cookies())
	}
	user := s.session(t, token)["user"].(map[string]any)
	if user["email"] != "alice2@example.com" || user["emailVerified"] != true {
		t.Errorf("session user = %v, want alice2@example.com, verified", user)
	}
}

func TestChangeEmailCodeIsBoundToBothAddresses(t *testing.T) {
	t.Parallel()
	s := newServer(t, changeEmailOn)
	s.seed(t)
	aliceToken := s.SignIn(alice, alicePassword)
	bobToken := s.SignIn(bob, bobPassword)
	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": "alice2@example.com"}, authtest.Bearer(aliceToken)...)
	wantJSON(t, resp, 200, `{"success":true}`)
	code := s.readCode(t, "alice2@example.com", "change-email")

	other := s.post("/email-otp/change-email", map[string]any{"newEmail": "alice3@example.com", "otp": code}, authtest.Bearer(aliceToken)...)
	stolen := s.post("/email-otp/change-email", map[string]any{"newEmail": "alice2@example.com", "otp": code}, authtest.Bearer(bobToken)...)

	wantJSON(t, other, 400, invalidOTP)
	wantJSON(t, stolen, 400, invalidOTP)
}

func TestRequestEmailChangeSameAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, changeEmailOn)
	s.seed(t)
	token := s.SignIn(alice, alicePassword)

	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": "ALICE@example.com"}, authtest.Bearer(token)...)

	wantJSON(t, resp, 400, `{"message":"Email is the same"}`)
}

func TestRequestEmailChangeTakenAddress(t *testing.T) {
	t.Parallel()
	s := newServer(t, changeEmailOn)
	s.seed(t)
	token := s.SignIn(alice, alicePassword)

	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": bob}, authtest.Bearer(token)...)

	wantJSON(t, resp, 200, `{"success":true}`)
	s.wantMails(t, 0)
}

func TestRequestEmailChangeDisabled(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	token := s.SignIn(alice, alicePassword)

	for _, path := range []string{"/email-otp/request-email-change", "/email-otp/change-email"} {
		resp := s.post(path, map[string]any{"newEmail": "alice2@example.com", "otp": "123456"}, authtest.Bearer(token)...)
		wantJSON(t, resp, 400, `{"message":"Change email with OTP is disabled"}`)
	}
}

func TestRequestEmailChangeInvalidEmail(t *testing.T) {
	t.Parallel()
	s := newServer(t, changeEmailOn)
	s.seed(t)
	token := s.SignIn(alice, alicePassword)

	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": "nope"}, authtest.Bearer(token)...)

	wantJSON(t, resp, 400, invalidEmail)
}

func TestChangeEmailTakenMeanwhile(t *testing.T) {
	t.Parallel()
	s := newServer(t, changeEmailOn)
	s.seed(t)
	token := s.SignIn(alice, alicePassword)
	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": "alice2@example.com"}, authtest.Bearer(token)...)
	wantJSON(t, resp, 200, `{"success":true}`)
	code := s.readCode(t, "alice2@example.com", "change-email")
	s.SignUp("alice2@example.com", "someone-else-1")

	resp = s.post("/email-otp/change-email", map[string]any{"newEmail": "alice2@example.com", "otp": code}, authtest.Bearer(token)...)

	wantJSON(t, resp, 400, `{"message":"Email already in use"}`)
}

func TestRequestEmailChangeVerifyCurrent(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_EMAIL_OTP_CHANGE_EMAIL": "true", "AUTHD_EMAIL_OTP_CHANGE_EMAIL_VERIFY_CURRENT": "true"})
	s.seed(t)
	token := s.SignIn(alice, alicePassword)

	resp := s.post("/email-otp/request-email-change", map[string]any{"newEmail": "alice2@example.com"}, authtest.Bearer(token)...)
	wantJSON(t, resp, 400, `{"message":"OTP is required to verify current email"}`)
	resp = s.post("/email-otp/request-email-change", map[string]any{"newEmail": "alice2@example.com", "otp": "000000"}, authtest.Bearer(token)...)
	wantJSON(t, resp, 400, invalidOTP)

	current := s.send(t, alice, "email-verification")
	resp = s.post("/email-otp/request-email-change", map[string]any{"newEmail": "alice2@example.com", "otp": current}, authtest.Bearer(token)...)
	wantJSON(t, resp, 200, `{"success":true}`)
	code := s.readCode(t, "alice2@example.com", "change-email")
	resp = s.post("/email-otp/change-email", map[string]any{"newEmail": "alice2@example.com", "otp": code}, authtest.Bearer(token)...)
	wantJSON(t, resp, 200, `{"success":true}`)
}
