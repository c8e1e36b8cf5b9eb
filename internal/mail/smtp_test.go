package mail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/mail/smtptest"
)

func TestLoadSMTPConfig(t *testing.T) {
	cases := []struct {
		name       string
		env        map[string]string
		want       SMTPConfig
		configured bool
		wantErr    []string // substrings of the error; nil means no error
	}{
		{
			name: "unset",
			env:  map[string]string{EnvMailFrom: "no-reply@example.com"},
		},
		{
			name: "full",
			env: map[string]string{
				EnvSMTPHost: "smtp.example.com", EnvSMTPPort: "2525", EnvSMTPTLS: "TLS",
				EnvSMTPUsername: "user", EnvSMTPPassword: "pass",
				EnvMailFrom: "no-reply@example.com", EnvMailFromName: "Acme",
			},
			want: SMTPConfig{
				Host: "smtp.example.com", Port: 2525, TLS: TLSImplicit, Username: "user", Password: "pass",
				From: "no-reply@example.com", FromName: "Acme", Timeout: DefaultSMTPTimeout,
			},
			configured: true,
		},
		{
			name:       "defaults to starttls on 587",
			env:        map[string]string{EnvSMTPHost: "smtp.example.com", EnvMailFrom: "no-reply@example.com"},
			want:       SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: TLSStartTLS, From: "no-reply@example.com", Timeout: DefaultSMTPTimeout},
			configured: true,
		},
		{
			name:       "tls defaults to 465",
			env:        map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPTLS: "tls", EnvMailFrom: "no-reply@example.com"},
			want:       SMTPConfig{Host: "smtp.example.com", Port: 465, TLS: TLSImplicit, From: "no-reply@example.com", Timeout: DefaultSMTPTimeout},
			configured: true,
		},
		{
			name:       "none defaults to 25",
			env:        map[string]string{EnvSMTPHost: "localhost", EnvSMTPTLS: "none", EnvMailFrom: "no-reply@example.com"},
			want:       SMTPConfig{Host: "localhost", Port: 25, TLS: TLSNone, From: "no-reply@example.com", Timeout: DefaultSMTPTimeout},
			configured: true,
		},
		{
			name:       "none with password on localhost",
			env:        map[string]string{EnvSMTPHost: "127.0.0.1", EnvSMTPTLS: "none", EnvSMTPUsername: "u", EnvSMTPPassword: "p", EnvMailFrom: "a@example.com"},
			want:       SMTPConfig{Host: "127.0.0.1", Port: 25, TLS: TLSNone, Username: "u", Password: "p", From: "a@example.com", Timeout: DefaultSMTPTimeout},
			configured: true,
		},
		{
			name:    "port without host",
			env:     map[string]string{EnvSMTPPort: "25"},
			wantErr: []string{EnvSMTPPort, EnvSMTPHost},
		},
		{
			name:    "port not a number",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPPort: "smtp", EnvMailFrom: "a@example.com"},
			wantErr: []string{EnvSMTPPort, `"smtp"`},
		},
		{
			name:    "port zero",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPPort: "0", EnvMailFrom: "a@example.com"},
			wantErr: []string{EnvSMTPPort, `"0"`},
		},
		{
			name:    "port out of range",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPPort: "70000", EnvMailFrom: "a@example.com"},
			wantErr: []string{EnvSMTPPort, "70000"},
		},
		{
			name:    "unknown tls mode",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPTLS: "ssl", EnvMailFrom: "a@example.com"},
			wantErr: []string{EnvSMTPTLS, `"ssl"`},
		},
		{
			name:    "username without password",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPUsername: "u", EnvMailFrom: "a@example.com"},
			wantErr: []string{EnvSMTPUsername, EnvSMTPPassword},
		},
		{
			name:    "password without username",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPPassword: "p", EnvMailFrom: "a@example.com"},
			wantErr: []string{EnvSMTPPassword, EnvSMTPUsername},
		},
		{
			name:    "password in clear text to remote host",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPTLS: "none", EnvSMTPUsername: "u", EnvSMTPPassword: "p", EnvMailFrom: "a@example.com"},
			wantErr: []string{EnvSMTPUsername, "clear text", "smtp.example.com"},
		},
		{
			name:    "missing from",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com"},
			wantErr: []string{"missing " + EnvMailFrom},
		},
		{
			name:    "from with display name",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvMailFrom: "Acme <a@example.com>"},
			wantErr: []string{EnvMailFrom, EnvMailFromName},
		},
		{
			name:    "every problem reported",
			env:     map[string]string{EnvSMTPHost: "smtp.example.com", EnvSMTPTLS: "ssl", EnvSMTPUsername: "u"},
			wantErr: []string{EnvSMTPTLS, EnvSMTPPassword, EnvMailFrom},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, configured, err := LoadSMTPConfig(func(name string) string { return tc.env[name] })

			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("LoadSMTPConfig succeeded with %+v, want an error", cfg)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadSMTPConfig: %v", err)
			}
			if configured != tc.configured {
				t.Errorf("configured = %v, want %v", configured, tc.configured)
			}
			if cfg != tc.want {
				t.Errorf("config = %+v, want %+v", cfg, tc.want)
			}
		})
	}
}

// testSMTPConfig returns a configuration for an smtptest server without TLS.
func testSMTPConfig(server *smtptest.Server) SMTPConfig {
	return SMTPConfig{
		Host:     server.Host(),
		Port:     server.Port(),
		TLS:      TLSNone,
		From:     "no-reply@authd.test",
		FromName: "Authd Tests",
		Timeout:  5 * time.Second,
	}
}

func newTestSMTPSender(t testing.TB, cfg SMTPConfig) *SMTPSender {
	t.Helper()
	sender, err := NewSMTPSender(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	return sender
}

func testMessage(to string) Message {
	return Message{
		To:      to,
		Subject: "123456 is your sign-in code",
		Text:    "Use this code to sign in:\n\n    123456\n",
		HTML:    "<p>Use this code to sign in:</p><p>123456</p>",
		Type:    TypeSignIn,
	}
}

func TestSMTPSenderDelivers(t *testing.T) {
	server := smtptest.Start(t)
	sender := newTestSMTPSender(t, testSMTPConfig(server))

	templates, err := LoadTemplates("")
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}
	m, err := templates.Render(TypeForgetPassword, Data{Email: "alice@example.com", OTP: "004711", ExpiresInMinutes: 5, AppName: "Grüße & Co"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := server.WaitFor(t, "alice@example.com", 5*time.Second)
	if got.From != "no-reply@authd.test" {
		t.Errorf("From = %q, want no-reply@authd.test", got.From)
	}
	if got.FromName != "Authd Tests" {
		t.Errorf("FromName = %q, want Authd Tests", got.FromName)
	}
	if got.Header.Get("To") != "<alice@example.com>" {
		t.Errorf("To header = %q, want <alice@example.com>", got.Header.Get("To"))
	}
	if got.Subject != m.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, m.Subject)
	}
	if got.Text != m.Text {
		t.Errorf("Text = %q, want %q", got.Text, m.Text)
	}
	if got.HTML != m.HTML {
		t.Errorf("HTML = %q, want %q", got.HTML, m.HTML)
	}
	if got.Header.Get(HeaderOTPType) != TypeForgetPassword {
		t.Errorf("%s = %q, want %s", HeaderOTPType, got.Header.Get(HeaderOTPType), TypeForgetPassword)
	}
	if !strings.HasPrefix(got.Header.Get("Content-Type"), "multipart/alternative;") {
		t.Errorf("Content-Type = %q, want multipart/alternative", got.Header.Get("Content-Type"))
	}
	if id := got.Header.Get("Message-Id"); !strings.HasSuffix(id, "@authd.test>") {
		t.Errorf("Message-ID = %q, want one in the sender's domain", id)
	}
}

func TestSMTPSenderTextOnly(t *testing.T) {
	server := smtptest.Start(t)
	sender := newTestSMTPSender(t, testSMTPConfig(server))

	m := testMessage("bob@example.com")
	m.HTML = ""
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := server.WaitFor(t, "bob@example.com", 5*time.Second)
	if got.Text != m.Text {
		t.Errorf("Text = %q, want %q", got.Text, m.Text)
	}
	if got.HTML != "" {
		t.Errorf("HTML = %q, want none", got.HTML)
	}
}

func TestSMTPSenderAuth(t *testing.T) {
	server := smtptest.Start(t)
	server.RequireAuth("mailer", "s3cret")

	cfg := testSMTPConfig(server)
	cfg.Username, cfg.Password = "mailer", "s3cret"
	if err := newTestSMTPSender(t, cfg).Send(context.Background(), testMessage("carol@example.com")); err != nil {
		t.Fatalf("Send with the right password: %v", err)
	}
	server.WaitFor(t, "carol@example.com", 5*time.Second)

	cfg.Password = "wrong"
	err := newTestSMTPSender(t, cfg).Send(context.Background(), testMessage("dave@example.com"))
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q contains the password", err)
	}
	if len(server.MessagesTo("dave@example.com")) != 0 {
		t.Error("server received a mail although authentication failed")
	}
}

func TestSMTPSenderStartTLS(t *testing.T) {
	server := smtptest.StartTLS(t)
	server.RequireAuth("mailer", "s3cret")

	cfg := testSMTPConfig(server)
	cfg.TLS = TLSStartTLS
	cfg.Username, cfg.Password = "mailer", "s3cret"
	sender := newTestSMTPSender(t, cfg)
	trustServer(t, sender, server)

	if err := sender.Send(context.Background(), testMessage("erin@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	server.WaitFor(t, "erin@example.com", 5*time.Second)
}

func TestSMTPSenderStartTLSRequired(t *testing.T) {
	server := smtptest.Start(t) // offers no STARTTLS

	cfg := testSMTPConfig(server)
	cfg.TLS = TLSStartTLS
	err := newTestSMTPSender(t, cfg).Send(context.Background(), testMessage("frank@example.com"))
	if err == nil {
		t.Fatal("Send succeeded without TLS although starttls was required")
	}
	if len(server.Messages()) != 0 {
		t.Error("server received a mail over a connection without TLS")
	}
}

func TestSMTPSenderImplicitTLS(t *testing.T) {
	server := smtptest.StartImplicitTLS(t)

	cfg := testSMTPConfig(server)
	cfg.TLS = TLSImplicit
	sender := newTestSMTPSender(t, cfg)
	trustServer(t, sender, server)

	if err := sender.Send(context.Background(), testMessage("grace@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	server.WaitFor(t, "grace@example.com", 5*time.Second)
}

func trustServer(t *testing.T, sender *SMTPSender, server *smtptest.Server) {
	t.Helper()
	err := sender.client.SetTLSConfig(&tls.Config{RootCAs: server.CertPool(), ServerName: server.Host(), MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("SetTLSConfig: %v", err)
	}
}

func TestSMTPSenderServerDown(t *testing.T) {
	server := smtptest.Start(t)
	server.Stop()

	err := newTestSMTPSender(t, testSMTPConfig(server)).Send(context.Background(), testMessage("heidi@example.com"))
	if err == nil {
		t.Fatal("Send succeeded with the server stopped")
	}
	if !strings.Contains(err.Error(), server.Addr()) || !strings.Contains(err.Error(), "heidi@example.com") {
		t.Errorf("error %q does not name the server %s and the recipient", err, server.Addr())
	}
}

func TestSMTPSenderRestart(t *testing.T) {
	server := smtptest.Start(t)
	sender := newTestSMTPSender(t, testSMTPConfig(server))

	server.Stop()
	if err := sender.Send(context.Background(), testMessage("ivan@example.com")); err == nil {
		t.Fatal("Send succeeded with the server stopped")
	}
	server.Restart()
	if err := sender.Send(context.Background(), testMessage("ivan@example.com")); err != nil {
		t.Fatalf("Send after Restart: %v", err)
	}
	server.WaitFor(t, "ivan@example.com", 5*time.Second)
}

func TestSMTPSenderInvalidMessage(t *testing.T) {
	server := smtptest.Start(t)
	sender := newTestSMTPSender(t, testSMTPConfig(server))

	cases := map[string]Message{
		"missing recipient":    {Subject: "s", Text: "t"},
		"recipient with name":  {To: "Alice <alice@example.com>", Subject: "s", Text: "t"},
		"invalid recipient":    {To: "alice", Subject: "s", Text: "t"},
		"subject on two lines": {To: "alice@example.com", Subject: "s\r\nBcc: x@example.com", Text: "t"},
		"missing subject":      {To: "alice@example.com", Text: "t"},
		"missing text":         {To: "alice@example.com", Subject: "s", HTML: "<p>h</p>"},
		"type with line break": {To: "alice@example.com", Subject: "s", Text: "t", Type: "a\nb"},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if err := sender.Send(context.Background(), m); err == nil {
				t.Error("Send succeeded, want an error")
			}
		})
	}
	if len(server.Messages()) != 0 {
		t.Errorf("server received %d mails, want none", len(server.Messages()))
	}
}

// TestSMTPSenderAcceptedThenResetFails checks that a failure after the server accepted the
// message is not reported, because the outbox would retry and deliver the mail twice.
func TestSMTPSenderAcceptedThenResetFails(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listener.Close() })

	accepted := make(chan struct{}, 1)
	go func() {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		serveScriptedSMTP(conn, accepted)
	}()

	cfg := SMTPConfig{
		Host:    "127.0.0.1",
		Port:    listener.Addr().(*net.TCPAddr).Port,
		TLS:     TLSNone,
		From:    "no-reply@authd.test",
		Timeout: 5 * time.Second,
	}
	if err := newTestSMTPSender(t, cfg).Send(context.Background(), testMessage("judy@example.com")); err != nil {
		t.Fatalf("Send = %v, want nil because the server accepted the message", err)
	}
	select {
	case <-accepted:
	default:
		t.Fatal("scripted server did not accept a message")
	}
}

// serveScriptedSMTP accepts one message, then replies to RSET with 421 and closes the
// connection, like a server that shuts down right after accepting a mail.
func serveScriptedSMTP(conn net.Conn, accepted chan<- struct{}) {
	reader := bufio.NewReader(conn)
	write := func(line string) { _, _ = conn.Write([]byte(line + "\r\n")) }

	write("220 scripted.localhost ESMTP")
	for {
		line, err := reader.ReadString('\n')
		if err != nil {
			return
		}
		command := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(command, "EHLO"):
			write("250-scripted.localhost")
			write("250 8BITMIME")
		case strings.HasPrefix(command, "DATA"):
			write("354 go ahead")
			for {
				dataLine, err := reader.ReadString('\n')
				if err != nil {
					return
				}
				if dataLine == ".\r\n" {
					break
				}
			}
			accepted <- struct{}{}
			write("250 2.0.0 queued")
		case strings.HasPrefix(command, "RSET"):
			write("421 4.3.0 shutting down")
			return
		default: // NOOP, MAIL, RCPT
			write("250 2.0.0 ok")
		}
	}
}

func TestLogSender(t *testing.T) {
	var buffer bytes.Buffer
	sender := NewLogSender(slog.New(slog.NewTextHandler(&buffer, nil)))

	m := testMessage("ken@example.com")
	if err := sender.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	line := buffer.String()
	for _, want := range []string{"level=INFO", "to=ken@example.com", "123456 is your sign-in code", "    123456"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line does not contain %q:\n%s", want, line)
		}
	}
	if strings.Contains(line, "<p>") {
		t.Errorf("log line contains the HTML body:\n%s", line)
	}
}

// testLogger writes to the test's output at WARN and above, which keeps river's routine
// messages out of it.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
