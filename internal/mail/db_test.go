package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// newEmptyDatabase creates a fresh database next to the one that AUTHD_TEST_DATABASE_URL
// names, drops it when the test ends, and returns a pool on it. The test is skipped when the
// variable is unset.
//
// TODO: use testdb.NewEmpty(t) once internal/testdb exists.
func newEmptyDatabase(t testing.TB) *pgxpool.Pool {
	t.Helper()

	adminURL := os.Getenv("AUTHD_TEST_DATABASE_URL")
	if adminURL == "" {
		t.Skip("AUTHD_TEST_DATABASE_URL is not set; set it to a Postgres URL whose user may create databases")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connect to AUTHD_TEST_DATABASE_URL: %v", err)
	}
	defer admin.Close(ctx)

	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	name := "authd_mail_test_" + hex.EncodeToString(suffix[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}

	config, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		t.Fatalf("parse AUTHD_TEST_DATABASE_URL: %v", err)
	}
	config.ConnConfig.Database = name
	config.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		t.Fatalf("open pool on test database %s: %v", name, err)
	}

	t.Cleanup(func() {
		pool.Close()

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			t.Errorf("connect to drop test database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return pool
}

// newPool opens a second pool on the database of pool, as another replica would.
func newPool(t *testing.T, pool *pgxpool.Pool) *pgxpool.Pool {
	t.Helper()

	other, err := pgxpool.NewWithConfig(context.Background(), pool.Config().Copy())
	if err != nil {
		t.Fatalf("open second pool: %v", err)
	}
	t.Cleanup(other.Close)
	return other
}
