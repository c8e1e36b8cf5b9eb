package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/authd/authd/migrations"
)

// MigrationsTable is golang-migrate's bookkeeping table. It carries the
// authd_ prefix so it cannot collide with a table of Better Auth's.
const MigrationsTable = "authd_schema_migrations"

func newMigrator(databaseURL string) (*migrate.Migrate, error) {
	source, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	// golang-migrate's pgx driver registers the scheme pgx5.
	u.Scheme = "pgx5"
	q := u.Query()
	q.Set("x-migrations-table", MigrationsTable)
	u.RawQuery = q.Encode()
	m, err := migrate.NewWithSourceInstance("iofs", source, u.String())
	if err != nil {
		return nil, fmt.Errorf("open database for migrations: %w", err)
	}
	return m, nil
}

// Migrate applies every pending migration. It is safe to run from several
// replicas at once: golang-migrate holds a Postgres advisory lock meanwhile.
func Migrate(ctx context.Context, databaseURL string) error {
	m, err := newMigrator(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return ctx.Err()
}

// MigrateDown reverts the newest applied migration.
func MigrateDown(ctx context.Context, databaseURL string) error {
	m, err := newMigrator(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Steps(-1); err != nil {
		return fmt.Errorf("revert migration: %w", err)
	}
	return ctx.Err()
}

// MigrationState describes the database's schema version.
type MigrationState struct {
	Current uint // 0 when nothing is applied
	Latest  uint
	Dirty   bool
}

// UpToDate reports whether every embedded migration is applied cleanly.
func (s MigrationState) UpToDate() bool { return !s.Dirty && s.Current == s.Latest }

// MigrationStatus returns the applied and the newest embedded version.
func MigrationStatus(ctx context.Context, databaseURL string) (MigrationState, error) {
	m, err := newMigrator(databaseURL)
	if err != nil {
		return MigrationState{}, err
	}
	defer m.Close()
	var state MigrationState
	current, dirty, err := m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return state, fmt.Errorf("read schema version: %w", err)
	}
	state.Current, state.Dirty = current, dirty
	state.Latest, err = LatestMigration()
	return state, err
}

// LatestMigration returns the newest embedded migration version.
func LatestMigration() (uint, error) {
	source, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return 0, err
	}
	defer source.Close()
	v, err := source.First()
	if err != nil {
		return 0, err
	}
	for {
		next, err := source.Next(v)
		if err != nil {
			return v, nil
		}
		v = next
	}
}
