package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
)

// Actor types in the audit log.
const (
	ActorUser       = "user"        // a signed-in user; ID is the user id
	ActorServiceKey = "service_key" // a backend; ID is the service key id
	ActorCLI        = "cli"         // the authd command line; ID is the operating system user
)

// Audit actions. Each names one change; reads are not recorded.
const (
	ActionUserCreate         = "user.create"
	ActionUserUpdate         = "user.update"
	ActionUserSetRole        = "user.set_role"
	ActionUserSetPassword    = "user.set_password"
	ActionUserBan            = "user.ban"
	ActionUserUnban          = "user.unban"
	ActionUserRemove         = "user.remove"
	ActionSessionRevoke      = "session.revoke"
	ActionSessionRevokeAll   = "session.revoke_all"
	ActionImpersonationStart = "impersonation.start"
	ActionImpersonationStop  = "impersonation.stop"
)

// Actor is who made a change.
type Actor struct {
	Type string
	ID   string
}

// AuditEvent is one row of authd_audit_event. Details never hold secrets:
// no passwords, session tokens or keys.
type AuditEvent struct {
	ID           int64
	CreatedAt    time.Time
	Actor        Actor
	Action       string
	TargetUserID string // "" when the change has no single target user
	RequestID    string // "" outside an HTTP request
	IPAddress    string
	Details      map[string]any
}

// insertAuditEvent writes the event. Callers pass the transaction of the
// change itself, so the log contains an event exactly when the change
// committed.
func insertAuditEvent(ctx context.Context, db store.DB, e *AuditEvent) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	_, err = db.Exec(ctx, `INSERT INTO "authd_audit_event"
			("createdAt", "actorType", "actorId", "action", "targetUserId", "requestId", "ipAddress", "details")
		VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''), $8)`,
		e.CreatedAt, e.Actor.Type, e.Actor.ID, e.Action, e.TargetUserID, e.RequestID, e.IPAddress, raw)
	return err
}

// event builds the audit event of an admin change made over HTTP. A change
// made from an impersonation session also names the admin behind it.
func (p *Plugin) event(c *auth.Context, a *actor, action, target string, details map[string]any) *AuditEvent {
	if details == nil {
		details = map[string]any{}
	}
	if s := a.caller.Session; s != nil && deref(s.ImpersonatedBy) != "" {
		details["impersonatedBy"] = *s.ImpersonatedBy
	}
	return &AuditEvent{
		CreatedAt:    c.Now(),
		Actor:        a.auditActor(),
		Action:       action,
		TargetUserID: target,
		RequestID:    api.RequestID(c.Ctx()),
		IPAddress:    c.ClientIP(),
		Details:      details,
	}
}

// record writes the audit event of an admin change inside tx, the
// transaction of the change.
func (p *Plugin) record(c *auth.Context, tx store.DB, a *actor, action, target string, details map[string]any) error {
	return insertAuditEvent(c.Ctx(), tx, p.event(c, a, action, target, details))
}

// AuditFilter selects audit events. Empty fields match everything.
type AuditFilter struct {
	ActorID      string
	TargetUserID string
	Action       string
	Since        time.Time
	// Limit is the largest number of events returned, newest first.
	Limit int
}

// ListAuditEvents returns matching events, newest first.
func ListAuditEvents(ctx context.Context, db store.DB, f AuditFilter) ([]AuditEvent, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ActorID != "" {
		add(`"actorId" = $%d`, f.ActorID)
	}
	if f.TargetUserID != "" {
		add(`"targetUserId" = $%d`, f.TargetUserID)
	}
	if f.Action != "" {
		add(`"action" = $%d`, f.Action)
	}
	if !f.Since.IsZero() {
		add(`"createdAt" >= $%d`, f.Since)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT "id", "createdAt", "actorType", "actorId", "action", COALESCE("targetUserId", ''),
		COALESCE("requestId", ''), COALESCE("ipAddress", ''), "details" FROM "authd_audit_event"`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	query += fmt.Sprintf(` ORDER BY "createdAt" DESC, "id" DESC LIMIT $%d`, len(args))

	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var raw []byte
		if err := rows.Scan(&e.ID, &e.CreatedAt, &e.Actor.Type, &e.Actor.ID, &e.Action, &e.TargetUserID,
			&e.RequestID, &e.IPAddress, &raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &e.Details); err != nil {
			return nil, fmt.Errorf("decode details of audit event %d: %w", e.ID, err)
		}
		events = append(events, e)
	}
	return events, rows.Err()
}
