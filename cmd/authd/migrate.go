package main

import (
	"context"
	"fmt"

	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/store"
)

func init() {
	register("migrate", command{usage: "up|down|status", help: "apply, revert (one step) or show migrations", run: runMigrate})
}

func runMigrate(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: authd migrate up|down|status")
	}
	url, err := loadDatabaseURL()
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		if err := app.MigrateUp(ctx, url); err != nil {
			return err
		}
	case "down":
		if err := store.MigrateDown(ctx, url); err != nil {
			return err
		}
	case "status":
	default:
		return fmt.Errorf("unknown migrate action %q: use up, down or status", args[0])
	}
	state, err := store.MigrationStatus(ctx, url)
	if err != nil {
		return err
	}
	fmt.Printf("current version: %d\nlatest version:  %d\ndirty:           %v\nup to date:      %v\n",
		state.Current, state.Latest, state.Dirty, state.UpToDate())
	return nil
}
