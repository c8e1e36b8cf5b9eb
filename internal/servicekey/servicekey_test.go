package servicekey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/servicekey"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.New(t), store.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

func TestCreateAndVerify(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	key, token, err := servicekey.Create(ctx, st.Pool, "billing-verify", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, servicekey.Prefix) {
		t.Errorf("token %q lacks the prefix %q", token[:12], servicekey.Prefix)
	}
	got, err := servicekey.Verify(ctx, st.Pool, token)
	if err != nil {
		t.Fatalf("verify new key: %v", err)
	}
	if got.ID != key.ID {
		t.Errorf("verified key id = %s, want %s", got.ID, key.ID)
	}

	var stored string
	if err := st.Pool.QueryRow(ctx, `SELECT "keyHash" FROM "authd_service_key" WHERE "id" = $1`, key.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, token) || len(stored) != 64 {
		t.Errorf("stored key hash %q is not a SHA-256 hex digest", stored)
	}
}

func TestVerifyRejectsWrongKeys(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	_, token, err := servicekey.Create(ctx, st.Pool, "billing-wrong", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	last := token[len(token)-1]
	flipped := token[:len(token)-1] + string(rune('a'+(last-'a'+1)%26))
	for _, candidate := range []string{flipped, token[:len(token)-1], token + "x", "authd_sk_", "not-a-key"} {
		if _, err := servicekey.Verify(ctx, st.Pool, candidate); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Verify(%q…) error = %v, want ErrNotFound", candidate[:min(len(candidate), 12)], err)
		}
	}
}

func TestDuplicateNameRejected(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if _, _, err := servicekey.Create(ctx, st.Pool, "dup-name", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := servicekey.Create(ctx, st.Pool, "dup-name", time.Now()); err == nil {
		t.Fatal("second active key with the same name was created")
	}
}

func TestRevokeByNameAndID(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	key, token, err := servicekey.Create(ctx, st.Pool, "revoke-me", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := servicekey.Revoke(ctx, st.Pool, "revoke-me", time.Now())
	if err != nil {
		t.Fatalf("revoke by name: %v", err)
	}
	if revoked.ID != key.ID {
		t.Errorf("revoked key id = %s, want %s", revoked.ID, key.ID)
	}
	if _, err := servicekey.Verify(ctx, st.Pool, token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked key still verifies: err = %v", err)
	}
	if _, err := servicekey.Revoke(ctx, st.Pool, key.ID, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second revoke error = %v, want ErrNotFound", err)
	}
}

func TestRevokeAmbiguousName(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	first, _, err := servicekey.Create(ctx, st.Pool, "twin", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Keys made before names were unique can share a name.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO "authd_service_key" ("id", "name", "start", "keyHash", "createdAt")
		VALUES ('twin-2', 'twin', 'authd_sk_abcd', 'hash-of-twin-2', now())`); err != nil {
		t.Fatal(err)
	}
	if _, err := servicekey.Revoke(ctx, st.Pool, "twin", time.Now()); !errors.Is(err, servicekey.ErrAmbiguousName) {
		t.Fatalf("revoke by shared name error = %v, want ErrAmbiguousName", err)
	}
	if _, err := servicekey.Revoke(ctx, st.Pool, first.ID, time.Now()); err != nil {
		t.Fatalf("revoke by id: %v", err)
	}
}
