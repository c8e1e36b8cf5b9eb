package forwardauth

import "github.com/authd/authd/internal/api"

// Errors of the forward-auth endpoint. Reverse proxies pass the status on
// to the client (nginx turns anything but 401 and 403 into 500 unless its
// configuration maps it, see docs/deployment.md), so the statuses matter
// more than the bodies.
var (
	// ErrUnauthenticated: no session cookie, bearer token or API key came
	// with the request, or the one that came is not valid.
	ErrUnauthenticated = api.ErrUnauthorized
	// ErrServiceKey: service keys are for application backends calling
	// authd's API, not an end-user identity to put in front of an upstream.
	ErrServiceKey = api.NewError(403, "SERVICE_KEY_NOT_ALLOWED", "Service keys cannot be used for forward auth")
	// ErrMissingPermissions: the caller is authenticated but lacks one of
	// the permissions that the proxy asked for with ?permissions=.
	ErrMissingPermissions = api.NewError(403, "MISSING_PERMISSIONS", "You do not have the required permissions")
)

// invalidPermissions rejects a malformed ?permissions= value; it is the
// proxy configuration that is wrong, so the message names the entry.
func invalidPermissions(entry string) *api.Error {
	return api.NewError(400, "INVALID_PERMISSIONS",
		`Invalid permissions entry "`+entry+`": use a comma-separated list of resource:action, such as project:read,project:write`)
}
