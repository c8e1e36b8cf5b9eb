package emailotp_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
)

func TestSendRateLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{"AUTHD_RATE_LIMIT": "on"})
	s.seed(t)
	body := map[string]any{"email": alice, "type": "sign-in"}
	for range 3 {
		wantJSON(t, s.post("/email-otp/send-verification-otp", body), 200, `{"success":true}`)
	}

	resp := s.post("/email-otp/send-verification-otp", body)

	wantJSON(t, resp, 429, `{"message":"Too many requests. Please try again later."}`)
	retry, err := strconv.Atoi(resp.Header.Get("X-Retry-After"))
	if err != nil || retry < 1 || retry > 60 {
		t.Errorf("X-Retry-After = %q, want 1 to 60 seconds", resp.Header.Get("X-Retry-After"))
	}
	s.Clock.Advance(60 * time.Second)
	wantJSON(t, s.post("/email-otp/send-verification-otp", body), 200, `{"success":true}`)
}

func TestRateLimitSettings(t *testing.T) {
	t.Parallel()
	s := newServer(t, authtest.Env{
		"AUTHD_RATE_LIMIT":                  "on",
		"AUTHD_EMAIL_OTP_RATE_LIMIT_MAX":    "1",
		"AUTHD_EMAIL_OTP_RATE_LIMIT_WINDOW": "10s",
	})

	for _, path := range []string{
		"/email-otp/check-verification-otp", "/email-otp/verify-email", "/sign-in/email-otp",
		"/email-otp/reset-password", "/email-otp/change-email",
	} {
		first := s.post(path, map[string]any{})
		second := s.post(path, map[string]any{})
		if first.Status == 429 || second.Status != 429 {
			t.Errorf("%s: statuses %d, %d; want the second to be 429", path, first.Status, second.Status)
		}
	}
	s.Clock.Advance(10 * time.Second)
	if resp := s.post("/sign-in/email-otp", map[string]any{}); resp.Status == 429 {
		t.Errorf("sign-in is still limited after the window")
	}
}

func TestSendOrigin(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	s.seed(t)
	body := map[string]any{"email": alice, "type": "sign-in"}

	wantJSON(t, s.post("/email-otp/send-verification-otp", body, "Origin", "https://evil.example"),
		403, `{"message":"Invalid origin","code":"INVALID_ORIGIN"}`)
	wantCode(t, s.post("/email-otp/send-verification-otp", body, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate"),
		403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
	wantCode(t, s.post("/email-otp/send-verification-otp", body, "Sec-Fetch-Site", "same-origin"),
		403, "MISSING_OR_NULL_ORIGIN")
	s.wantMails(t, 0)

	wantJSON(t, s.post("/email-otp/send-verification-otp", body, "Origin", "http://localhost:5173"), 200, `{"success":true}`)
	s.send(t, alice, "sign-in") // no Origin, no cookies
	s.wantMails(t, 2)
}
