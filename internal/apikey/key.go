package apikey

import (
	"crypto/sha256"
	"encoding/base64"
	"unicode/utf16"

	"github.com/authd/authd/internal/randstr"
)

// Hash returns the value stored in the "key" column for a plaintext key:
// the unpadded base64url SHA-256 of its bytes, as Better Auth stores it, so
// keys issued by either server verify in the other. The key is random and
// long, so a fast hash suffices: there is nothing to brute-force.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Generate returns a new plaintext key: prefix followed by length letters,
// drawn uniformly like Better Auth's generator (no digits, no separators).
func Generate(prefix string, length int) string {
	return prefix + randstr.String(length, randstr.Letters)
}

// Start returns the first n characters of key as JavaScript's substring
// counts them (UTF-16 code units), or nil when n is 0.
func Start(key string, n int) *string {
	if n <= 0 {
		return nil
	}
	units := utf16.Encode([]rune(key))
	if len(units) > n {
		units = units[:n]
	}
	s := string(utf16.Decode(units))
	return &s
}
