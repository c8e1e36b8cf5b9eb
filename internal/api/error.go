// Package api contains the HTTP plumbing that every authd endpoint shares:
// the error type and its wire format, JSON responses, request body reading
// and schema validation with Better Auth's (zod's) messages.
package api

import (
	"fmt"
	"net/http"
)

// Error is an error that the endpoint adapter turns into an HTTP response.
// Handlers return it instead of writing error bodies themselves.
type Error struct {
	Status  int
	Code    string // omitted from the body when empty
	Message string
	// Details, when set, is sent as the "details" field (the API Key
	// plugin's tryAgainIn).
	Details map[string]any
	// EmptyBody sends the status with a zero-length JSON body, as Better
	// Auth's ctx.error(status) does.
	EmptyBody bool
	// Header is copied onto the response (for example Retry-After).
	Header http.Header
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.Message)
}

// NewError returns an error with the {"message","code"} body.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// WithDetails returns a copy of e that carries details.
func (e *Error) WithDetails(details map[string]any) *Error {
	c := *e
	c.Details = details
	return &c
}

// Message returns an error whose body is {"message"} with no code.
func Message(status int, message string) *Error {
	return &Error{Status: status, Message: message}
}

// Empty returns an error with an empty body.
func Empty(status int) *Error {
	return &Error{Status: status, EmptyBody: true}
}

// Core error catalogue. Messages are byte-exact copies of Better Auth 1.7's.
var (
	ErrUnauthorized             = NewError(401, "UNAUTHORIZED", "Unauthorized")
	ErrInvalidJSON              = NewError(400, "BAD_REQUEST", "Invalid JSON in request body")
	ErrUserNotFound             = NewError(400, "USER_NOT_FOUND", "User not found")
	ErrFailedToCreateUser       = NewError(422, "FAILED_TO_CREATE_USER", "Failed to create user")
	ErrFailedToCreateSession    = NewError(400, "FAILED_TO_CREATE_SESSION", "Failed to create session")
	ErrFailedToGetSession       = NewError(401, "FAILED_TO_GET_SESSION", "Failed to get session")
	ErrInvalidPassword          = NewError(400, "INVALID_PASSWORD", "Invalid password")
	ErrInvalidEmail             = NewError(400, "INVALID_EMAIL", "Invalid email")
	ErrInvalidEmailOrPassword   = NewError(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
	ErrInvalidToken             = NewError(400, "INVALID_TOKEN", "Invalid token")
	ErrEmailNotVerified         = NewError(403, "EMAIL_NOT_VERIFIED", "Email not verified")
	ErrPasswordTooShort         = NewError(400, "PASSWORD_TOO_SHORT", "Password too short")
	ErrPasswordTooLong          = NewError(400, "PASSWORD_TOO_LONG", "Password too long")
	ErrUserAlreadyExists        = NewError(422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.")
	ErrEmailCanNotBeUpdated     = NewError(400, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated")
	ErrChangeEmailDisabled      = NewError(400, "CHANGE_EMAIL_DISABLED", "Change email is disabled")
	ErrCredentialAccountMissing = NewError(400, "CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found")
	ErrSessionNotFresh          = NewError(403, "SESSION_NOT_FRESH", "Session is not fresh")
	ErrInvalidOrigin            = NewError(403, "INVALID_ORIGIN", "Invalid origin")
	ErrMissingOrigin            = NewError(403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
	ErrInvalidCallbackURL       = NewError(403, "INVALID_CALLBACK_URL", "Invalid callbackURL")
	ErrInvalidRedirectURL       = NewError(403, "INVALID_REDIRECT_URL", "Invalid redirectURL")
	ErrInvalidErrorCallbackURL  = NewError(403, "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL")
	ErrInvalidNewUserCallback   = NewError(403, "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL")
	ErrCrossSiteNavigation      = NewError(403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack.")
	ErrSignUpDisabled           = NewError(400, "EMAIL_PASSWORD_SIGN_UP_DISABLED", "Email and password sign up is not enabled")
	ErrResetPasswordDisabled    = NewError(400, "RESET_PASSWORD_DISABLED", "Reset password isn't enabled")
	ErrNoFieldsToUpdate         = Message(400, "No fields to update")
	ErrPostGetSession           = NewError(405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "POST method requires deferSessionRefresh to be enabled in session config")
	// ErrBannedUser is the admin plugin's code; the message is configurable,
	// so handlers build it with BannedUser.
	ErrVerificationEmailDisabled = NewError(400, "VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled")
	ErrEmailAlreadyVerified      = NewError(400, "EMAIL_ALREADY_VERIFIED", "Email is already verified")
	ErrEmailMismatch             = NewError(400, "EMAIL_MISMATCH", "Email mismatch")
)

// FieldNotAllowed is the error for an input:false field set by a client.
func FieldNotAllowed(field string) *Error {
	return NewError(400, "FIELD_NOT_ALLOWED", field+" is not allowed to be set")
}

// BannedUser is the 403 for a banned user; message is the operator's
// configured text.
func BannedUser(message string) *Error {
	return NewError(403, "BANNED_USER", message)
}
