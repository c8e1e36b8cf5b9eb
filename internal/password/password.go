// Package password hashes and verifies passwords in Better Auth's format,
// so a hash written by either server verifies in the other.
//
// The format is "<salt>:<key>": scrypt with N=16384, r=16, p=1 and a
// 64-byte key over the NFKC-normalised password, where the salt is 16
// random bytes written as 32 lowercase hex characters and the scrypt salt
// argument is that hex text itself, not the raw bytes.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"

	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

const (
	scryptN      = 16384
	scryptR      = 16
	scryptP      = 1
	scryptKeyLen = 64
)

// ErrMalformedHash is returned for a stored hash without a salt and a key.
var ErrMalformedHash = errors.New("malformed password hash")

// Each scrypt call allocates 32 MiB (128·N·r bytes), so concurrent hashes
// are bounded to keep a burst of sign-ins from exhausting memory. Callers
// beyond the bound wait their turn.
var slots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

func derive(ctx context.Context, password, salt string) ([]byte, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-slots }()
	return scrypt.Key([]byte(norm.NFKC.String(password)), []byte(salt), scryptN, scryptR, scryptP, scryptKeyLen)
}

// Hash returns a new hash of password with a random salt.
func Hash(ctx context.Context, password string) (string, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	salt := hex.EncodeToString(raw[:])
	key, err := derive(ctx, password, salt)
	if err != nil {
		return "", err
	}
	return salt + ":" + hex.EncodeToString(key), nil
}

// Verify reports whether password matches hash. The comparison is constant
// time. A hash without both parts returns ErrMalformedHash.
func Verify(ctx context.Context, hash, password string) (bool, error) {
	salt, keyHex, ok := strings.Cut(hash, ":")
	if !ok || salt == "" || keyHex == "" {
		return false, ErrMalformedHash
	}
	if i := strings.IndexByte(keyHex, ':'); i >= 0 {
		keyHex = keyHex[:i]
	}
	key, err := derive(ctx, password, salt)
	if err != nil {
		return false, err
	}
	got := hex.EncodeToString(key)
	return subtle.ConstantTimeCompare([]byte(got), []byte(strings.ToLower(keyHex))) == 1, nil
}

// dummyHash has the shape of a real hash. VerifyDummy spends the same work
// as a real verification, so a sign-in with an unknown email takes as long
// as one with a wrong password.
const dummyHash = "00000000000000000000000000000000:" +
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"

// VerifyDummy runs a verification whose result is discarded.
func VerifyDummy(ctx context.Context, password string) {
	_, _ = Verify(ctx, dummyHash, password)
}
