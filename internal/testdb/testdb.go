// Package testdb gives each test package a fresh Postgres database of its
// own. AUTHD_TEST_DATABASE_URL must name a server where the user may
// CREATE DATABASE; `make test` starts a private cluster and sets it.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/store"
)

// EnvVar names the admin database URL.
const EnvVar = "AUTHD_TEST_DATABASE_URL"

var (
	once     sync.Once
	sharedDB string
	initErr  error
)

// New returns the URL of the package's migrated database, created on the
// first call of the test process.
func New(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		var u string
		u, initErr = create(packageName())
		if initErr == nil {
			initErr = store.Migrate(context.Background(), u)
		}
		sharedDB = u
	})
	if initErr != nil {
		tb.Fatalf("test database: %v", initErr)
	}
	return sharedDB
}

// NewEmpty returns the URL of a new database without migrations; each call
// makes another one.
func NewEmpty(tb testing.TB) string {
	tb.Helper()
	u, err := create(packageName() + "_empty")
	if err != nil {
		tb.Fatalf("test database: %v", err)
	}
	return u
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

func packageName() string {
	wd, err := os.Getwd()
	if err != nil {
		return "pkg"
	}
	name := unsafeChars.ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_")
	if len(name) > 30 {
		name = name[:30]
	}
	return name
}

func create(label string) (string, error) {
	admin := os.Getenv(EnvVar)
	if admin == "" {
		return "", fmt.Errorf("%s is not set: run `make test`, or set it to a Postgres URL whose user may create databases", EnvVar)
	}
	var raw [4]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	name := "authd_test_" + label + "_" + hex.EncodeToString(raw[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}
