package password

import (
	"context"
	"strings"
	"testing"
)

// The vector below was produced by Better Auth 1.7 (@better-auth/utils 0.4.2).
const (
	vectorPassword = "password123"
	vectorHash     = "0123456789abcdef0123456789abcdef:e8b256b6f9f4b1641136a66d4a26ba41a47b6c8c9bad6aa4145559ffda45ece1f0f16dec8482a3e5545feada0ba62f2b05eeb943b750c9396874e1762c78d27d"
)

func TestVerifyBetterAuthVector(t *testing.T) {
	ok, err := Verify(context.Background(), vectorHash, vectorPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("Better Auth hash did not verify")
	}
	ok, err = Verify(context.Background(), vectorHash, "password124")
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatal("wrong password verified")
	}
}

func TestHashFormat(t *testing.T) {
	h, err := Hash(context.Background(), "correct-horse")
	if err != nil {
		t.Fatal(err)
	}
	salt, key, ok := strings.Cut(h, ":")
	if !ok || len(salt) != 32 || len(key) != 128 {
		t.Fatalf("hash %q is not <32 hex>:<128 hex>", h)
	}
	if strings.ToLower(h) != h {
		t.Fatalf("hash %q is not lower case", h)
	}
	ok, err = Verify(context.Background(), h, "correct-horse")
	if err != nil || !ok {
		t.Fatalf("own hash did not verify: ok=%v err=%v", ok, err)
	}
}

func TestVerifyNFKC(t *testing.T) {
	// U+FB01 (the "fi" ligature) normalises to "fi" under NFKC.
	h, err := Hash(context.Background(), "\ufb01ne-password")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := Verify(context.Background(), h, "fine-password")
	if err != nil || !ok {
		t.Fatalf("NFKC-equivalent password rejected: ok=%v err=%v", ok, err)
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	for _, h := range []string{"", "nocolon", ":abc", "abc:"} {
		if _, err := Verify(context.Background(), h, "x"); err != ErrMalformedHash {
			t.Errorf("Verify(%q) error = %v, want ErrMalformedHash", h, err)
		}
	}
}
