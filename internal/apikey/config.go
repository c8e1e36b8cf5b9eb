package apikey

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/authd/authd/internal/config"
)

// Config contains the plugin's settings. The zero value is not usable;
// LoadConfig fills in Better Auth's defaults. docs/configuration.md
// documents each setting.
type Config struct {
	// KeyLength is the number of random letters of a new key, not counting
	// the prefix. The x-api-key session also rejects shorter keys.
	KeyLength int
	// DefaultPrefix starts every new key that is created without a prefix.
	DefaultPrefix string
	// StartLength is how many leading characters of a new key are stored
	// in "start". With 0, start is null.
	StartLength int

	NameMinLength int
	NameMaxLength int
	RequireName   bool

	EnableMetadata bool

	// RateLimitEnabled, RateLimitWindow and RateLimitMax are the rate limit
	// of new keys. RateLimitEnabled=false also turns the limit off for
	// existing keys, as Better Auth's rateLimit.enabled does.
	RateLimitEnabled bool
	RateLimitWindow  time.Duration
	RateLimitMax     int

	// ExpiresInMinDays and ExpiresInMaxDays bound a client's expiresIn.
	ExpiresInMinDays int
	ExpiresInMaxDays int
	// DisableCustomExpiresIn rejects any expiresIn from callers.
	DisableCustomExpiresIn bool
	// DefaultExpiresIn is the lifetime of keys created without expiresIn;
	// 0 means they do not expire.
	DefaultExpiresIn time.Duration

	// ListLegacyArray makes GET /api-key/list return a bare array, as
	// Better Auth 1.4 did.
	ListLegacyArray bool
	// PublicVerify lets POST /api-key/verify run without a service key.
	PublicVerify bool
	// VerifyRateLimitMax is the core rate limiter's allowance for
	// POST /api-key/verify per client address and 10 seconds. A backend
	// verifies on behalf of all its users from few addresses, so the core
	// default of 100 would throttle it.
	VerifyRateLimitMax int

	// EnableSession makes a key in one of Headers authenticate any request
	// as its owner.
	EnableSession bool
	Headers       []string

	// SweepInterval is how often expired keys are deleted (0: never), and
	// SweepGrace how long after expiry a key is kept, so that verification
	// returns KEY_EXPIRED rather than INVALID_API_KEY meanwhile.
	SweepInterval time.Duration
	SweepGrace    time.Duration

	// UsageFlushInterval is how often the uses of unlimited keys, counted
	// in memory, are written to their rows. 0 writes every use at once,
	// with the locked statement that limited keys use.
	UsageFlushInterval time.Duration
}

// minUsageFlushInterval keeps the flusher from running back to back.
const minUsageFlushInterval = 10 * time.Millisecond

// Better Auth's fixed prefix bounds (minimumPrefixLength and
// maximumPrefixLength), which authd does not make settings.
const (
	prefixMinLength = 1
	prefixMaxLength = 32
)

// prefixPattern is Better Auth's schema rule for a prefix.
var prefixPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// headerNamePattern accepts the token characters of an HTTP field name.
var headerNamePattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// LoadConfig reads the AUTHD_APIKEY_* settings. Errors are recorded on env
// and name the variable.
func LoadConfig(env *config.Env) Config {
	c := Config{
		KeyLength:     env.Int("AUTHD_APIKEY_KEY_LENGTH", 64, 16, 256),
		DefaultPrefix: env.String("AUTHD_APIKEY_DEFAULT_PREFIX", ""),
		StartLength:   env.Int("AUTHD_APIKEY_START_LENGTH", 6, 0, 32),

		NameMinLength: env.Int("AUTHD_APIKEY_NAME_MIN_LENGTH", 1, 1, 1024),
		NameMaxLength: env.Int("AUTHD_APIKEY_NAME_MAX_LENGTH", 32, 1, 1024),
		RequireName:   env.Bool("AUTHD_APIKEY_REQUIRE_NAME", false),

		EnableMetadata: env.Bool("AUTHD_APIKEY_ENABLE_METADATA", false),

		RateLimitEnabled: env.Bool("AUTHD_APIKEY_RATE_LIMIT_ENABLED", true),
		RateLimitWindow:  env.Duration("AUTHD_APIKEY_RATE_LIMIT_WINDOW", 24*time.Hour, time.Millisecond, 366*24*time.Hour),
		RateLimitMax:     env.Int("AUTHD_APIKEY_RATE_LIMIT_MAX", 10, 1, 1<<31-1),

		ExpiresInMinDays:       env.Int("AUTHD_APIKEY_EXPIRES_IN_MIN_DAYS", 1, 0, 100*365),
		ExpiresInMaxDays:       env.Int("AUTHD_APIKEY_EXPIRES_IN_MAX_DAYS", 365, 1, 100*365),
		DisableCustomExpiresIn: env.Bool("AUTHD_APIKEY_DISABLE_CUSTOM_EXPIRES_IN", false),
		DefaultExpiresIn:       env.Duration("AUTHD_APIKEY_DEFAULT_EXPIRES_IN", 0, 0, 100*365*24*time.Hour),

		ListLegacyArray: env.Bool("AUTHD_APIKEY_LIST_LEGACY_ARRAY", false),
		PublicVerify:    env.Bool("AUTHD_APIKEY_PUBLIC_VERIFY", false),

		VerifyRateLimitMax: env.Int("AUTHD_APIKEY_VERIFY_RATE_LIMIT_MAX", 10000, 1, 100_000_000),

		EnableSession: env.Bool("AUTHD_APIKEY_ENABLE_SESSION", true),
		Headers:       env.List("AUTHD_APIKEY_HEADERS", []string{"x-api-key"}),

		SweepInterval: env.Duration("AUTHD_APIKEY_SWEEP_INTERVAL", time.Hour, 0, 7*24*time.Hour),
		SweepGrace:    env.Duration("AUTHD_APIKEY_SWEEP_GRACE", 30*24*time.Hour, 0, 10*365*24*time.Hour),

		UsageFlushInterval: env.Duration("AUTHD_APIKEY_USAGE_FLUSH_INTERVAL", time.Second, 0, time.Hour),
	}
	if c.DefaultPrefix != "" && !prefixPattern.MatchString(c.DefaultPrefix) {
		env.Fail("AUTHD_APIKEY_DEFAULT_PREFIX", "invalid prefix %q: use letters, digits, _ and - only", c.DefaultPrefix)
	}
	if len(c.DefaultPrefix) > prefixMaxLength {
		env.Fail("AUTHD_APIKEY_DEFAULT_PREFIX", "prefix %q is longer than %d characters", c.DefaultPrefix, prefixMaxLength)
	}
	if c.NameMinLength > c.NameMaxLength {
		env.Fail("AUTHD_APIKEY_NAME_MIN_LENGTH", "%d is greater than AUTHD_APIKEY_NAME_MAX_LENGTH (%d)", c.NameMinLength, c.NameMaxLength)
	}
	if c.ExpiresInMinDays > c.ExpiresInMaxDays {
		env.Fail("AUTHD_APIKEY_EXPIRES_IN_MIN_DAYS", "%d is greater than AUTHD_APIKEY_EXPIRES_IN_MAX_DAYS (%d)", c.ExpiresInMinDays, c.ExpiresInMaxDays)
	}
	if c.RateLimitWindow%time.Millisecond != 0 {
		env.Fail("AUTHD_APIKEY_RATE_LIMIT_WINDOW", "%s is not a whole number of milliseconds", c.RateLimitWindow)
	}
	if c.UsageFlushInterval > 0 && c.UsageFlushInterval < minUsageFlushInterval {
		env.Fail("AUTHD_APIKEY_USAGE_FLUSH_INTERVAL", "%s is too short: use 0 (write every use at once) or at least %s",
			c.UsageFlushInterval, minUsageFlushInterval)
	}
	if len(c.Headers) == 0 {
		env.Fail("AUTHD_APIKEY_HEADERS", "no header name given: set at least one, such as x-api-key")
	}
	for i, h := range c.Headers {
		if !headerNamePattern.MatchString(h) {
			env.Fail("AUTHD_APIKEY_HEADERS", "invalid header name %q", h)
			continue
		}
		c.Headers[i] = http.CanonicalHeaderKey(strings.TrimSpace(h))
	}
	return c
}

// defaults returns the settings LoadConfig gives an empty environment, for
// a plugin built without LoadConfig.
func defaults() Config {
	return LoadConfig(config.NewEnv(func(string) (string, bool) { return "", false }))
}
