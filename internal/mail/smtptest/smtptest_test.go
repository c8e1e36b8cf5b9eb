package smtptest

import (
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"
)

// send delivers raw with the standard library's client, which leaves the message bytes as
// they are, so each test controls the MIME structure exactly.
func send(server *Server, from string, to []string, raw string) error {
	return smtp.SendMail(server.Addr(), nil, from, to, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

const simpleMessage = `From: Sender <sender@example.com>
To: alice@example.com
Subject: hello
Content-Type: text/plain; charset=utf-8

first line
second line
`

func TestServerParsesPlainMessage(t *testing.T) {
	server := Start(t)

	if err := send(server, "bounce@example.com", []string{"alice@example.com"}, simpleMessage); err != nil {
		t.Fatalf("send: %v", err)
	}

	got := server.WaitFor(t, "alice@example.com", 5*time.Second)
	if got.From != "sender@example.com" || got.FromName != "Sender" {
		t.Errorf("From = %q, FromName = %q, want sender@example.com and Sender", got.From, got.FromName)
	}
	if got.Subject != "hello" {
		t.Errorf("Subject = %q, want hello", got.Subject)
	}
	if got.Text != "first line\nsecond line\n" {
		t.Errorf("Text = %q, want the body with \\n line breaks", got.Text)
	}
	if got.HTML != "" {
		t.Errorf("HTML = %q, want none", got.HTML)
	}
	if !strings.Contains(string(got.Raw), "Subject: hello\r\n") {
		t.Errorf("Raw does not hold the message as sent:\n%s", got.Raw)
	}
}

func TestServerParsesNestedMultipart(t *testing.T) {
	server := Start(t)
	raw := `From: =?utf-8?q?Gr=C3=BC=C3=9Fe?= <sender@example.com>
To: bob@example.com
Subject: =?utf-8?q?Code_f=C3=BCr_dich?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

Q29kZTogMDEyMzQ1Cg==
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<p style=3D"x">012345</p>
--inner--
--outer--
`
	if err := send(server, "bounce@example.com", []string{"bob@example.com"}, raw); err != nil {
		t.Fatalf("send: %v", err)
	}

	got := server.WaitFor(t, "bob@example.com", 5*time.Second)
	if got.FromName != "Grüße" {
		t.Errorf("FromName = %q, want Grüße", got.FromName)
	}
	if got.Subject != "Code für dich" {
		t.Errorf("Subject = %q, want the decoded subject", got.Subject)
	}
	if got.Text != "Code: 012345\n" {
		t.Errorf("Text = %q, want the decoded base64 part", got.Text)
	}
	if got.HTML != `<p style="x">012345</p>` {
		t.Errorf("HTML = %q, want the decoded quoted-printable part", got.HTML)
	}
}

func TestServerOneMessagePerRecipient(t *testing.T) {
	server := Start(t)

	if err := send(server, "bounce@example.com", []string{"a@example.com", "b@example.com"}, simpleMessage); err != nil {
		t.Fatalf("send: %v", err)
	}

	server.WaitFor(t, "a@example.com", 5*time.Second)
	server.WaitFor(t, "B@example.com", 5*time.Second) // recipients compare without regard to case
	if n := len(server.Messages()); n != 2 {
		t.Errorf("Messages holds %d entries, want 2", n)
	}
}

func TestWaitForReadsInOrder(t *testing.T) {
	server := Start(t)

	for _, subject := range []string{"one", "two"} {
		raw := strings.Replace(simpleMessage, "Subject: hello", "Subject: "+subject, 1)
		if err := send(server, "bounce@example.com", []string{"alice@example.com"}, raw); err != nil {
			t.Fatalf("send %s: %v", subject, err)
		}
	}

	if got := server.WaitFor(t, "alice@example.com", 5*time.Second).Subject; got != "one" {
		t.Errorf("first WaitFor returned %q, want one", got)
	}
	if got := server.WaitFor(t, "alice@example.com", 5*time.Second).Subject; got != "two" {
		t.Errorf("second WaitFor returned %q, want two", got)
	}
	if n := len(server.MessagesTo("alice@example.com")); n != 2 {
		t.Errorf("MessagesTo returned %d messages, want 2", n)
	}
}

func TestWaitForWaitsForLateMessage(t *testing.T) {
	server := Start(t)

	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = send(server, "bounce@example.com", []string{"late@example.com"}, simpleMessage)
	}()
	if got := server.WaitFor(t, "late@example.com", 5*time.Second); got.To != "late@example.com" {
		t.Errorf("To = %q, want late@example.com", got.To)
	}
}

func TestServerStopAndRestart(t *testing.T) {
	server := Start(t)
	port := server.Port()
	if err := send(server, "bounce@example.com", []string{"before@example.com"}, simpleMessage); err != nil {
		t.Fatalf("send before Stop: %v", err)
	}

	server.Stop()
	if conn, err := net.DialTimeout("tcp", server.Addr(), time.Second); err == nil {
		conn.Close()
		t.Fatal("connected to a stopped server")
	}

	server.Restart()
	if server.Port() != port {
		t.Errorf("Port after Restart = %d, want %d", server.Port(), port)
	}
	if err := send(server, "bounce@example.com", []string{"after@example.com"}, simpleMessage); err != nil {
		t.Fatalf("send after Restart: %v", err)
	}
	server.WaitFor(t, "after@example.com", 5*time.Second)
	if n := len(server.MessagesTo("before@example.com")); n != 1 {
		t.Errorf("messages from before Stop: %d, want 1", n)
	}
}

func TestServerRequireAuth(t *testing.T) {
	server := Start(t)
	server.RequireAuth("mailer", "s3cret")

	err := send(server, "bounce@example.com", []string{"alice@example.com"}, simpleMessage)
	if err == nil || !strings.Contains(err.Error(), "authenticate") {
		t.Errorf("send without authentication = %v, want an authentication error", err)
	}

	auth := smtp.PlainAuth("", "mailer", "s3cret", server.Host())
	if err := smtp.SendMail(server.Addr(), auth, "bounce@example.com", []string{"alice@example.com"},
		[]byte(strings.ReplaceAll(simpleMessage, "\n", "\r\n"))); err != nil {
		t.Fatalf("send with authentication: %v", err)
	}
	server.WaitFor(t, "alice@example.com", 5*time.Second)
}

func TestServerRejectsInvalidMIME(t *testing.T) {
	server := Start(t)
	raw := strings.Replace(simpleMessage, "Content-Type: text/plain; charset=utf-8", "Content-Type: multipart/alternative", 1)

	err := send(server, "bounce@example.com", []string{"alice@example.com"}, raw)
	if err == nil || !strings.Contains(err.Error(), "554") {
		t.Errorf("send of a multipart message without boundary = %v, want a 554 rejection", err)
	}
	if n := len(server.Messages()); n != 0 {
		t.Errorf("server stored %d messages, want 0", n)
	}
}
