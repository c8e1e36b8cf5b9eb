package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Cookie names below the prefix, as Better Auth names them.
const (
	cookieSessionToken = "session_token"
	cookieSessionData  = "session_data"
	cookieDontRemember = "dont_remember"
)

// Cookies signs, writes and reads Better Auth's cookies byte for byte.
type Cookies struct {
	secret   []byte
	prefix   string // "better-auth", or "__Secure-better-auth" when Secure
	secure   bool
	domain   string
	sameSite string
}

// NewCookies returns the cookie codec. With secure set, every cookie name
// gets the __Secure- prefix and the Secure attribute, and only prefixed
// names are read, as Better Auth does.
func NewCookies(secret, prefix string, secure bool, domain, sameSite string) *Cookies {
	p := prefix
	if secure {
		p = "__Secure-" + prefix
	}
	return &Cookies{secret: []byte(secret), prefix: p, secure: secure, domain: domain, sameSite: sameSite}
}

// Name returns the full cookie name of a Better Auth cookie.
func (c *Cookies) Name(cookie string) string { return c.prefix + "." + cookie }

// Sign returns value "." base64std(HMAC-SHA256(secret, value)), the signed
// form that cookies and bearer tokens carry.
func (c *Cookies) Sign(value string) string {
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(value))
	return value + "." + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Unsign checks a signed value as better-call reads signed cookies: the
// signature after the last dot must be 44 characters of padded standard
// base64 and match in constant time. It returns the value and whether the
// signature is valid.
func (c *Cookies) Unsign(signed string) (string, bool) {
	i := strings.LastIndexByte(signed, '.')
	if i < 1 {
		return "", false
	}
	value, sig := signed[:i], signed[i+1:]
	if len(sig) != 44 || !strings.HasSuffix(sig, "=") {
		return "", false
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return "", false
	}
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(value))
	if subtle.ConstantTimeCompare(got, mac.Sum(nil)) != 1 {
		return "", false
	}
	return value, true
}

// verifyTolerant checks a bearer token's signature as the bearer plugin
// does: either base64 alphabet, padding optional.
func (c *Cookies) verifyTolerant(value, sig string) bool {
	sig = strings.TrimRight(sig, "=")
	sig = strings.NewReplacer("-", "+", "_", "/").Replace(sig)
	got, err := base64.RawStdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, c.secret)
	mac.Write([]byte(value))
	return subtle.ConstantTimeCompare(got, mac.Sum(nil)) == 1
}

// SetCookie serialises a cookie in better-call's attribute order:
// name=value; Max-Age; Domain; Path; HttpOnly; Secure; SameSite. A negative
// maxAge omits Max-Age (a browser-session cookie).
func (c *Cookies) SetCookie(name, value string, maxAge int) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(encodeURIComponent(value))
	if maxAge >= 0 {
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.Itoa(maxAge))
	}
	if c.domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(c.domain)
	}
	b.WriteString("; Path=/; HttpOnly")
	if c.secure {
		b.WriteString("; Secure")
	}
	b.WriteString("; SameSite=")
	b.WriteString(c.sameSite)
	return b.String()
}

// encodeURIComponent escapes like JavaScript's function of that name.
func encodeURIComponent(s string) string {
	const unreserved = "-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte(unreserved, ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		b.WriteString("%")
		b.WriteString(strings.ToUpper(strconv.FormatInt(int64(ch)>>4, 16)))
		b.WriteString(strings.ToUpper(strconv.FormatInt(int64(ch)&15, 16)))
	}
	return b.String()
}

// parseCookieHeader follows better-call: split on ";", split each piece at
// the first "=", trim, strip one pair of quotes, keep the first occurrence
// of a name, and percent-decode values without turning "+" into a space.
func parseCookieHeader(headers []string) map[string]string {
	out := map[string]string{}
	for _, header := range headers {
		for _, piece := range strings.Split(header, ";") {
			name, value, ok := strings.Cut(piece, "=")
			if !ok {
				continue
			}
			name = strings.Trim(name, " \t")
			value = strings.Trim(value, " \t")
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if name == "" {
				continue
			}
			if _, seen := out[name]; seen {
				continue
			}
			if strings.Contains(value, "%") {
				if decoded, err := url.PathUnescape(value); err == nil {
					value = decoded
				}
			}
			out[name] = value
		}
	}
	return out
}

// requestCookies returns the parsed Cookie header of r.
func requestCookies(r *http.Request) map[string]string {
	return parseCookieHeader(r.Header.Values("Cookie"))
}

func urlPathUnescape(s string) (string, error) { return url.PathUnescape(s) }
