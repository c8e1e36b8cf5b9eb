package testdb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/store"
)

// currentDatabase connects to databaseURL and returns the name the server
// reports, proving that the URL is reachable.
func currentDatabase(t *testing.T, databaseURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", databaseName(databaseURL), err)
	}
	defer conn.Close(ctx)
	var name string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatalf("query current_database(): %v", err)
	}
	return name
}

func TestNewEmptyDistinct(t *testing.T) {
	first, second := NewEmpty(t), NewEmpty(t)
	if first == second {
		t.Fatalf("NewEmpty returned %s twice", first)
	}
	for _, u := range []string{first, second} {
		want := databaseName(u)
		if !strings.HasPrefix(want, "authd_test_testdb_empty_") {
			t.Errorf("database name = %q, want prefix authd_test_testdb_empty_", want)
		}
		if got := currentDatabase(t, u); got != want {
			t.Errorf("current_database() = %q, want %q", got, want)
		}
	}
}

func TestNewShared(t *testing.T) {
	first, second := New(t), New(t)
	if first != second {
		t.Fatalf("New returned %s, then %s; want one database per process", first, second)
	}
	if got, want := currentDatabase(t, first), databaseName(first); got != want {
		t.Errorf("current_database() = %q, want %q", got, want)
	}
	state, err := store.MigrationStatus(context.Background(), first)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	if !state.UpToDate() {
		t.Errorf("migration state = %+v, want all migrations applied", state)
	}
}

func TestMaxLabelLength(t *testing.T) {
	name := "authd_test_" + strings.Repeat("x", maxLabelLength) + "_0123abcd"
	if len(name) != 63 {
		t.Errorf("longest database name has %d bytes, want 63", len(name))
	}
}
