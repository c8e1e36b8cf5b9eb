package auth

import (
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/authd/authd/internal/api"
)

// Origins matches URLs against the trusted origins: the base URL's origin
// plus the configured patterns, with Better Auth 1.7's matching rules.
type Origins struct {
	patterns []string
	// scheme is the base URL's scheme, for the origin of a same-origin
	// request whose Origin header is "null".
	scheme string
}

// NewOrigins returns the matcher. baseURL's origin is always trusted.
func NewOrigins(baseURL *url.URL, patterns []string) *Origins {
	o := &Origins{scheme: "http"}
	if baseURL != nil {
		o.scheme = strings.ToLower(baseURL.Scheme)
		o.patterns = append(o.patterns, originOf(baseURL))
	}
	o.patterns = append(o.patterns, patterns...)
	return o
}

func originOf(u *url.URL) string {
	host := strings.ToLower(u.Host)
	scheme := strings.ToLower(u.Scheme)
	if scheme == "http" && strings.HasSuffix(host, ":80") {
		host = strings.TrimSuffix(host, ":80")
	}
	if scheme == "https" && strings.HasSuffix(host, ":443") {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host
}

// Trusted reports whether an absolute URL (an Origin or Referer header, or
// a callback) matches a trusted pattern.
func (o *Origins) Trusted(raw string) bool {
	if raw == "" || strings.HasPrefix(raw, "/") {
		return false
	}
	for _, p := range o.patterns {
		if matchOrigin(raw, p) {
			return true
		}
	}
	return false
}

// TrustedCallback reports whether a callback URL is allowed: a safe
// relative path, or an absolute URL matching a trusted pattern.
func (o *Origins) TrustedCallback(raw string) bool {
	if strings.HasPrefix(raw, "/") {
		return safeRelativePath(raw)
	}
	return o.Trusted(raw)
}

var relativePathPattern = regexp.MustCompile(`^/[A-Za-z0-9_\-.+/@]*(\?[A-Za-z0-9_\-.+/=&%@]*)?$`)

// safeRelativePath rejects "//host", "/\host" and their percent-encoded
// forms after the first slash, which browsers treat as another origin.
func safeRelativePath(p string) bool {
	rest := strings.ToLower(p[1:])
	if strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, `\`) ||
		strings.HasPrefix(rest, "%2f") || strings.HasPrefix(rest, "%5c") {
		return false
	}
	return relativePathPattern.MatchString(p)
}

func matchOrigin(raw, pattern string) bool {
	u, err := url.Parse(raw)
	if strings.ContainsAny(pattern, "*?") {
		if err != nil {
			return false
		}
		if strings.Contains(pattern, "://") {
			return globMatch(pattern, originOf(u))
		}
		return globMatch(pattern, strings.ToLower(u.Host))
	}
	if err != nil || u.Scheme == "" {
		return raw == pattern
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "http" || scheme == "https" {
		return originOf(u) == strings.TrimSuffix(pattern, "/")
	}
	return matchCustomScheme(u, pattern)
}

// matchCustomScheme handles app schemes such as myapp://: the scheme must
// match, the authority when the pattern has one, and the path must equal
// or lie below the pattern's path after dot segments are resolved.
func matchCustomScheme(u *url.URL, pattern string) bool {
	p, err := url.Parse(pattern)
	if err != nil || !strings.EqualFold(p.Scheme, u.Scheme) {
		return false
	}
	if p.Host != "" && !strings.EqualFold(p.Host, u.Host) {
		return false
	}
	if p.Path == "" || p.Path == "/" {
		return true
	}
	want := path.Clean("/" + p.Path)
	got := path.Clean("/" + u.Path)
	return got == want || strings.HasPrefix(got, want+"/")
}

// globMatch matches * (any run without / or \) and ? (one such character).
func globMatch(pattern, s string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, ch := range pattern {
		switch ch {
		case '*':
			re.WriteString(`[^/\\]*`)
		case '?':
			re.WriteString(`[^/\\]`)
		default:
			re.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	re.WriteString("$")
	ok, _ := regexp.MatchString(re.String(), s)
	return ok
}

// checkRequestOrigin is Better Auth's CSRF step for state-changing requests
// that carry cookies: the Origin (or Referer) must be present and trusted.
// Requests without a Cookie header (bearer, API key, server to server) are
// not checked, because a browser cannot make them on a user's behalf.
func (o *Origins) checkRequestOrigin(r *http.Request) error {
	if len(r.Header.Values("Cookie")) == 0 {
		return nil
	}
	return o.requireTrustedOrigin(r)
}

func (o *Origins) requireTrustedOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin" && r.Host != "" {
		// Some browsers send "Origin: null" on same-origin requests. Like
		// Better Auth 1.7.5, authd then takes the origin from the request's
		// Host, which must still be trusted. Sec-Fetch-Site cannot be set by
		// page scripts, so a cross-site page cannot use this path.
		origin = o.scheme + "://" + r.Host
	}
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" || origin == "null" {
		return api.ErrMissingOrigin
	}
	if !o.Trusted(origin) {
		return api.ErrInvalidOrigin
	}
	return nil
}

// callbackFields are the body fields whose URLs must be trusted, with the
// error for an untrusted value and the label for a non-string one.
var callbackFields = []struct {
	name  string
	err   *api.Error
	label string
}{
	{"callbackURL", api.ErrInvalidCallbackURL, "callbackURL"},
	{"redirectTo", api.ErrInvalidRedirectURL, "redirectURL"},
	{"errorCallbackURL", api.ErrInvalidErrorCallbackURL, "errorCallbackURL"},
	{"newUserCallbackURL", api.ErrInvalidNewUserCallback, "newUserCallbackURL"},
}

// checkCallbackURLs rejects untrusted redirect targets in the body, and a
// callbackURL in the query, before any credential is looked at.
//
// As in Better Auth, a falsy value (absent, null, false, 0 or "") is not
// checked here, and schema validation reports a wrong type later. An empty
// body callbackURL falls back to the query's.
func (o *Origins) checkCallbackURLs(r *http.Request, body api.Body) error {
	for _, f := range callbackFields {
		value, _ := body.Field(f.name)
		if !api.Truthy(value) && f.name == "callbackURL" {
			value = r.URL.Query().Get("callbackURL")
		}
		if !api.Truthy(value) {
			continue
		}
		s, ok := value.(string)
		if !ok {
			return api.Message(400, "Invalid "+f.label+": expected a string")
		}
		if !o.TrustedCallback(s) {
			return f.err
		}
	}
	return nil
}
