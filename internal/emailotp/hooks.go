package emailotp

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/store"
)

// AfterSignUp implements auth.SignUpHook: with SendOnSignUp it mails an
// email-verification code to the new user, inside the sign-up transaction,
// so a failed sign-up sends nothing.
func (p *Plugin) AfterSignUp(ctx context.Context, tx pgx.Tx, user *store.User) error {
	if !p.cfg.SendOnSignUp || p.mailOff() {
		return nil
	}
	return p.issueCode(ctx, tx, typeEmailVerification, user.Email, identifier(typeEmailVerification, user.Email), true)
}

// SendVerificationOnSignIn implements auth.EmailVerificationSender. With
// AUTHD_REQUIRE_EMAIL_VERIFICATION the core refuses the password sign-in of
// an unverified user and calls it: like Better Auth with
// overrideDefaultEmailVerification, authd mails an email-verification code
// instead of a link, which the user completes with verify-email.
func (p *Plugin) SendVerificationOnSignIn(ctx context.Context, user *store.User) error {
	if p.mailOff() {
		return nil
	}
	return p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		return p.issueCode(ctx, tx, typeEmailVerification, user.Email, identifier(typeEmailVerification, user.Email), true)
	})
}
