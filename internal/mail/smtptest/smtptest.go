// Package smtptest runs an SMTP server on 127.0.0.1 inside a test. It stores every message
// it accepts, parsed into headers, text and HTML, so that tests across authd can read the
// codes that authd mails. Stop and Restart simulate an outage on the same port.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one accepted message for one envelope recipient.
type Received struct {
	To       string      // envelope recipient (RCPT TO)
	From     string      // address of the From header
	FromName string      // display name of the From header, decoded
	Subject  string      // Subject header, decoded
	Text     string      // text/plain part, decoded, with "\n" line breaks
	HTML     string      // text/html part, decoded, with "\n" line breaks
	Header   mail.Header // all headers as sent
	Raw      []byte      // the message as sent
}

// TLS modes of a Server.
type tlsMode int

const (
	tlsNone tlsMode = iota
	tlsStartTLS
	tlsImplicit
)

// Server is an in-process SMTP server. Its methods are safe for concurrent use.
type Server struct {
	tlsMode   tlsMode
	tlsConfig *tls.Config
	certPool  *x509.CertPool

	mu       sync.Mutex
	port     int
	server   *smtp.Server
	listener net.Listener // closed by Stop itself, because server.Close misses a listener that Serve has not registered yet
	username string
	password string
	received []Received
	returned []bool        // returned[i]: WaitFor already returned received[i]
	changed  chan struct{} // closed and replaced whenever a message arrives
}

// Start starts a server without TLS on a random port of 127.0.0.1 and stops it when the test
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, tlsNone)
}

// StartTLS starts a server that offers STARTTLS with a self-signed certificate for
// 127.0.0.1. Clients must trust CertPool.
func StartTLS(t testing.TB) *Server {
	t.Helper()
	return start(t, tlsStartTLS)
}

// StartImplicitTLS starts a server that speaks TLS from the first byte, as on port 465, with
// a self-signed certificate for 127.0.0.1. Clients must trust CertPool.
func StartImplicitTLS(t testing.TB) *Server {
	t.Helper()
	return start(t, tlsImplicit)
}

func start(t testing.TB, mode tlsMode) *Server {
	t.Helper()

	s := &Server{tlsMode: mode, changed: make(chan struct{})}
	if mode != tlsNone {
		var err error
		s.tlsConfig, s.certPool, err = selfSignedTLS()
		if err != nil {
			t.Fatalf("smtptest: create TLS certificate: %v", err)
		}
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen on 127.0.0.1: %v", err)
	}
	s.port = listener.Addr().(*net.TCPAddr).Port
	s.serve(listener)
	t.Cleanup(s.Stop)
	return s
}

// serve starts a new go-smtp server on listener. The caller holds no lock.
func (s *Server) serve(listener net.Listener) {
	server := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	server.Domain = "smtptest.localhost"
	server.AllowInsecureAuth = true
	server.ReadTimeout = 30 * time.Second
	server.WriteTimeout = 30 * time.Second
	server.ErrorLog = log.New(io.Discard, "", 0)
	if s.tlsMode == tlsStartTLS {
		server.TLSConfig = s.tlsConfig
	}
	if s.tlsMode == tlsImplicit {
		listener = tls.NewListener(listener, s.tlsConfig)
	}

	s.mu.Lock()
	s.server = server
	s.listener = listener
	s.mu.Unlock()

	go func() { _ = server.Serve(listener) }()
}

// Addr returns "127.0.0.1:<port>".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Host returns "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// Port returns the port, which stays the same across Restart.
func (s *Server) Port() int { return s.port }

// CertPool returns the pool that trusts the server's certificate, or nil without TLS.
func (s *Server) CertPool() *x509.CertPool { return s.certPool }

// RequireAuth makes the server offer AUTH PLAIN and reject MAIL FROM until a client has
// authenticated with these credentials.
func (s *Server) RequireAuth(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.username, s.password = username, password
}

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// MessagesTo returns the messages received so far for the envelope recipient to, compared
// without regard to case, oldest first.
func (s *Server) MessagesTo(to string) []Received {
	s.mu.Lock()
	defer s.mu.Unlock()

	var matched []Received
	for _, r := range s.received {
		if strings.EqualFold(r.To, to) {
			matched = append(matched, r)
		}
	}
	return matched
}

// WaitFor waits until a message for the envelope recipient to has arrived that no earlier
// WaitFor call returned, and returns the oldest such message. So calling it twice for one
// address reads the first and then the second mail. It fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()

	for {
		s.mu.Lock()
		for i, r := range s.received {
			if !s.returned[i] && strings.EqualFold(r.To, to) {
				s.returned[i] = true
				s.mu.Unlock()
				return r
			}
		}
		changed := s.changed
		recipients := make([]string, len(s.received))
		for i, r := range s.received {
			recipients[i] = r.To
		}
		s.mu.Unlock()

		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: no new message for %s within %s; messages received so far were for %v", to, timeout, recipients)
			return Received{}
		}
	}
}

// Stop closes the listener and every open connection, so that clients get "connection
// refused" until Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	server, listener := s.server, s.listener
	s.server, s.listener = nil, nil
	s.mu.Unlock()

	if server != nil {
		_ = listener.Close()
		_ = server.Close()
	}
}

// Restart listens again on the same port after Stop. It keeps the messages received before.
// It panics if the port cannot be bound within 5 s, for example because another process
// took it in the meantime.
func (s *Server) Restart() {
	s.Stop()

	var listener net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		listener, err = net.Listen("tcp", s.Addr())
		if err == nil {
			s.serve(listener)
			return
		}
	}
	panic(fmt.Sprintf("smtptest: listen again on %s: %v", s.Addr(), err))
}

func (s *Server) store(messages []Received) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.received = append(s.received, messages...)
	s.returned = append(s.returned, make([]bool, len(messages))...)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) credentials() (username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.username, s.password
}

// session is one SMTP connection.
type session struct {
	server        *Server
	authenticated bool
	from          string
	recipients    []string
}

func (se *session) AuthMechanisms() []string {
	if username, _ := se.server.credentials(); username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		wantUsername, wantPassword := se.server.credentials()
		if username != wantUsername || password != wantPassword {
			return smtp.ErrAuthFailed
		}
		se.authenticated = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if username, _ := se.server.credentials(); username != "" && !se.authenticated {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.recipients = append(se.recipients, to)
	return nil
}

// Data parses the message and rejects it with 554 if it is not valid MIME, so a test gets an
// error for the sender's mistake instead of an empty body.
func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	parsed, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "smtptest: " + err.Error()}
	}

	messages := make([]Received, len(se.recipients))
	for i, to := range se.recipients {
		messages[i] = parsed
		messages[i].To = to
	}
	se.server.store(messages)
	return nil
}

func (se *session) Reset() {
	se.from = ""
	se.recipients = nil
}

func (se *session) Logout() error { return nil }

// parse reads the headers, the From address and the text and HTML parts of a message.
func parse(raw []byte) (Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, fmt.Errorf("read message headers: %w", err)
	}

	var decoder mime.WordDecoder
	subject, err := decoder.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Received{}, fmt.Errorf("decode Subject header: %w", err)
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil {
		return Received{}, fmt.Errorf("parse From header %q: %w", msg.Header.Get("From"), err)
	}

	received := Received{
		From:     from.Address,
		FromName: from.Name,
		Subject:  subject,
		Header:   msg.Header,
		Raw:      raw,
	}
	err = readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &received)
	return received, err
}

// readPart stores a text/plain or text/html part in received and walks into multipart parts.
func readPart(contentType, transferEncoding string, body io.Reader, received *Received) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("parse Content-Type %q: %w", contentType, err)
	}

	if strings.HasPrefix(mediaType, "multipart/") {
		reader := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart leaves the transfer encoding to decodeBody, which handles base64 too.
			part, err := reader.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read %s part: %w", mediaType, err)
			}
			if err := readPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, received); err != nil {
				return err
			}
		}
	}

	decoded, err := decodeBody(transferEncoding, body)
	if err != nil {
		return fmt.Errorf("decode %s part: %w", mediaType, err)
	}
	decoded = strings.ReplaceAll(decoded, "\r\n", "\n")
	switch mediaType {
	case "text/plain":
		received.Text = decoded
	case "text/html":
		received.HTML = decoded
	}
	return nil
}

func decodeBody(transferEncoding string, body io.Reader) (string, error) {
	switch strings.ToLower(strings.TrimSpace(transferEncoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		// The decoder skips the line breaks that split base64 bodies every 76 characters.
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}

// selfSignedTLS creates a certificate for 127.0.0.1 and a pool that trusts it.
func selfSignedTLS() (*tls.Config, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}

	pool := x509.NewCertPool()
	pool.AddCert(cert)
	config := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	return config, pool, nil
}
