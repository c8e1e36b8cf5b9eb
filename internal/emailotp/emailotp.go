// Package emailotp is Better Auth's Email OTP plugin: one-time codes sent by
// mail to sign in, verify an address, reset a password or change the
// address of an account.
//
// A code is stored in the core "verification" table as an HMAC under the
// server secret, never in plain text, in one row per purpose and address
// (identifier "<type>-otp-<email>", Better Auth's format). The mail that
// carries it is queued in the mail outbox in the same transaction, so a
// code is mailed if and only if it was stored, and a mail server outage
// delays mails without failing requests. See codes.go for how attempts are
// counted and codes consumed.
package emailotp

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/mail"
	"github.com/authd/authd/internal/ratelimit"
	"github.com/authd/authd/internal/store"
)

// Config contains the plugin's settings. docs/configuration.md describes
// each variable.
type Config struct {
	// OTPLength is the number of digits of a code.
	OTPLength int
	// ExpiresIn is the lifetime of a code.
	ExpiresIn time.Duration
	// AllowedAttempts is how many submissions one code admits.
	AllowedAttempts int
	// DisableSignUp stops sign-in with a code from creating users.
	DisableSignUp bool
	// SendOnSignUp mails an email-verification code after /sign-up/email.
	SendOnSignUp bool
	// AutoSignInAfterVerification makes verify-email create a session.
	AutoSignInAfterVerification bool
	// ChangeEmail enables request-email-change and change-email.
	ChangeEmail bool
	// ChangeEmailVerifyCurrent requires an email-verification code of the
	// current address before a change-email code is sent.
	ChangeEmailVerifyCurrent bool
	// RevokeSessionsOnPasswordReset deletes the user's sessions when a
	// password is reset with a code.
	RevokeSessionsOnPasswordReset bool
	// RateLimitWindow and RateLimitMax apply to each endpoint of the plugin
	// per client address.
	RateLimitWindow time.Duration
	RateLimitMax    int
	// AppName names the application in the mails.
	AppName string
	// TemplatesDir holds templates that replace the built-in ones.
	TemplatesDir string
	// SMTP is the mail server. SMTPConfigured is false when no AUTHD_SMTP_*
	// variable is set.
	SMTP           mail.SMTPConfig
	SMTPConfigured bool
}

// LoadConfig reads the AUTHD_EMAIL_OTP_* settings and, through the mail
// package, AUTHD_SMTP_*, AUTHD_MAIL_* and AUTHD_MAIL_TEMPLATES_DIR.
func LoadConfig(env *config.Env) Config {
	c := Config{
		OTPLength:                     env.Int("AUTHD_EMAIL_OTP_LENGTH", 6, 4, 12),
		ExpiresIn:                     env.Duration("AUTHD_EMAIL_OTP_EXPIRES_IN", 5*time.Minute, time.Second, 24*time.Hour),
		AllowedAttempts:               env.Int("AUTHD_EMAIL_OTP_ALLOWED_ATTEMPTS", 3, 1, 100),
		DisableSignUp:                 env.Bool("AUTHD_EMAIL_OTP_DISABLE_SIGN_UP", false),
		SendOnSignUp:                  env.Bool("AUTHD_EMAIL_OTP_SEND_ON_SIGN_UP", false),
		AutoSignInAfterVerification:   env.Bool("AUTHD_EMAIL_OTP_AUTO_SIGN_IN_AFTER_VERIFICATION", false),
		ChangeEmail:                   env.Bool("AUTHD_EMAIL_OTP_CHANGE_EMAIL", false),
		ChangeEmailVerifyCurrent:      env.Bool("AUTHD_EMAIL_OTP_CHANGE_EMAIL_VERIFY_CURRENT", false),
		RevokeSessionsOnPasswordReset: env.Bool("AUTHD_EMAIL_OTP_REVOKE_SESSIONS_ON_PASSWORD_RESET", false),
		RateLimitWindow:               env.Duration("AUTHD_EMAIL_OTP_RATE_LIMIT_WINDOW", time.Minute, time.Second, 24*time.Hour),
		RateLimitMax:                  env.Int("AUTHD_EMAIL_OTP_RATE_LIMIT_MAX", 3, 1, 1_000_000),
		AppName:                       env.String("AUTHD_EMAIL_OTP_APP_NAME", mail.DefaultAppName),
		TemplatesDir:                  env.String(mail.EnvTemplatesDir, ""),
	}
	// Env.Lookup trims surrounding white space, so an SMTP password cannot
	// start or end with a space.
	getenv := func(name string) string {
		v, _ := env.Lookup(name)
		return v
	}
	smtp, configured, err := mail.LoadSMTPConfig(getenv)
	if err != nil {
		env.Fail("AUTHD_SMTP_*", "%v", err)
	}
	c.SMTP, c.SMTPConfigured = smtp, configured
	return c
}

// sweepInterval is how often expired verification rows are removed, and
// sweepGrace how long an expired row is kept first, so that a late
// submission still gets OTP_EXPIRED rather than INVALID_OTP. Tests shorten
// the interval.
var sweepInterval = 10 * time.Minute

const sweepGrace = time.Hour

// Plugin serves the Email OTP endpoints and runs the mail outbox.
type Plugin struct {
	svc       *auth.Service
	cfg       Config
	log       *slog.Logger
	key       []byte // HMAC key of stored codes, derived from the server secret
	templates *mail.Templates
	// outbox is nil when mail is off, which is in production without SMTP
	// settings.
	outbox *mail.Outbox

	deprecationOnce sync.Once

	mu        sync.Mutex
	stopSweep context.CancelFunc
	sweepDone chan struct{}
}

// outboxOptions lets tests shorten the outbox's retry backoff.
var outboxOptions func(*mail.OutboxOptions)

// New builds the plugin. Mails go to the SMTP server when one is
// configured, and to the log in dev mode. In production without SMTP
// settings no mail is sent: the endpoints that send codes respond with 400,
// as Better Auth does without a sender, and the rest of authd works.
func New(svc *auth.Service, cfg Config) (*Plugin, error) {
	if svc.Config.Secret == "" {
		return nil, errors.New("missing server secret: set AUTHD_SECRET, which keys the stored codes")
	}
	templates, err := mail.LoadTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	p := &Plugin{
		svc:       svc,
		cfg:       cfg,
		log:       svc.Log,
		key:       deriveKey(svc.Config.Secret),
		templates: templates,
	}

	var sender mail.Sender
	switch {
	case cfg.SMTPConfigured:
		if sender, err = mail.NewSMTPSender(cfg.SMTP, svc.Log); err != nil {
			return nil, err
		}
	case !svc.Config.Production():
		svc.Log.Warn("AUTHD_SMTP_HOST is not set: one-time codes are written to the log instead of mailed (dev mode only)")
		sender = mail.NewLogSender(svc.Log)
	default:
		svc.Log.Warn("AUTHD_SMTP_HOST is not set: the Email OTP endpoints that send codes return 400 until SMTP is configured")
		return p, nil
	}
	opts := mail.OutboxOptions{Secret: []byte(svc.Config.Secret), Logger: svc.Log}
	if outboxOptions != nil {
		outboxOptions(&opts)
	}
	if p.outbox, err = mail.NewOutbox(svc.Store.Pool, sender, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// Mount implements auth.Plugin. The change-email pair is always routed, as
// in Better Auth, and returns 400 while it is turned off.
func (p *Plugin) Mount(r *auth.Router) {
	r.Post("/email-otp/send-verification-otp", p.sendVerificationOTP)
	r.Post("/email-otp/check-verification-otp", p.checkVerificationOTP)
	r.Post("/email-otp/verify-email", p.verifyEmail)
	r.Post("/sign-in/email-otp", p.signIn)
	r.Post("/email-otp/request-password-reset", p.requestPasswordReset)
	r.Post("/forget-password/email-otp", p.forgetPassword)
	r.Post("/email-otp/reset-password", p.resetPassword)
	r.Post("/email-otp/request-email-change", p.requestEmailChange)
	r.Post("/email-otp/change-email", p.changeEmail)
}

// rateLimitedPaths are the paths that get the plugin's rate limit rule.
var rateLimitedPaths = []string{
	"/email-otp/send-verification-otp",
	"/email-otp/check-verification-otp",
	"/email-otp/verify-email",
	"/sign-in/email-otp",
	"/email-otp/request-password-reset",
	"/email-otp/reset-password",
	"/forget-password/email-otp",
	"/email-otp/request-email-change",
	"/email-otp/change-email",
}

// RateLimitRules implements auth.RateLimitRuleProvider: one rule per
// endpoint, all with the same window and maximum, as Better Auth registers
// them. They replace the core's rules for /sign-in and the mail paths.
func (p *Plugin) RateLimitRules() []ratelimit.PathRule {
	rule := ratelimit.Rule{Window: p.cfg.RateLimitWindow, Max: p.cfg.RateLimitMax}
	rules := make([]ratelimit.PathRule, len(rateLimitedPaths))
	for i, path := range rateLimitedPaths {
		rules[i] = ratelimit.PathRule{Path: path, Rule: rule}
	}
	return rules
}

// Collectors returns the mail outbox's Prometheus collectors, or nil when
// mail is off.
func (p *Plugin) Collectors() []prometheus.Collector {
	if p.outbox == nil {
		return nil
	}
	return p.outbox.Collectors()
}

// Start implements app.Starter: it starts the outbox workers and the sweep
// of expired codes.
func (p *Plugin) Start(ctx context.Context) error {
	if p.outbox != nil {
		if err := p.outbox.Start(ctx); err != nil {
			return err
		}
	}
	sweepCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	p.mu.Lock()
	p.stopSweep, p.sweepDone = cancel, done
	p.mu.Unlock()
	go p.sweep(sweepCtx, sweepInterval, done)
	return nil
}

// Stop implements app.Starter: it stops the sweep and waits for the mails
// being sent. Mails still queued are sent by another replica or after the
// next start.
func (p *Plugin) Stop(ctx context.Context) error {
	p.mu.Lock()
	cancel, done := p.stopSweep, p.sweepDone
	p.stopSweep, p.sweepDone = nil, nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if p.outbox == nil {
		return nil
	}
	return p.outbox.Stop(ctx)
}

// sweep deletes verification rows that expired more than sweepGrace ago.
// Better Auth purges expired rows on every lookup, but authd does it
// periodically instead, off the request path.
func (p *Plugin) sweep(ctx context.Context, interval time.Duration, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		n, err := store.DeleteExpiredVerifications(ctx, p.svc.Store.Pool, p.svc.Now().Add(-sweepGrace))
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("delete expired verification rows failed; retrying at the next sweep", "error", err)
			}
			continue
		}
		if n > 0 {
			p.log.Info("deleted expired verification rows", "rows", n)
		}
	}
}

// mailOff reports whether codes cannot be sent. The endpoints that send
// codes then return ErrMailNotConfigured.
func (p *Plugin) mailOff() bool { return p.outbox == nil }

// expiresInMinutes is the code lifetime for the mail text, rounded up.
func (p *Plugin) expiresInMinutes() int {
	return max(1, int((p.cfg.ExpiresIn+time.Minute-1)/time.Minute))
}
