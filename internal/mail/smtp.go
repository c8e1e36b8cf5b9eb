package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Environment variables read by LoadSMTPConfig.
const (
	EnvSMTPHost     = "AUTHD_SMTP_HOST"
	EnvSMTPPort     = "AUTHD_SMTP_PORT"
	EnvSMTPTLS      = "AUTHD_SMTP_TLS"
	EnvSMTPUsername = "AUTHD_SMTP_USERNAME"
	EnvSMTPPassword = "AUTHD_SMTP_PASSWORD"
	EnvMailFrom     = "AUTHD_MAIL_FROM"
	EnvMailFromName = "AUTHD_MAIL_FROM_NAME"
)

// Values of SMTPConfig.TLS.
const (
	// TLSNone sends in clear text. It is meant for a relay on the same host.
	TLSNone = "none"
	// TLSStartTLS connects in clear text and requires the server to upgrade with STARTTLS.
	// It is the default, usually on port 587.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte, usually on port 465.
	TLSImplicit = "tls"
)

// DefaultSMTPTimeout bounds connecting to the SMTP server and each SMTP command when
// SMTPConfig.Timeout is zero.
const DefaultSMTPTimeout = 10 * time.Second

// SMTPConfig configures an SMTPSender. The comment on each field names the environment
// variable that LoadSMTPConfig reads it from.
type SMTPConfig struct {
	Host string // AUTHD_SMTP_HOST
	// Port defaults to 25 for TLSNone, 587 for TLSStartTLS and 465 for TLSImplicit.
	Port int    // AUTHD_SMTP_PORT
	TLS  string // AUTHD_SMTP_TLS: "none", "starttls" (default) or "tls"
	// Username and Password enable SMTP authentication. Both or neither must be set. With
	// TLSNone they are accepted only for a server on localhost, because the password would
	// otherwise cross the network in clear text.
	Username string // AUTHD_SMTP_USERNAME
	Password string // AUTHD_SMTP_PASSWORD
	From     string // AUTHD_MAIL_FROM: the bare sender address, such as "no-reply@example.com"
	FromName string // AUTHD_MAIL_FROM_NAME: the optional display name of the sender
	// Timeout bounds connecting and each SMTP command. Zero means DefaultSMTPTimeout.
	Timeout time.Duration
}

// LoadSMTPConfig reads the SMTP settings through getenv, which is usually os.Getenv.
// configured is false when AUTHD_SMTP_HOST is empty and no other SMTP setting is given, so
// the caller can fall back to a LogSender in development. A set but invalid setting returns
// an error that names it.
func LoadSMTPConfig(getenv func(string) string) (cfg SMTPConfig, configured bool, err error) {
	cfg = SMTPConfig{
		Host:     strings.TrimSpace(getenv(EnvSMTPHost)),
		TLS:      strings.ToLower(strings.TrimSpace(getenv(EnvSMTPTLS))),
		Username: getenv(EnvSMTPUsername),
		Password: getenv(EnvSMTPPassword),
		From:     strings.TrimSpace(getenv(EnvMailFrom)),
		FromName: strings.TrimSpace(getenv(EnvMailFromName)),
	}

	port := strings.TrimSpace(getenv(EnvSMTPPort))
	if port != "" {
		cfg.Port, err = strconv.Atoi(port)
		if err != nil || cfg.Port < 1 || cfg.Port > 65535 {
			return SMTPConfig{}, false, fmt.Errorf("invalid %s %q: expected a port number from 1 to 65535", EnvSMTPPort, port)
		}
	}

	if cfg.Host == "" {
		// Any other SMTP setting without a host is a half-done configuration. Falling back to
		// the log sender would hide it until the first user waits for a code.
		for _, name := range []string{EnvSMTPPort, EnvSMTPTLS, EnvSMTPUsername, EnvSMTPPassword} {
			if getenv(name) != "" {
				return SMTPConfig{}, false, fmt.Errorf("%s is set but %s is empty: set %s to the SMTP server's host name, or unset %s",
					name, EnvSMTPHost, EnvSMTPHost, name)
			}
		}
		return SMTPConfig{}, false, nil
	}

	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return SMTPConfig{}, false, err
	}
	return cfg, true, nil
}

// applyDefaults fills TLS, Port and Timeout when they are zero.
func (c *SMTPConfig) applyDefaults() {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSNone:
			c.Port = 25
		case TLSStartTLS:
			c.Port = 587
		case TLSImplicit:
			c.Port = 465
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultSMTPTimeout
	}
}

// Validate checks a configuration whose defaults are filled in and returns every problem
// found, each naming its environment variable.
func (c SMTPConfig) Validate() error {
	var errs []error

	if c.Host == "" {
		errs = append(errs, fmt.Errorf("missing %s: set it to the SMTP server's host name", EnvSMTPHost))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("invalid %s %d: expected a port number from 1 to 65535", EnvSMTPPort, c.Port))
	}

	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		errs = append(errs, fmt.Errorf("invalid %s %q: expected %q, %q or %q", EnvSMTPTLS, c.TLS, TLSNone, TLSStartTLS, TLSImplicit))
	}

	switch {
	case c.Username != "" && c.Password == "":
		errs = append(errs, fmt.Errorf("%s is set but %s is empty: set both for SMTP authentication, or neither", EnvSMTPUsername, EnvSMTPPassword))
	case c.Username == "" && c.Password != "":
		errs = append(errs, fmt.Errorf("%s is set but %s is empty: set both for SMTP authentication, or neither", EnvSMTPPassword, EnvSMTPUsername))
	case c.Username != "" && c.TLS == TLSNone && !isLoopbackHost(c.Host):
		errs = append(errs, fmt.Errorf("%s is set with %s=%s and %s %q, which would send the password in clear text: use %s=%s or %s, or a relay on localhost",
			EnvSMTPUsername, EnvSMTPTLS, TLSNone, EnvSMTPHost, c.Host, EnvSMTPTLS, TLSStartTLS, TLSImplicit))
	}

	if err := validateFrom(c.From); err != nil {
		errs = append(errs, err)
	}
	if strings.ContainsAny(c.FromName, "\r\n") {
		errs = append(errs, fmt.Errorf("invalid %s %q: it contains a line break", EnvMailFromName, c.FromName))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("invalid SMTP timeout %s: expected a positive duration", c.Timeout))
	}

	if len(errs) > 0 {
		return fmt.Errorf("invalid SMTP configuration: %w", errors.Join(errs...))
	}
	return nil
}

func validateFrom(from string) error {
	if from == "" {
		return fmt.Errorf("missing %s: set it to the sender address, such as no-reply@example.com", EnvMailFrom)
	}
	address, err := netmail.ParseAddress(from)
	if err != nil || address.Name != "" || address.Address != from {
		return fmt.Errorf("invalid %s %q: expected a bare address such as no-reply@example.com (put the display name in %s)",
			EnvMailFrom, from, EnvMailFromName)
	}
	return nil
}

// isLoopbackHost matches the host names to which go-mail sends a PLAIN password without TLS.
func isLoopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// SMTPSender sends each message over a new SMTP connection. It is safe for concurrent use.
type SMTPSender struct {
	client *gomail.Client
	from   string // the From header value, with the display name
	domain string // the right-hand side of Message-ID values
	addr   string // host:port, for error messages
	logger *slog.Logger
}

// NewSMTPSender validates cfg after filling in its defaults and returns a sender. It does
// not connect, so an unreachable server shows only on the first Send.
func NewSMTPSender(cfg SMTPConfig, logger *slog.Logger) (*SMTPSender, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}

	options := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
	}
	switch cfg.TLS {
	case TLSNone:
		options = append(options, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		options = append(options, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		options = append(options, gomail.WithSSL())
	}
	if cfg.Username != "" {
		// Over TLS go-mail picks the strongest mechanism the server offers. Without TLS only
		// PLAIN is tried, and go-mail itself refuses it for a host other than localhost.
		authType := gomail.SMTPAuthAutoDiscover
		if cfg.TLS == TLSNone {
			authType = gomail.SMTPAuthPlain
		}
		options = append(options,
			gomail.WithSMTPAuth(authType),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}

	client, err := gomail.NewClient(cfg.Host, options...)
	if err != nil {
		return nil, fmt.Errorf("create SMTP client for %s: %w", cfg.Host, err)
	}

	from := (&netmail.Address{Name: cfg.FromName, Address: cfg.From}).String()
	return &SMTPSender{
		client: client,
		from:   from,
		domain: cfg.From[strings.LastIndexByte(cfg.From, '@')+1:],
		addr:   net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		logger: logger,
	}, nil
}

// Send delivers m as a multipart/alternative message with a text and, if m.HTML is set, an
// HTML part. It returns nil once the server has accepted the message: an error from the
// commands after that (RSET, QUIT) is only logged, because a retry would deliver the mail
// twice.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}

	msg, err := s.build(m)
	if err != nil {
		return err
	}

	err = s.client.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		s.logger.WarnContext(ctx, "SMTP server accepted the mail but a later command failed; not treating it as a failure",
			"to", m.To, "smtp_server", s.addr, "error", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("send mail to %s through %s: %w", m.To, s.addr, err)
	}
	return nil
}

func (s *SMTPSender) build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("invalid sender address %q: %w", s.from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("invalid recipient address %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetUserAgent("authd")

	localPart := m.messageID
	if localPart == "" {
		localPart = newMailID()
	}
	msg.SetMessageIDWithValue(localPart + "@" + s.domain)
	if m.Type != "" {
		msg.SetGenHeader(gomail.Header(HeaderOTPType), m.Type)
	}

	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// HeaderOTPType is the header that carries Message.Type.
const HeaderOTPType = "X-OTP-Type"

// newMailID returns 128 random bits in hex. It names one queued mail and is the local part of
// its Message-ID.
func newMailID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // Since Go 1.24, crypto/rand.Read never returns an error.
	return hex.EncodeToString(b[:])
}
