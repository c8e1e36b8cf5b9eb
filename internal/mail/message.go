package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
)

// Message is one mail to a single recipient. Templates.Render builds it from a template and
// Outbox.Enqueue queues it for delivery.
type Message struct {
	// To is the bare recipient address, such as "alice@example.com", without a display name.
	To string
	// Subject is a single line.
	Subject string
	// Text is the text/plain body. It is required.
	Text string
	// HTML is the optional text/html alternative of Text.
	HTML string
	// Type is the mail type the message was rendered for, such as "sign-in". SMTPSender
	// sends it in the X-OTP-Type header so that a test mailbox can tell the mails apart.
	// It may be empty.
	Type string

	// messageID is the local part of the Message-ID header. The outbox sets it to the job's
	// mail ID so that a repeated delivery carries the same Message-ID as the first one.
	messageID string
}

// Sender delivers a message or returns why it could not. An Outbox retries a failed Send, so
// Send must return nil once the mail server has accepted the message, even if a later step
// such as closing the connection fails.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// validate rejects a message that no mail server would accept or that would put a line break
// into a header.
func (m Message) validate() error {
	var errs []error

	address, err := netmail.ParseAddress(m.To)
	switch {
	case m.To == "":
		errs = append(errs, errors.New("missing recipient address"))
	case err != nil:
		errs = append(errs, fmt.Errorf("invalid recipient address %q: %w", m.To, err))
	case address.Name != "" || address.Address != m.To:
		errs = append(errs, fmt.Errorf("invalid recipient address %q: expected a bare address without a display name", m.To))
	}

	if strings.TrimSpace(m.Subject) == "" {
		errs = append(errs, errors.New("missing subject"))
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		errs = append(errs, fmt.Errorf("invalid subject %q: it contains a line break", m.Subject))
	}
	if m.Text == "" {
		errs = append(errs, errors.New("missing text body"))
	}
	if strings.ContainsAny(m.Type, "\r\n") {
		errs = append(errs, fmt.Errorf("invalid mail type %q: it contains a line break", m.Type))
	}

	if len(errs) > 0 {
		return fmt.Errorf("invalid mail message: %w", errors.Join(errs...))
	}
	return nil
}

// LogSender writes each message to the log instead of sending it. It exists for development
// without an SMTP server: the log line carries the text body and so the one-time code. Never
// use it in production.
type LogSender struct {
	logger *slog.Logger
}

// NewLogSender returns a LogSender that logs at INFO level to logger, or to slog.Default()
// if logger is nil.
func NewLogSender(logger *slog.Logger) *LogSender {
	if logger == nil {
		logger = slog.Default()
	}
	return &LogSender{logger: logger}
}

// Send logs the recipient, the subject and the text body. The HTML body is left out because
// it repeats the text.
func (s *LogSender) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "mail logged instead of sent because SMTP is not configured (development only)",
		"to", m.To, "type", m.Type, "subject", m.Subject, "text", m.Text)
	return nil
}
