package emailotp

import "github.com/authd/authd/internal/api"

// The plugin's errors. Messages and codes are Better Auth 1.7's, byte for
// byte; the message-only ones have no code in Better Auth either. The core
// errors these endpoints also return (INVALID_EMAIL, USER_NOT_FOUND,
// PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, UNAUTHORIZED, FIELD_NOT_ALLOWED)
// come from package api.
var (
	ErrInvalidOTP      = api.NewError(400, "INVALID_OTP", "Invalid OTP")
	ErrOTPExpired      = api.NewError(400, "OTP_EXPIRED", "OTP expired")
	ErrTooManyAttempts = api.NewError(403, "TOO_MANY_ATTEMPTS", "Too many attempts")

	ErrInvalidOTPType         = api.Message(400, "Invalid OTP type")
	ErrMailNotConfigured      = api.Message(400, "send email verification is not implemented")
	ErrChangeEmailDisabled    = api.Message(400, "Change email with OTP is disabled")
	ErrEmailIsTheSame         = api.Message(400, "Email is the same")
	ErrCurrentEmailOTPMissing = api.Message(400, "OTP is required to verify current email")
	ErrEmailAlreadyInUse      = api.Message(400, "Email already in use")
)
