// Package randstr generates random strings from an alphabet, as Better
// Auth's generateRandomString does: crypto/rand bytes with rejection
// sampling, so every character is equally likely.
package randstr

import "crypto/rand"

// Alphabets used by Better Auth.
const (
	Alphanumeric      = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	Letters           = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	LowerAlphanumeric = "abcdefghijklmnopqrstuvwxyz0123456789"
	Digits            = "0123456789"
)

// String returns n characters drawn uniformly from alphabet.
func String(n int, alphabet string) string {
	size := len(alphabet)
	limit := 256 - 256%size // bytes at or above limit would bias the result
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, alphabet[int(b)%size])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// ID returns a 32-character alphanumeric id, Better Auth's default for rows
// and session tokens.
func ID() string { return String(32, Alphanumeric) }
