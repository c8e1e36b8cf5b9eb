package admin

import (
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
)

// listUserSessions returns every stored session of a user, including
// impersonation sessions and their tokens. An unknown user has none.
func (p *Plugin) listUserSessions(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	if err := in.Err(); err != nil {
		return err
	}
	if _, err := p.authorize(c, "session", "list", errNotAllowedToListSessions); err != nil {
		return err
	}
	sessions, err := allUserSessions(c.Ctx(), p.svc.Store.Pool, userID)
	if err != nil {
		return err
	}
	return c.JSON(map[string][]store.Session{"sessions": sessions})
}

// revokeUserSession deletes one session by token. An unknown token still
// succeeds, as in Better Auth; the audit event then has no target.
func (p *Plugin) revokeUserSession(c *auth.Context) error {
	in := bodyInput(c)
	token := in.String("sessionToken", api.MaxLen(maxTokenLength))
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "session", "revoke", errNotAllowedToRevoke)
	if err != nil {
		return err
	}
	ctx := c.Ctx()
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		sessionID, owner, err := deleteSessionByToken(ctx, tx, token)
		if err != nil {
			return err
		}
		// The session id identifies the session; the token is a secret and
		// stays out of the log.
		return p.record(c, tx, a, ActionSessionRevoke, owner, map[string]any{"sessionId": sessionID, "found": sessionID != ""})
	})
	if err != nil {
		return err
	}
	return c.JSON(map[string]bool{"success": true})
}

// revokeUserSessions deletes every session of a user, with no existence
// check, as in Better Auth.
func (p *Plugin) revokeUserSessions(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "session", "revoke", errNotAllowedToRevoke)
	if err != nil {
		return err
	}
	ctx := c.Ctx()
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		n, err := store.DeleteUserSessions(ctx, tx, userID)
		if err != nil {
			return err
		}
		return p.record(c, tx, a, ActionSessionRevokeAll, userID, map[string]any{"sessionsRevoked": n})
	})
	if err != nil {
		return err
	}
	return c.JSON(map[string]bool{"success": true})
}
