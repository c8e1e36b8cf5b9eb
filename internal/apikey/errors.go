package apikey

import (
	"net/http"

	"github.com/authd/authd/internal/api"
)

// Verification outcome codes. CodeValid is authd's name for success (the
// metrics label). The others are Better Auth's error codes.
const (
	CodeValid                  = "VALID"
	CodeInvalidAPIKey          = "INVALID_API_KEY"
	CodeKeyDisabled            = "KEY_DISABLED"
	CodeKeyExpired             = "KEY_EXPIRED"
	CodeKeyNotFound            = "KEY_NOT_FOUND"
	CodeUsageExceeded          = "USAGE_EXCEEDED"
	CodeRateLimited            = "RATE_LIMITED"
	CodeUserBanned             = "USER_BANNED"
	CodeInvalidReferenceID     = "INVALID_REFERENCE_ID_FROM_API_KEY"
	msgRateLimitExceeded       = "Rate limit exceeded."
	msgInvalidAPIKey           = "Invalid API key."
	msgOrganizationUnsupported = "Organization plugin is required for organization-owned API keys. Please install and configure the organization plugin."
)

// The plugin's error catalogue. Codes, messages and statuses are Better
// Auth 1.7's, byte for byte.
var (
	ErrInvalidMetadataType    = api.NewError(http.StatusBadRequest, "INVALID_METADATA_TYPE", "metadata must be an object or undefined")
	ErrRefillAmountNoInterval = api.NewError(http.StatusBadRequest, "REFILL_AMOUNT_AND_INTERVAL_REQUIRED", "refillAmount is required when refillInterval is provided")
	ErrRefillIntervalNoAmount = api.NewError(http.StatusBadRequest, "REFILL_INTERVAL_AND_AMOUNT_REQUIRED", "refillInterval is required when refillAmount is provided")
	ErrUnauthorizedSession    = api.NewError(http.StatusUnauthorized, "UNAUTHORIZED_SESSION", "Unauthorized or invalid session")
	ErrKeyNotFound            = api.NewError(http.StatusNotFound, CodeKeyNotFound, "API Key not found")
	ErrExpiresInTooSmall      = api.NewError(http.StatusBadRequest, "EXPIRES_IN_IS_TOO_SMALL", "The expiresIn is smaller than the predefined minimum value.")
	ErrExpiresInTooLarge      = api.NewError(http.StatusBadRequest, "EXPIRES_IN_IS_TOO_LARGE", "The expiresIn is larger than the predefined maximum value.")
	ErrInvalidPrefixLength    = api.NewError(http.StatusBadRequest, "INVALID_PREFIX_LENGTH", "The prefix length is either too large or too small.")
	ErrInvalidNameLength      = api.NewError(http.StatusBadRequest, "INVALID_NAME_LENGTH", "The name length is either too large or too small.")
	ErrMetadataDisabled       = api.NewError(http.StatusBadRequest, "METADATA_DISABLED", "Metadata is disabled.")
	ErrNoValuesToUpdate       = api.NewError(http.StatusBadRequest, "NO_VALUES_TO_UPDATE", "No values to update.")
	ErrCustomExpiryDisabled   = api.NewError(http.StatusBadRequest, "KEY_DISABLED_EXPIRATION", "Custom key expiration values are disabled.")
	ErrServerOnlyProperty     = api.NewError(http.StatusBadRequest, "SERVER_ONLY_PROPERTY", "The property you're trying to set can only be set from the server auth instance only.")
	ErrNameRequired           = api.NewError(http.StatusBadRequest, "NAME_REQUIRED", "API Key name is required.")
	// ErrOrganizationUnsupported is Better Auth's response to organization
	// requests when no organization plugin is installed, and authd has none.
	ErrOrganizationUnsupported = api.NewError(http.StatusInternalServerError, "ORGANIZATION_PLUGIN_REQUIRED", msgOrganizationUnsupported)
	// ErrServiceKeyRequired rejects verify and delete-all-expired-api-keys
	// without a service key. Better Auth serves them only in process.
	ErrServiceKeyRequired = api.NewError(http.StatusUnauthorized, "UNAUTHORIZED",
		"This endpoint needs a service key: send Authorization: Bearer <service key> (create one with authd service-key create)")
	// ErrShortKey rejects an x-api-key value shorter than the configured
	// key length before any lookup, as Better Auth does.
	ErrShortKey = api.NewError(http.StatusForbidden, CodeInvalidAPIKey, msgInvalidAPIKey)
	// ErrValueOutOfRange is authd's: a number does not fit the column of a
	// table that Better Auth created (32-bit integers).
	ErrValueOutOfRange = api.NewError(http.StatusBadRequest, "VALUE_OUT_OF_RANGE",
		"A number is too large for the apikey table: columns that Better Auth created store at most 2147483647")
)

// verifyMessages maps verification codes to Better Auth's messages.
var verifyMessages = map[string]string{
	CodeInvalidAPIKey:      msgInvalidAPIKey,
	CodeKeyDisabled:        "API Key is disabled",
	CodeKeyExpired:         "API Key has expired",
	CodeKeyNotFound:        "API Key not found",
	CodeUsageExceeded:      "API Key has reached its usage limit",
	CodeRateLimited:        msgRateLimitExceeded,
	CodeUserBanned:         "User is banned",
	CodeInvalidReferenceID: "The reference id from the API key is invalid.",
}

// verifyStatuses are the HTTP statuses of the verification codes when they
// end a request (the x-api-key session). The verify endpoint returns 200 instead.
var verifyStatuses = map[string]int{
	CodeInvalidAPIKey:      http.StatusUnauthorized,
	CodeKeyDisabled:        http.StatusUnauthorized,
	CodeKeyExpired:         http.StatusUnauthorized,
	CodeKeyNotFound:        http.StatusUnauthorized,
	CodeUsageExceeded:      http.StatusTooManyRequests,
	CodeRateLimited:        http.StatusTooManyRequests,
	CodeUserBanned:         http.StatusUnauthorized,
	CodeInvalidReferenceID: http.StatusUnauthorized,
}
