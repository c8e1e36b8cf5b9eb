package emailotp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/emailotp"
)

func loadConfig(vars map[string]string) (emailotp.Config, error) {
	env := config.NewEnv(func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
	c := emailotp.LoadConfig(env)
	return c, env.Err()
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(nil)
	if err != nil {
		t.Fatalf("load defaults: %v", err)
	}

	if c.OTPLength != 6 || c.ExpiresIn != 5*time.Minute || c.AllowedAttempts != 3 || c.DisableSignUp ||
		c.SendOnSignUp || c.AutoSignInAfterVerification || c.ChangeEmail || c.RevokeSessionsOnPasswordReset ||
		c.RateLimitWindow != time.Minute || c.RateLimitMax != 3 || c.AppName != "authd" || c.SMTPConfigured {
		t.Errorf("defaults = %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"AUTHD_EMAIL_OTP_LENGTH": "3"}, "AUTHD_EMAIL_OTP_LENGTH"},
		{map[string]string{"AUTHD_EMAIL_OTP_EXPIRES_IN": "soon"}, "AUTHD_EMAIL_OTP_EXPIRES_IN"},
		{map[string]string{"AUTHD_EMAIL_OTP_ALLOWED_ATTEMPTS": "0"}, "AUTHD_EMAIL_OTP_ALLOWED_ATTEMPTS"},
		{map[string]string{"AUTHD_SMTP_PORT": "2525"}, "AUTHD_SMTP_HOST"},
		{map[string]string{"AUTHD_SMTP_HOST": "mail.example.com"}, "AUTHD_MAIL_FROM"},
	} {
		_, err := loadConfig(tc.vars)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.vars, err, tc.want)
		}
	}
}

func TestConfigSMTP(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(map[string]string{
		"AUTHD_SMTP_HOST": "mail.example.com", "AUTHD_MAIL_FROM": "no-reply@example.com", "AUTHD_MAIL_FROM_NAME": "Acme",
	})
	if err != nil {
		t.Fatalf("load SMTP settings: %v", err)
	}

	if !c.SMTPConfigured || c.SMTP.Host != "mail.example.com" || c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" || c.SMTP.FromName != "Acme" {
		t.Errorf("SMTP settings = %+v", c.SMTP)
	}
}
