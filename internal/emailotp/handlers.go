package emailotp

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/password"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

// Limits that authd adds where Better Auth has none, the same as the core's
// sign-up: an address longer than an RFC 5321 path cannot be an account,
// and a row key must stay far below Postgres's index entry limit.
const (
	maxEmailLength = 254
	maxNameLength  = 256
	maxImageLength = 2048
)

var success = map[string]bool{"success": true}

// normalizeEmail lower-cases an address as every Better Auth endpoint does.
// Nothing is trimmed: " a@b.co" is a different, invalid address.
func normalizeEmail(email string) string { return strings.ToLower(email) }

func validEmail(email string) bool { return len(email) <= maxEmailLength && api.IsEmail(email) }

// sendVerificationOTP stores and mails a code of the requested type.
// Existing and unknown addresses get the same 200; only an account's
// address, or any address for sign-in while sign-up is allowed, gets a
// mail.
func (p *Plugin) sendVerificationOTP(c *auth.Context) error {
	v := c.ValidateBody()
	rawEmail := v.String("email")
	kind := v.String("type", api.OneOf(otpTypes...))
	if err := v.Err(); err != nil {
		return err
	}
	if err := c.CheckFormCSRF(); err != nil {
		return err
	}
	if p.mailOff() {
		return ErrMailNotConfigured
	}
	email := normalizeEmail(rawEmail)
	if !validEmail(email) {
		return api.ErrInvalidEmail
	}
	if kind == typeChangeEmail {
		// Change-email codes are keyed by both addresses and need a session;
		// request-email-change sends them.
		return ErrInvalidOTPType
	}

	ctx := c.Ctx()
	err := p.issueCodeByAccount(ctx, kind, email, identifier(kind, email), func(known bool) bool {
		return known || (kind == typeSignIn && !p.cfg.DisableSignUp)
	})
	if err != nil {
		return err
	}
	return c.JSON(success)
}

// issueCodeByAccount issues a code for recipient in one transaction.
// deliver receives whether an account uses recipient's address and decides
// whether the mail is sent. issueCode does the same work either way, so the
// response time does not reveal the account.
func (p *Plugin) issueCodeByAccount(ctx context.Context, kind, recipient, ident string, deliver func(known bool) bool) error {
	return p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		known, err := userExists(ctx, tx, recipient)
		if err != nil {
			return err
		}
		return p.issueCode(ctx, tx, kind, recipient, ident, deliver(known))
	})
}

// checkVerificationOTP reports whether a code is right without using it
// up. A wrong code gets INVALID_OTP whether or not the address has an
// account. USER_NOT_FOUND comes only after a right code, whose holder
// controls the mailbox anyway.
func (p *Plugin) checkVerificationOTP(c *auth.Context) error {
	v := c.ValidateBody()
	rawEmail := v.String("email")
	kind := v.String("type", api.OneOf(otpTypes...))
	otp := v.String("otp")
	if err := v.Err(); err != nil {
		return err
	}
	email := normalizeEmail(rawEmail)
	if !validEmail(email) {
		return api.ErrInvalidEmail
	}

	ctx := c.Ctx()
	if err := p.checkCode(ctx, identifier(kind, email), otp); err != nil {
		return err
	}
	known, err := userExists(ctx, p.svc.Store.Pool, email)
	if err != nil {
		return err
	}
	if !known {
		return api.ErrUserNotFound
	}
	return c.JSON(success)
}

type verifyEmailResponse struct {
	Status bool        `json:"status"`
	Token  *string     `json:"token"`
	User   *store.User `json:"user"`
}

// verifyEmail marks the address verified with an email-verification code.
// It needs no session, and signs the user in only when
// AutoSignInAfterVerification is on.
func (p *Plugin) verifyEmail(c *auth.Context) error {
	v := c.ValidateBody()
	rawEmail := v.String("email")
	otp := v.String("otp")
	if err := v.Err(); err != nil {
		return err
	}
	email := normalizeEmail(rawEmail)
	if !validEmail(email) {
		return api.ErrInvalidEmail
	}

	ctx := c.Ctx()
	pool := p.svc.Store.Pool
	if err := p.consumeCode(ctx, identifier(typeEmailVerification, email), otp); err != nil {
		return err
	}
	user, err := store.UserByEmail(ctx, pool, email)
	if errors.Is(err, store.ErrNotFound) {
		return api.ErrUserNotFound
	}
	if err != nil {
		return err
	}
	user, err = setVerifiedEmail(ctx, pool, user.ID, email, c.Now())
	if err != nil {
		return err
	}
	if !p.cfg.AutoSignInAfterVerification {
		return c.JSON(verifyEmailResponse{Status: true, User: user})
	}
	session, err := c.CreateSession(ctx, pool, user, auth.SessionOptions{})
	if err != nil {
		return err
	}
	c.SetSessionCookie(session.Token, false)
	return c.JSON(verifyEmailResponse{Status: true, Token: &session.Token, User: user})
}

type signInResponse struct {
	Token string      `json:"token"`
	User  *store.User `json:"user"`
}

// adminUserFields are the Admin plugin's columns that a client may not set
// when sign-in creates the account. banned is reset silently, because it
// has a default; the core's sign-up treats them the same way.
var adminUserFields = []string{"role", "banReason", "banExpires"}

// signIn signs in with a sign-in code. It creates the account when the
// address has none and sign-up is allowed, and it strips an unverified
// account of everything gained before the code proved the mailbox.
func (p *Plugin) signIn(c *auth.Context) error {
	v := api.ValidateBodyRecord(c.Body)
	rawEmail := v.String("email")
	otp := v.String("otp")
	name := v.OptString("name", api.MaxLen(maxNameLength))
	image := v.OptString("image", api.MaxLen(maxImageLength))
	if err := v.Err(); err != nil {
		return err
	}
	// Better Auth does not check the format here: a malformed address has no
	// code and gets INVALID_OTP.
	email := normalizeEmail(rawEmail)

	ctx := c.Ctx()
	if err := p.consumeCode(ctx, identifier(typeSignIn, email), otp); err != nil {
		return err
	}
	user, err := store.UserByEmail(ctx, p.svc.Store.Pool, email)
	if errors.Is(err, store.ErrNotFound) {
		if p.cfg.DisableSignUp {
			return ErrInvalidOTP
		}
		for _, f := range adminUserFields {
			if val, ok := c.Body.Field(f); ok && api.Truthy(val) {
				return api.FieldNotAllowed(f)
			}
		}
		session, created, err := p.createUser(c, email, name.Value, image.Ptr())
		if err == nil {
			c.SetSessionCookie(session.Token, false)
			return c.JSON(signInResponse{Token: session.Token, User: created})
		}
		if !store.IsUniqueViolation(err) {
			return err
		}
		// The address signed up meanwhile, so sign in to that account.
		user, err = store.UserByEmail(ctx, p.svc.Store.Pool, email)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}

	var session *store.Session
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		if !user.EmailVerified {
			promoted, err := revokeUnprovenAccess(ctx, tx, user.ID, c.Now())
			if errors.Is(err, store.ErrNotFound) {
				return ErrInvalidOTP
			}
			if err != nil {
				return err
			}
			user = promoted
		}
		var err error
		session, err = c.CreateSession(ctx, tx, user, auth.SessionOptions{})
		return err
	})
	if err != nil {
		return err
	}
	c.SetSessionCookie(session.Token, false)
	return c.JSON(signInResponse{Token: session.Token, User: user})
}

// createUser creates the verified account of a first sign-in with a code,
// and its session, in one transaction.
func (p *Plugin) createUser(c *auth.Context, email, name string, image *string) (*store.Session, *store.User, error) {
	ctx := c.Ctx()
	now := c.Now()
	role := p.svc.Config.DefaultRole
	banned := false
	user := &store.User{
		ID: randstr.ID(), Name: name, Email: email, EmailVerified: true, Image: image,
		CreatedAt: now, UpdatedAt: now, Role: &role, Banned: &banned,
	}
	var session *store.Session
	err := p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.InsertUser(ctx, tx, user); err != nil {
			return err
		}
		var err error
		session, err = c.CreateSession(ctx, tx, user, auth.SessionOptions{})
		return err
	})
	return session, user, err
}

// requestPasswordReset mails a forget-password code to an account's
// address. Every request gets 200, also for an unknown or malformed
// address, so the response reveals nothing about accounts.
func (p *Plugin) requestPasswordReset(c *auth.Context) error {
	v := c.ValidateBody()
	rawEmail := v.String("email")
	if err := v.Err(); err != nil {
		return err
	}
	if p.mailOff() {
		return ErrMailNotConfigured
	}
	email := normalizeEmail(rawEmail)
	if len(email) > maxEmailLength {
		return c.JSON(success)
	}

	ctx := c.Ctx()
	err := p.issueCodeByAccount(ctx, typeForgetPassword, email, identifier(typeForgetPassword, email), func(known bool) bool {
		return known
	})
	if err != nil {
		return err
	}
	return c.JSON(success)
}

// forgetPassword is the deprecated path of requestPasswordReset, kept for
// older clients.
func (p *Plugin) forgetPassword(c *auth.Context) error {
	p.deprecationOnce.Do(func() {
		p.log.WarnContext(c.Ctx(), "POST /forget-password/email-otp is deprecated; clients should call /email-otp/request-password-reset")
	})
	return p.requestPasswordReset(c)
}

// resetPassword sets a new password with a forget-password code. The
// password length is checked first, so a too short password does not use
// up the code.
func (p *Plugin) resetPassword(c *auth.Context) error {
	v := c.ValidateBody()
	rawEmail := v.String("email")
	otp := v.String("otp")
	newPassword := v.String("password")
	if err := v.Err(); err != nil {
		return err
	}
	n := api.UTF16Len(newPassword)
	if n < p.svc.Config.MinPasswordLength {
		return api.ErrPasswordTooShort
	}
	if n > p.svc.Config.MaxPasswordLength {
		return api.ErrPasswordTooLong
	}
	email := normalizeEmail(rawEmail)

	ctx := c.Ctx()
	if err := p.consumeCode(ctx, identifier(typeForgetPassword, email), otp); err != nil {
		return err
	}
	user, err := store.UserByEmail(ctx, p.svc.Store.Pool, email)
	if errors.Is(err, store.ErrNotFound) {
		return api.ErrUserNotFound
	}
	if err != nil {
		return err
	}
	hash, err := password.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	now := c.Now()
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := setPassword(ctx, tx, user.ID, hash, now); err != nil {
			return err
		}
		// The code proves the mailbox, so the address counts as verified.
		if !user.EmailVerified {
			if _, err := store.SetEmailVerified(ctx, tx, user.ID, now); err != nil {
				return err
			}
		}
		if p.cfg.RevokeSessionsOnPasswordReset {
			if _, err := store.DeleteUserSessions(ctx, tx, user.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.JSON(success)
}

// setPassword updates the credential account's hash, or creates the
// credential account for a user who had none (one who signed up with a
// code).
func setPassword(ctx context.Context, tx pgx.Tx, userID, hash string, now time.Time) error {
	updated, err := store.SetCredentialPassword(ctx, tx, userID, hash, now)
	if err != nil || updated {
		return err
	}
	return store.InsertAccount(ctx, tx, &store.Account{
		ID: randstr.ID(), Issuer: store.CredentialIssuer, AccountID: userID,
		ProviderID: store.CredentialProvider, UserID: userID, Password: &hash,
		CreatedAt: now, UpdatedAt: now,
	})
}

// requestEmailChange mails a change-email code to the new address of the
// signed-in user. An address that belongs to another account gets the same
// 200 and no mail.
func (p *Plugin) requestEmailChange(c *auth.Context) error {
	v := c.ValidateBody()
	rawNewEmail := v.String("newEmail")
	otp := v.OptString("otp")
	if err := v.Err(); err != nil {
		return err
	}
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if !p.cfg.ChangeEmail {
		return ErrChangeEmailDisabled
	}
	if p.mailOff() {
		return ErrMailNotConfigured
	}
	current := normalizeEmail(caller.User.Email)
	newEmail := normalizeEmail(rawNewEmail)
	if !validEmail(newEmail) {
		return api.ErrInvalidEmail
	}
	if newEmail == current {
		return ErrEmailIsTheSame
	}

	ctx := c.Ctx()
	if p.cfg.ChangeEmailVerifyCurrent {
		if otp.Value == "" {
			return ErrCurrentEmailOTPMissing
		}
		if err := p.consumeCode(ctx, identifier(typeEmailVerification, current), otp.Value); err != nil {
			return err
		}
	}
	// A new address that an account already uses gets no mail, with the
	// same response, so the endpoint reveals nothing about other accounts.
	err = p.issueCodeByAccount(ctx, typeChangeEmail, newEmail, identifier(typeChangeEmail, current+"-"+newEmail), func(inUse bool) bool {
		return !inUse
	})
	if err != nil {
		return err
	}
	return c.JSON(success)
}

// changeEmail moves the signed-in user to the new address with the code
// that request-email-change mailed there, and re-issues the session cookie.
func (p *Plugin) changeEmail(c *auth.Context) error {
	v := c.ValidateBody()
	rawNewEmail := v.String("newEmail")
	otp := v.String("otp")
	if err := v.Err(); err != nil {
		return err
	}
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if !p.cfg.ChangeEmail {
		return ErrChangeEmailDisabled
	}
	current := normalizeEmail(caller.User.Email)
	newEmail := normalizeEmail(rawNewEmail)
	if !validEmail(newEmail) {
		return api.ErrInvalidEmail
	}
	if newEmail == current {
		return ErrEmailIsTheSame
	}

	ctx := c.Ctx()
	pool := p.svc.Store.Pool
	if err := p.consumeCode(ctx, identifier(typeChangeEmail, current+"-"+newEmail), otp); err != nil {
		return err
	}
	user, err := store.UserByEmail(ctx, pool, current)
	if errors.Is(err, store.ErrNotFound) {
		return api.ErrUserNotFound
	}
	if err != nil {
		return err
	}
	_, err = setVerifiedEmail(ctx, pool, user.ID, newEmail, c.Now())
	if store.IsUniqueViolation(err) {
		return ErrEmailAlreadyInUse
	}
	if err != nil {
		return err
	}
	if caller.APIKeyID == "" {
		c.SetSessionCookie(caller.Session.Token, caller.DontRemember)
	}
	return c.JSON(success)
}
