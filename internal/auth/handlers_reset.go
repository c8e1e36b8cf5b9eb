package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/password"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

// authd does not mail reset links (request-password-reset is disabled),
// but a database taken over from Better Auth may hold reset tokens that
// were mailed before the switch. These two endpoints redeem them exactly
// as Better Auth does, so such links keep working.

// resetIdentifierPrefix keys Better Auth's reset tokens in "verification".
const resetIdentifierPrefix = "reset-password:"

// resetPasswordLink is GET /reset-password/:token: it redirects to the
// callback URL with the token, or with error=INVALID_TOKEN when the token
// is unknown or expired. Nothing is consumed here.
func (s *Service) resetPasswordLink(c *Context) error {
	v := c.ValidateQuery()
	callbackURL := v.String("callbackURL", api.MaxLen(maxURLLength))
	if err := v.Err(); err != nil {
		return err
	}
	if callbackURL != "" && !s.Origins.TrustedCallback(callbackURL) {
		return api.ErrInvalidCallbackURL
	}
	token := chi.URLParam(c.R, "token")
	target, err := s.resolveAgainstBase(callbackURL)
	if err != nil {
		return api.ErrInvalidCallbackURL
	}
	row, err := store.LatestVerification(c.Ctx(), s.Store.Pool, resetIdentifierPrefix+token)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && !row.ExpiresAt.After(c.Now())):
		target.RawQuery = setQueryParam(target.RawQuery, "error", "INVALID_TOKEN")
	case err != nil:
		return err
	default:
		target.RawQuery = setQueryParam(target.RawQuery, "token", token)
	}
	c.W.Header().Set("Location", target.String())
	c.W.WriteHeader(http.StatusFound)
	return nil
}

// setQueryParam sets one parameter as URLSearchParams.set does: earlier
// parameters keep their order, and a new one goes last.
func setQueryParam(rawQuery, name, value string) string {
	var kept []string
	for _, pair := range strings.Split(rawQuery, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if pair == "" || key == name {
			continue
		}
		kept = append(kept, pair)
	}
	kept = append(kept, url.QueryEscape(name)+"="+url.QueryEscape(value))
	return strings.Join(kept, "&")
}

// resolveAgainstBase resolves a callback URL as WHATWG's new URL(callback,
// base) does, with the base URL plus base path as the base.
func (s *Service) resolveAgainstBase(callbackURL string) (*url.URL, error) {
	base, err := url.Parse(s.Config.BaseURL.String() + s.Config.BasePath)
	if err != nil {
		return nil, err
	}
	ref, err := url.Parse(callbackURL)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(ref), nil
}

// resetPassword is POST /reset-password: it consumes a reset token and sets
// the user's password, creating the credential account if the user has
// none. The token is single-use: one DELETE … RETURNING consumes it.
func (s *Service) resetPassword(c *Context) error {
	v := c.ValidateBody()
	newPassword := v.String("newPassword")
	bodyToken := v.OptString("token", api.MaxLen(256))
	if err := v.Err(); err != nil {
		return err
	}
	token := bodyToken.Value
	if !bodyToken.Set {
		token = c.R.URL.Query().Get("token")
	}
	if token == "" {
		return api.ErrInvalidToken
	}
	if err := s.checkPasswordLength(newPassword); err != nil {
		return err
	}

	ctx := c.Ctx()
	hash, err := password.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	now := c.Now()
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		row, err := store.ConsumeVerification(ctx, tx, resetIdentifierPrefix+token, now)
		if errors.Is(err, store.ErrNotFound) {
			return api.ErrInvalidToken
		}
		if err != nil {
			return err
		}
		user, err := store.UserByID(ctx, tx, row.Value)
		if errors.Is(err, store.ErrNotFound) {
			return api.ErrUserNotFound
		}
		if err != nil {
			return err
		}
		updated, err := store.SetCredentialPassword(ctx, tx, user.ID, hash, now)
		if err != nil || updated {
			return err
		}
		return store.InsertAccount(ctx, tx, &store.Account{
			ID: randstr.ID(), Issuer: store.CredentialIssuer, AccountID: user.ID,
			ProviderID: store.CredentialProvider, UserID: user.ID, Password: &hash,
			CreatedAt: now, UpdatedAt: now,
		})
	})
	if err != nil {
		return err
	}
	return c.JSON(map[string]bool{"status": true})
}
