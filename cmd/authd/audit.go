package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/authd/authd/internal/admin"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/wire"
)

func init() {
	register("audit", command{
		usage: "list [flags]",
		help:  "show the audit log of admin actions, newest first",
		run:   runAudit,
	})
}

func runAudit(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		return errors.New("usage: authd audit list [--actor ID] [--target ID] [--action A] [--since T] [--limit N] [--json]")
	}
	fs := flag.NewFlagSet("audit list", flag.ContinueOnError)
	actor := fs.String("actor", "", "only events by this user id, service key id or operating system user")
	target := fs.String("target", "", "only events about this user id")
	action := fs.String("action", "", "only this action, such as user.ban or impersonation.start")
	since := fs.String("since", "", "only events at or after this time: an RFC 3339 time (2026-01-31T12:00:00Z) or a duration ago (24h, 7d)")
	limit := fs.Int("limit", 100, "the largest number of events to show (1 to 10000)")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *limit < 1 || *limit > 10000 {
		return fmt.Errorf("--limit %d is out of range: use 1 to 10000", *limit)
	}
	filter := admin.AuditFilter{ActorID: *actor, TargetUserID: *target, Action: *action, Limit: *limit}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return err
		}
		filter.Since = t
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
	events, err := admin.ListAuditEvents(ctx, st.Pool, filter)
	if err != nil {
		return err
	}

	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		for _, e := range events {
			if err := enc.Encode(map[string]any{
				"id": e.ID, "createdAt": wire.Time(e.CreatedAt), "actorType": e.Actor.Type, "actorId": e.Actor.ID,
				"action": e.Action, "targetUserId": e.TargetUserID, "requestId": e.RequestID,
				"ipAddress": e.IPAddress, "details": e.Details,
			}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tIP\tREQUEST\tDETAILS")
	for _, e := range events {
		details, _ := json.Marshal(e.Details)
		fmt.Fprintf(tw, "%s\t%s:%s\t%s\t%s\t%s\t%s\t%s\n", wire.Time(e.CreatedAt), e.Actor.Type, e.Actor.ID, e.Action,
			dash(e.TargetUserID), dash(e.IPAddress), dash(e.RequestID), details)
	}
	return tw.Flush()
}

// parseSince reads an absolute RFC 3339 time or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := config.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("invalid --since %q: use an RFC 3339 time such as 2026-01-31T12:00:00Z or a duration such as 24h or 7d", s)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
