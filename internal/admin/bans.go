package admin

import (
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/wire"
)

// maxBanSeconds bounds banExpiresIn to about a hundred years, so the
// expiry always fits a timestamp.
const maxBanSeconds = 100 * 365 * 24 * 3600

// banUser bans a user and deletes their sessions in one transaction. From
// the next request on, the core rejects the user's cookies and bearer
// tokens and the API Key plugin rejects their keys, until banExpires.
func (p *Plugin) banUser(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	reason := in.OptString("banReason", api.MaxLen(maxBanReasonLength))
	expiresIn := in.OptNumber("banExpiresIn", api.Min(-maxBanSeconds), api.Max(maxBanSeconds))
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "user", "ban", errNotAllowedToBan)
	if err != nil {
		return err
	}
	ctx := c.Ctx()
	// Better Auth looks the user up before the "yourself" check.
	if _, err := store.UserByID(ctx, p.svc.Store.Pool, userID); errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	} else if err != nil {
		return err
	}
	if a.isSelf(userID) {
		return errCannotBanYourself
	}

	// An empty reason falls through to the default, as any falsy value
	// does in Better Auth.
	banReason := reason.Value
	if banReason == "" {
		banReason = p.cfg.DefaultBanReason
	}
	if banReason == "" {
		banReason = "No reason"
	}
	now := c.Now()
	// banExpiresIn 0 means no expiry. A ban without expiry stores NULL, so
	// an older banExpires cannot end it early. Better Auth would keep the
	// old value.
	var expires *time.Time
	switch {
	case expiresIn.Set && expiresIn.Value != 0:
		t := now.Add(time.Duration(math.Round(expiresIn.Value * float64(time.Second))))
		expires = &t
	case p.cfg.DefaultBanExpiresIn > 0:
		t := now.Add(p.cfg.DefaultBanExpiresIn)
		expires = &t
	}

	var user *store.User
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if user, err = banUser(ctx, tx, userID, banReason, expires, now); err != nil {
			return err
		}
		n, err := store.DeleteUserSessions(ctx, tx, userID)
		if err != nil {
			return err
		}
		var expiresAt any
		if expires != nil {
			expiresAt = wire.Time(*expires)
		}
		return p.record(c, tx, a, ActionUserBan, userID, map[string]any{
			"banReason": banReason, "banExpires": expiresAt, "sessionsRevoked": n,
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(userResponse{User: user})
}

func (p *Plugin) unbanUser(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "user", "ban", errNotAllowedToBan)
	if err != nil {
		return err
	}
	ctx := c.Ctx()
	var user *store.User
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if user, err = unbanUser(ctx, tx, userID, c.Now()); err != nil {
			return err
		}
		return p.record(c, tx, a, ActionUserUnban, userID, nil)
	})
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(userResponse{User: user})
}
