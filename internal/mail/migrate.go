package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrateLockKey is the Postgres advisory lock that serialises MigrateOutbox across
// replicas. The value is arbitrary but fixed; it is the first 8 bytes of SHA-256("authd
// mail outbox migrate") read as a signed integer.
const migrateLockKey int64 = 0x2040a9f0a28813dc

// MigrateOutbox creates or upgrades river's tables (river_job, river_queue and others) to the
// version that the linked river module needs. It is idempotent: on an up-to-date database it
// changes nothing. Replicas that start at once take turns through an advisory lock, so any of
// them may call it.
func MigrateOutbox(ctx context.Context, pool *pgxpool.Pool) (err error) {
	if pool == nil {
		return errors.New("migrate mail outbox: missing database pool")
	}

	// The lock belongs to the session, so it must be taken and released on one connection.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate mail outbox: acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return fmt.Errorf("migrate mail outbox: take migration lock: %w", err)
	}
	defer func() {
		// A failed unlock leaves the lock held by this pooled connection, which would block the
		// next caller, so the connection is closed instead of returned to the pool.
		if _, unlockErr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey); unlockErr != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("migrate mail outbox: release migration lock: %w", unlockErr))
		}
	}()

	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("migrate mail outbox: %w", err)
	}
	result, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate mail outbox: apply river migrations: %w", err)
	}
	for _, version := range result.Versions {
		slog.DebugContext(ctx, "applied river migration for the mail outbox",
			"version", version.Version, "name", version.Name, "duration", version.Duration)
	}
	return nil
}
