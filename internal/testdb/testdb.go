// Package testdb gives each test package a fresh PostgreSQL database of its
// own, so that `go test ./...` can run packages in parallel against one
// server. AUTHD_TEST_DATABASE_URL must be a postgres:// URL whose user may
// CREATE DATABASE; `make test` starts a private cluster and sets it.
//
// Databases are named authd_test_<package>_<8 hex digits> and are not dropped
// when the tests end; `make test-clean` drops them all.
//
// testdb imports internal/store to apply migrations, so tests inside package
// store must live in the external test package store_test to use it.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authd/authd/internal/store"
)

// EnvVar names the environment variable that holds the admin database URL.
const EnvVar = "AUTHD_TEST_DATABASE_URL"

// setupTimeout bounds creating and migrating one database.
const setupTimeout = 2 * time.Minute

var (
	once     sync.Once
	sharedDB string
	initErr  error
)

// New returns the URL of the test process's migrated database. The first call
// in a process creates it and applies all migrations. Later calls return the
// same URL, so tests that share it must not expect empty tables.
func New(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		var u string
		u, initErr = create(ctx, packageName())
		if initErr == nil {
			if err := store.Migrate(ctx, u); err != nil {
				initErr = fmt.Errorf("migrate %s: %w", databaseName(u), err)
			}
		}
		sharedDB = u
	})
	if initErr != nil {
		tb.Fatalf("test database: %v", initErr)
	}
	return sharedDB
}

// NewEmpty returns the URL of a new database without any schema. Each call
// creates another one, for migration tests and schemas made by other tools.
func NewEmpty(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	u, err := create(ctx, packageName()+"_empty")
	if err != nil {
		tb.Fatalf("test database: %v", err)
	}
	return u
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// maxLabelLength keeps authd_test_<label>_<8 hex> within PostgreSQL's
// 63-byte identifier limit.
const maxLabelLength = 63 - len("authd_test_") - len("_") - 8

// packageName returns the base name of the package under test, sanitised for
// a database name. `go test` runs each test binary in its package's folder.
func packageName() string {
	wd, err := os.Getwd()
	if err != nil {
		return "pkg"
	}
	name := unsafeChars.ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_")
	if name == "" {
		return "pkg"
	}
	return name
}

// create creates a database named after label and returns its URL: the admin
// URL with the database name replaced.
func create(ctx context.Context, label string) (string, error) {
	admin := os.Getenv(EnvVar)
	if admin == "" {
		return "", fmt.Errorf("%s is not set: run `make test`, or set it to a postgres:// URL whose user may create databases", EnvVar)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The URL may contain a password, so it stays out of the message.
		return "", fmt.Errorf("%s is not a postgres:// URL; set it to one such as postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable", EnvVar)
	}

	if len(label) > maxLabelLength {
		label = label[:maxLabelLength]
	}
	var suffix [4]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return "", fmt.Errorf("generate database name: %w", err)
	}
	name := "authd_test_" + label + "_" + hex.EncodeToString(suffix[:])

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to the server of %s: %w", EnvVar, err)
	}
	defer conn.Close(context.Background())
	if err := createDatabase(ctx, conn, name); err != nil {
		return "", err
	}

	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// createDatabase retries while another session is connected to template1,
// because PostgreSQL then rejects CREATE DATABASE with SQLSTATE 55006
// (object_in_use). Such sessions, from psql or pg_dump, are usually brief.
func createDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	const attempts = 10
	for i := 1; ; i++ {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		var pgErr *pgconn.PgError
		if err == nil || i == attempts || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			if err != nil {
				return fmt.Errorf("create database %s: %w", name, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create database %s: %w", name, ctx.Err())
		case <-time.After(time.Duration(i) * 100 * time.Millisecond):
		}
	}
}

// databaseName returns the database part of a URL made by create.
func databaseName(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return strings.TrimPrefix(u.Path, "/")
}
