package main

import (
	"context"
	"fmt"
	"os"

	"github.com/authd/authd/internal/app"
	"github.com/authd/authd/internal/version"
)

func init() {
	register("serve", command{help: "run the server (the default command)", run: runServe})
	register("version", command{help: "print the version", run: func(context.Context, []string) error {
		fmt.Println(version.Version)
		return nil
	}})
}

func runServe(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	settings, err := app.LoadSettings(os.LookupEnv)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := app.NewLogger(settings.Core)
	for _, name := range settings.UnknownVariables(os.Environ()) {
		log.Warn("unknown setting ignored; check its spelling against docs/configuration.md", "variable", name)
	}
	a, err := app.Build(ctx, settings, log)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}

// loadDatabaseURL returns AUTHD_DATABASE_URL for commands that need only
// the database.
func loadDatabaseURL() (string, error) {
	url := os.Getenv("AUTHD_DATABASE_URL")
	if url == "" {
		return "", fmt.Errorf("AUTHD_DATABASE_URL is not set")
	}
	return url, nil
}
