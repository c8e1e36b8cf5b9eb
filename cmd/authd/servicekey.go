package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/authd/authd/internal/servicekey"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/wire"
)

func init() {
	register("service-key", command{
		usage: "create --name NAME | list | revoke ID|NAME",
		help:  "manage the keys that backends call authd with",
		run:   runServiceKey,
	})
}

func runServiceKey(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: authd service-key create --name NAME | list | revoke ID|NAME")
	}
	url, err := loadDatabaseURL()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, url, store.PoolOptions{MaxConns: 2})
	if err != nil {
		return err
	}
	defer st.Close()

	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("service-key create", flag.ContinueOnError)
		name := fs.String("name", "", "name of the backend that will use the key (required)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		key, token, err := servicekey.Create(ctx, st.Pool, *name, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "created service key %s (%s); it is shown only once:\n", key.ID, key.Name)
		fmt.Println(token)
	case "list":
		keys, err := servicekey.List(ctx, st.Pool)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSTART\tCREATED\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Start, wire.Time(k.CreatedAt),
				optionalTime(k.LastUsedAt), optionalTime(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		if len(args) != 2 {
			return errors.New("usage: authd service-key revoke ID|NAME")
		}
		key, err := servicekey.Revoke(ctx, st.Pool, args[1], time.Now())
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no active service key with id or name %q", args[1])
		}
		if err != nil {
			return err
		}
		fmt.Printf("revoked service key %s (%s)\n", key.ID, key.Name)
	default:
		return fmt.Errorf("unknown action %q: use create, list or revoke", args[0])
	}
	return nil
}

func optionalTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return wire.Time(*t)
}
