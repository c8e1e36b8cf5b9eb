package mail

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealRoundTrip(t *testing.T) {
	s, err := newSealer([]byte("test-secret-0123456789abcdefghijklmnopqrstuvwxyz"))
	if err != nil {
		t.Fatalf("newSealer: %v", err)
	}
	m := testMessage("alice@example.com")

	sealed, err := s.seal("mail-1", m)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	for _, plain := range []string{"123456", "alice@example.com", "sign-in"} {
		if bytes.Contains(sealed, []byte(plain)) {
			t.Errorf("sealed message contains %q in plain text", plain)
		}
	}

	opened, err := s.open("mail-1", sealed)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if opened != m {
		t.Errorf("opened = %+v, want %+v", opened, m)
	}
}

func TestSealNonceIsFresh(t *testing.T) {
	s, err := newSealer([]byte("secret"))
	if err != nil {
		t.Fatalf("newSealer: %v", err)
	}

	first, _ := s.seal("mail-1", testMessage("alice@example.com"))
	second, _ := s.seal("mail-1", testMessage("alice@example.com"))
	if bytes.Equal(first, second) {
		t.Error("sealing the same message twice gave the same bytes")
	}
}

func TestSealOpenFails(t *testing.T) {
	s, err := newSealer([]byte("secret one"))
	if err != nil {
		t.Fatalf("newSealer: %v", err)
	}
	other, err := newSealer([]byte("secret two"))
	if err != nil {
		t.Fatalf("newSealer: %v", err)
	}
	sealed, err := s.seal("mail-1", testMessage("alice@example.com"))
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1

	cases := []struct {
		name   string
		sealer *sealer
		mailID string
		sealed []byte
	}{
		{"other secret", other, "mail-1", sealed},
		{"other mail ID", s, "mail-2", sealed},
		{"changed byte", s, "mail-1", tampered},
		{"truncated", s, "mail-1", sealed[:10]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.sealer.open(tc.mailID, tc.sealed)
			if err == nil {
				t.Fatal("open succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.mailID) {
				t.Errorf("error %q does not name mail %s", err, tc.mailID)
			}
		})
	}
}

func TestSealMissingSecret(t *testing.T) {
	if _, err := newSealer(nil); err == nil || !strings.Contains(err.Error(), "OutboxOptions.Secret") {
		t.Errorf("newSealer(nil) error = %v, want one naming OutboxOptions.Secret", err)
	}
}
