package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

func open(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.New(t), store.PoolOptions{MaxConns: 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

var idCounter atomic.Int64

func newID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), idCounter.Add(1))
}

func insertUser(t *testing.T, st *store.Store) *store.User {
	t.Helper()
	now := time.Now()
	u := &store.User{ID: newID("user"), Name: "N", CreatedAt: now, UpdatedAt: now}
	u.Email = u.ID + "@example.com"
	if err := store.InsertUser(context.Background(), st.Pool, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// A verification row is consumed by exactly one of many concurrent
// callers: the DELETE ... RETURNING hands the row to one of them.
func TestConsumeVerificationOnce(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Now()
	id := newID("reset")
	if err := store.InsertVerification(ctx, st.Pool, &store.Verification{ID: id, Identifier: id, Value: "v",
		ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := store.ConsumeVerification(ctx, st.Pool, id, now)
			switch {
			case err == nil && v.Value == "v":
				wins.Add(1)
			case errors.Is(err, store.ErrNotFound):
			default:
				t.Errorf("consume: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d callers consumed the row, want 1", wins.Load())
	}
}

func TestConsumeVerificationExpired(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Now()
	id := newID("expired")
	if err := store.InsertVerification(ctx, st.Pool, &store.Verification{ID: id, Identifier: id, Value: "v",
		ExpiresAt: now.Add(-time.Second), CreatedAt: now.Add(-time.Hour), UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ConsumeVerification(ctx, st.Pool, id, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired row: %v, want ErrNotFound", err)
	}
	// The expired row is deleted all the same.
	if _, err := store.LatestVerification(ctx, st.Pool, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired row still stored: %v", err)
	}
}

func TestReplaceVerification(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Now()
	ident := newID("otp")
	for i, value := range []string{"first", "second"} {
		v := &store.Verification{ID: ident + "-" + value, Identifier: ident, Value: value, ExpiresAt: now.Add(time.Hour),
			CreatedAt: now.Add(time.Duration(i) * time.Second), UpdatedAt: now}
		if err := store.ReplaceVerification(ctx, st.Pool, v); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM "verification" WHERE "identifier" = $1`, ident).Scan(&n); err != nil {
		t.Fatal(err)
	}
	latest, err := store.LatestVerification(ctx, st.Pool, ident)
	if err != nil || n != 1 || latest.Value != "second" {
		t.Errorf("rows %d, latest %+v, err %v: want only the second", n, latest, err)
	}
}

func TestExtendDeletedSession(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	u := insertUser(t, st)
	now := time.Now()
	s := &store.Session{ID: newID("session"), Token: newID("token"), ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now, UserID: u.ID}
	if err := store.InsertSession(ctx, st.Pool, s); err != nil {
		t.Fatal(err)
	}
	got, err := store.ExtendSession(ctx, st.Pool, s.ID, now.Add(2*time.Hour), now)
	if err != nil || !got.ExpiresAt.Equal(now.Add(2*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("extend: %+v, %v", got, err)
	}
	if err := store.DeleteSessionByToken(ctx, st.Pool, s.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ExtendSession(ctx, st.Pool, s.ID, now.Add(3*time.Hour), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("extend a deleted session: %v, want ErrNotFound", err)
	}
}

func TestUniqueEmail(t *testing.T) {
	st := open(t)
	u := insertUser(t, st)
	dup := *u
	dup.ID = newID("dup")
	err := store.InsertUser(context.Background(), st.Pool, &dup)
	if !store.IsUniqueViolation(err) {
		t.Errorf("duplicate email: %v, want a unique violation", err)
	}
}

func TestCredentialAccount(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	u := insertUser(t, st)
	if _, err := store.CredentialAccount(ctx, st.Pool, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no account yet: %v", err)
	}
	if ok, err := store.SetCredentialPassword(ctx, st.Pool, u.ID, "h1", time.Now()); ok || err != nil {
		t.Fatalf("set password without an account: %v %v", ok, err)
	}
	hash := "h0"
	now := time.Now()
	a := &store.Account{ID: newID("account"), Issuer: store.CredentialIssuer, AccountID: u.ID, ProviderID: store.CredentialProvider,
		UserID: u.ID, Password: &hash, CreatedAt: now, UpdatedAt: now}
	if err := store.InsertAccount(ctx, st.Pool, a); err != nil {
		t.Fatal(err)
	}
	if ok, err := store.SetCredentialPassword(ctx, st.Pool, u.ID, "h1", now); !ok || err != nil {
		t.Fatalf("set password: %v %v", ok, err)
	}
	got, err := store.CredentialAccount(ctx, st.Pool, u.ID)
	if err != nil || got.Password == nil || *got.Password != "h1" || got.Issuer != store.CredentialIssuer {
		t.Errorf("account %+v, %v", got, err)
	}
}
