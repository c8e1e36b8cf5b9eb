package mail

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// sealInfo is the HKDF info string. It keeps the outbox key apart from every other key that
// authd derives from the same server secret. A new sealed format would get a new version.
const sealInfo = "authd mail outbox v1"

// sealer encrypts messages with AES-256-GCM so that the river_job table, its backups and its
// logs never hold a one-time code or a recipient in plain text.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(secret []byte) (*sealer, error) {
	if len(secret) == 0 {
		return nil, errors.New("missing outbox secret: pass the server secret in OutboxOptions.Secret")
	}

	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(sealInfo)), key); err != nil {
		return nil, fmt.Errorf("derive outbox key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create outbox cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create outbox cipher: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal returns nonce || ciphertext of the JSON-encoded message. The mail ID is authenticated
// data, so a sealed message copied into another job fails to open there.
func (s *sealer) seal(mailID string, m Message) ([]byte, error) {
	plain, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode mail message: %w", err)
	}

	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(mailID)), nil
}

// open reverses seal. It fails if the data was sealed under another secret, for another mail
// ID, or was changed.
func (s *sealer) open(mailID string, sealed []byte) (Message, error) {
	if len(sealed) < s.aead.NonceSize()+s.aead.Overhead() {
		return Message{}, fmt.Errorf("decrypt mail %s: sealed message is %d bytes, too short", mailID, len(sealed))
	}

	nonce, ciphertext := sealed[:s.aead.NonceSize()], sealed[s.aead.NonceSize():]
	plain, err := s.aead.Open(nil, nonce, ciphertext, []byte(mailID))
	if err != nil {
		return Message{}, fmt.Errorf("decrypt mail %s: %w (was the server secret changed after it was queued?)", mailID, err)
	}

	var m Message
	if err := json.Unmarshal(plain, &m); err != nil {
		return Message{}, fmt.Errorf("decode mail %s: %w", mailID, err)
	}
	return m, nil
}
