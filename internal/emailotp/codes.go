package emailotp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/mail"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

// Code types, Better Auth's names. Each is also the mail type of its code.
const (
	typeEmailVerification = mail.TypeEmailVerification
	typeSignIn            = mail.TypeSignIn
	typeForgetPassword    = mail.TypeForgetPassword
	typeChangeEmail       = mail.TypeChangeEmail
)

// otpTypes is the request schema's enum, in Better Auth's order, which the
// validation message lists.
var otpTypes = []string{typeEmailVerification, typeSignIn, typeForgetPassword, typeChangeEmail}

// identifier is the verification row key of a code, in Better Auth's format
// "<type>-otp-<email>". A change-email code is keyed by both addresses,
// "change-email-otp-<current>-<new>", so it works only for the account that
// asked for it and only for that new address.
func identifier(kind, email string) string { return kind + "-otp-" + email }

// deriveKey returns the HMAC key of stored codes. It is derived from the
// server secret rather than being the secret itself, so that a stored code
// digest can never be confused with a cookie signature.
func deriveKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("authd email-otp code digest v1"))
	return m.Sum(nil)
}

// digest is the stored form of a code: base64url HMAC-SHA256 over the
// identifier and the code. Binding the identifier means a digest is only
// valid in the row it was written to. Without the server secret a leaked
// table reveals no code, and the short code space cannot be searched
// offline.
func (p *Plugin) digest(ident, code string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(ident))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newCode returns OTPLength random digits. Leading zeros are part of it.
func (p *Plugin) newCode() string { return randstr.String(p.cfg.OTPLength, randstr.Digits) }

// issueCode stores a new code for ident, replacing any previous one, and
// queues its mail to recipient in the same transaction: the mail goes out
// if and only if the code was stored.
//
// Without deliver (an address that has no account) no code is kept, as in
// Better Auth, and nothing is mailed. The response time must not reveal
// which case applied, so that path does the same work. It renders the mail
// and removes the identifier's codes instead of replacing them. Then it
// queues the mail in a savepoint and rolls the savepoint back. Both paths
// run the same number of statements; TestSendTiming measures the times.
func (p *Plugin) issueCode(ctx context.Context, tx pgx.Tx, kind, recipient, ident string, deliver bool) error {
	now := p.svc.Now()
	code := p.newCode()
	msg, err := p.templates.Render(kind, mail.Data{
		Email:            recipient,
		OTP:              code,
		ExpiresInMinutes: p.expiresInMinutes(),
		AppName:          p.cfg.AppName,
	})
	if err != nil {
		return err
	}
	if deliver {
		err = store.ReplaceVerification(ctx, tx, &store.Verification{
			ID:         randstr.ID(),
			Identifier: ident,
			Value:      p.digest(ident, code) + ":0",
			ExpiresAt:  now.Add(p.cfg.ExpiresIn),
			CreatedAt:  now,
			UpdatedAt:  now,
		})
	} else {
		err = deleteCodes(ctx, tx, ident)
	}
	if err != nil {
		return err
	}

	// NOTE: river sends at most one insert notification per queue in 100 ms,
	// and a rolled-back enqueue uses that turn. A real mail queued right
	// after it can then wait for river's next poll, up to a second.
	savepoint, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = savepoint.Rollback(ctx) }() // does nothing after Commit
	if !deliver {
		// The address need not be valid here, because request-password-reset
		// takes any string. The mail is never sent, so a fixed address is used.
		msg.To = placeholderRecipient
	}
	if err := p.outbox.Enqueue(ctx, savepoint, msg); err != nil {
		return err
	}
	if !deliver {
		return savepoint.Rollback(ctx)
	}
	return savepoint.Commit(ctx)
}

// placeholderRecipient addresses the mails that are queued and rolled back
// for unknown addresses. The .invalid top-level domain never resolves.
const placeholderRecipient = "unknown@example.invalid"

// verifyCode counts one submission of otp against the live code of ident
// and compares it. It returns the counted attempt when the code is right,
// and otherwise INVALID_OTP, OTP_EXPIRED or TOO_MANY_ATTEMPTS in Better
// Auth's order:
//
//   - no code → INVALID_OTP;
//   - the code was locked by an earlier submission → TOO_MANY_ATTEMPTS
//     again, until it expires or a new code replaces it. Better Auth deletes
//     a locked code and answers INVALID_OTP from then on; authd keeps
//     answering 403 so a client can tell the user to request a new code;
//   - the code expired → it is deleted, OTP_EXPIRED;
//   - AllowedAttempts submissions were counted before → the code is locked,
//     TOO_MANY_ATTEMPTS;
//   - wrong code → INVALID_OTP, and the submission stays counted.
//
// The count is taken before the comparison, in one statement, so any number
// of concurrent submissions get at most AllowedAttempts comparisons.
func (p *Plugin) verifyCode(ctx context.Context, ident, otp string) (*attempt, error) {
	now := p.svc.Now()
	limit := p.cfg.AllowedAttempts
	a, err := countAttempt(ctx, p.svc.Store.Pool, ident, now, limit)
	if err != nil {
		return nil, err
	}
	switch {
	case a == nil:
		return nil, ErrInvalidOTP
	case !a.counted && a.attempts > limit:
		return nil, ErrTooManyAttempts
	case !a.counted:
		if err := deleteExpiredCodes(ctx, p.svc.Store.Pool, ident, now); err != nil {
			return nil, err
		}
		return nil, ErrOTPExpired
	case a.attempts > limit:
		return nil, ErrTooManyAttempts
	}
	if testHookCompared != nil {
		testHookCompared(ident)
	}
	if !hmac.Equal([]byte(p.digest(ident, otp)), []byte(a.stored)) {
		return nil, ErrInvalidOTP
	}
	return a, nil
}

// testHookCompared lets tests count the comparisons that verifyCode makes.
var testHookCompared func(ident string)

// consumeCode is verifyCode followed by the single-use step: the code is
// deleted by one conditional statement, and only the submission that
// deletes it succeeds. Of concurrent submissions of a right code one
// succeeds, and the others get INVALID_OTP, as a replay does.
func (p *Plugin) consumeCode(ctx context.Context, ident, otp string) error {
	a, err := p.verifyCode(ctx, ident, otp)
	if err != nil {
		return err
	}
	won, err := consumeAttempt(ctx, p.svc.Store.Pool, ident, a)
	if err != nil {
		return err
	}
	if !won {
		return ErrInvalidOTP
	}
	return nil
}

// checkCode is verifyCode for check-verification-otp, which leaves the code
// in place. A right code gives its counted attempt back, because Better
// Auth counts only wrong submissions and a user checks the code before
// using it.
func (p *Plugin) checkCode(ctx context.Context, ident, otp string) error {
	a, err := p.verifyCode(ctx, ident, otp)
	if err != nil {
		return err
	}
	return refundAttempt(ctx, p.svc.Store.Pool, a, p.cfg.AllowedAttempts)
}

// attempt is one counted submission.
type attempt struct {
	id        string
	createdAt time.Time
	stored    string // the digest of the code
	// attempts is the row's count after this submission. When counted is
	// false, it is the count that the statement found.
	attempts int
	counted  bool
}
