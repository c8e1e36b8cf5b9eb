package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Modes.
const (
	ModeDev        = "dev"
	ModeProduction = "production"
)

// MinSecretBytes is the shortest accepted secret: it keys cookie signatures
// and code HMACs.
const MinSecretBytes = 32

// Config contains the core settings. Plugins read their own settings with
// Env in their packages.
type Config struct {
	Mode            string
	ListenAddr      string
	AdminListenAddr string
	BaseURL         *url.URL
	BasePath        string
	DatabaseURL     string
	DBMaxConns      int
	Secret          string
	// SecretGenerated is true when a dev-mode secret was generated or read
	// from the data folder.
	SecretGenerated bool
	DataDir         string
	MigrateOnStart  bool
	ShutdownTimeout time.Duration

	LogLevel  slog.Level
	LogFormat string

	TrustedOrigins []string
	TrustedProxies []string
	IPv6Subnet     int
	CORSEnabled    bool
	MaxBodyBytes   int64

	CookiePrefix   string
	CookieSecure   bool
	CookieDomain   string
	CookieSameSite string

	SessionExpiresIn      time.Duration
	SessionUpdateAge      time.Duration
	SessionFreshAge       time.Duration
	DisableSessionRefresh bool

	RateLimitEnabled bool
	RateLimitStorage string
	RateLimitWindow  time.Duration
	RateLimitMax     int

	SignUpEnabled            bool
	AutoSignIn               bool
	RequireEmailVerification bool
	MinPasswordLength        int
	MaxPasswordLength        int

	// Admin columns are core schema, so their defaults live here.
	DefaultRole       string
	BannedUserMessage string
}

// Production reports whether the mode is production.
func (c *Config) Production() bool { return c.Mode == ModeProduction }

// Load reads the core settings. env is shared with the plugins so every
// error is reported together; callers check env.Err() after all loads.
func Load(env *Env) *Config {
	c := &Config{}
	c.Mode = env.Enum("AUTHD_MODE", ModeProduction, ModeDev, ModeProduction)
	dev := c.Mode == ModeDev

	c.ListenAddr = env.String("AUTHD_LISTEN_ADDR", "127.0.0.1:3000")
	// An empty value turns the admin listener off.
	c.AdminListenAddr = env.StringOrEmpty("AUTHD_ADMIN_LISTEN_ADDR", "127.0.0.1:9090")
	c.DatabaseURL = env.String("AUTHD_DATABASE_URL", "")
	// Each request also needs authd's own CPU, so connections beyond a few
	// per core queue in Postgres instead of adding throughput: on the 2-core
	// benchmark machine 8 connections gave a lower p99 than 20 or 32.
	c.DBMaxConns = env.Int("AUTHD_DATABASE_MAX_CONNS", max(4, 4*runtime.GOMAXPROCS(0)), 2, 1000)
	c.DataDir = env.String("AUTHD_DATA_DIR", ".data")
	c.MigrateOnStart = env.Bool("AUTHD_MIGRATE_ON_START", true)
	c.ShutdownTimeout = env.Duration("AUTHD_SHUTDOWN_TIMEOUT", 20*time.Second, time.Second, 10*time.Minute)

	switch level := env.Enum("AUTHD_LOG_LEVEL", "info", "debug", "info", "warn", "error"); level {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		c.LogLevel = slog.LevelInfo
	}
	c.LogFormat = env.Enum("AUTHD_LOG_FORMAT", "json", "json", "text")

	defaultBase := ""
	if dev {
		defaultBase = devBaseURL(c.ListenAddr)
	}
	rawBase := env.String("AUTHD_BASE_URL", env.String("BETTER_AUTH_URL", defaultBase))
	if rawBase == "" {
		env.Fail("AUTHD_BASE_URL", "required in production mode: the public URL of authd, such as https://auth.example.com")
	} else if u, err := url.Parse(rawBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		env.Fail("AUTHD_BASE_URL", "invalid URL %q: want http(s)://host[:port]", rawBase)
	} else if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		// Better Auth takes a path in its base URL as the base path; authd
		// has AUTHD_BASE_PATH for that, so a path here would be ignored.
		env.Fail("AUTHD_BASE_URL", "%q has a path, query or fragment: give only the origin, such as https://auth.example.com, and set the path with AUTHD_BASE_PATH", rawBase)
	} else {
		c.BaseURL = u
	}
	c.BasePath = env.String("AUTHD_BASE_PATH", "/api/auth")
	if !strings.HasPrefix(c.BasePath, "/") || strings.HasSuffix(c.BasePath, "/") || strings.Contains(c.BasePath, "//") {
		env.Fail("AUTHD_BASE_PATH", "invalid path %q: it must start with / and not end with /", c.BasePath)
	}

	c.Secret = env.String("AUTHD_SECRET", env.String("BETTER_AUTH_SECRET", ""))
	if c.Secret != "" && len(c.Secret) < MinSecretBytes {
		env.Fail("AUTHD_SECRET", "too short: %d bytes, at least %d are required (generate one with: openssl rand -base64 32)", len(c.Secret), MinSecretBytes)
	}
	if c.Secret == "" && !dev {
		env.Fail("AUTHD_SECRET", "required in production mode (also read from BETTER_AUTH_SECRET); generate one with: openssl rand -base64 32")
	}

	c.TrustedOrigins = env.List("AUTHD_TRUSTED_ORIGINS", env.List("BETTER_AUTH_TRUSTED_ORIGINS", nil))
	c.TrustedProxies = env.List("AUTHD_TRUSTED_PROXIES", nil)
	for _, entry := range c.TrustedProxies {
		if !validProxy(entry) {
			env.Fail("AUTHD_TRUSTED_PROXIES", "invalid entry %q: use IP addresses or CIDR prefixes such as 10.0.0.0/8", entry)
		}
	}
	c.IPv6Subnet = env.Int("AUTHD_IPV6_SUBNET", 64, 1, 128)
	c.CORSEnabled = env.Bool("AUTHD_CORS", true)
	c.MaxBodyBytes = int64(env.Int("AUTHD_MAX_BODY_BYTES", 1<<20, 1024, 64<<20))

	c.CookiePrefix = env.String("AUTHD_COOKIE_PREFIX", "better-auth")
	secureDefault := c.BaseURL != nil && c.BaseURL.Scheme == "https"
	c.CookieSecure = env.Bool("AUTHD_COOKIE_SECURE", secureDefault)
	c.CookieDomain = env.String("AUTHD_COOKIE_DOMAIN", "")
	c.CookieSameSite = env.Enum("AUTHD_COOKIE_SAMESITE", "Lax", "Lax", "Strict", "None")
	if c.CookieSameSite == "None" && !c.CookieSecure {
		env.Fail("AUTHD_COOKIE_SAMESITE", "None requires secure cookies (an https AUTHD_BASE_URL or AUTHD_COOKIE_SECURE=true)")
	}

	c.SessionExpiresIn = env.Duration("AUTHD_SESSION_EXPIRES_IN", 7*24*time.Hour, time.Minute, 400*24*time.Hour)
	c.SessionUpdateAge = env.Duration("AUTHD_SESSION_UPDATE_AGE", 24*time.Hour, 0, 400*24*time.Hour)
	c.SessionFreshAge = env.Duration("AUTHD_SESSION_FRESH_AGE", 24*time.Hour, 0, 400*24*time.Hour)
	c.DisableSessionRefresh = env.Bool("AUTHD_SESSION_DISABLE_REFRESH", false)

	c.RateLimitEnabled = env.Bool("AUTHD_RATE_LIMIT", !dev)
	c.RateLimitStorage = env.Enum("AUTHD_RATE_LIMIT_STORAGE", "memory", "memory", "database")
	c.RateLimitWindow = env.Duration("AUTHD_RATE_LIMIT_WINDOW", 10*time.Second, time.Second, 24*time.Hour)
	c.RateLimitMax = env.Int("AUTHD_RATE_LIMIT_MAX", 100, 1, 1_000_000)

	c.SignUpEnabled = env.Bool("AUTHD_SIGN_UP_ENABLED", true)
	c.AutoSignIn = env.Bool("AUTHD_AUTO_SIGN_IN", true)
	c.RequireEmailVerification = env.Bool("AUTHD_REQUIRE_EMAIL_VERIFICATION", false)
	c.MinPasswordLength = env.Int("AUTHD_PASSWORD_MIN_LENGTH", 8, 1, 128)
	c.MaxPasswordLength = env.Int("AUTHD_PASSWORD_MAX_LENGTH", 128, 8, 1024)
	if c.MinPasswordLength > c.MaxPasswordLength {
		env.Fail("AUTHD_PASSWORD_MIN_LENGTH", "%d is greater than AUTHD_PASSWORD_MAX_LENGTH (%d)", c.MinPasswordLength, c.MaxPasswordLength)
	}

	c.DefaultRole = env.String("AUTHD_ADMIN_DEFAULT_ROLE", "user")
	c.BannedUserMessage = env.String("AUTHD_ADMIN_BANNED_USER_MESSAGE",
		"You have been banned from this application. Please contact support if you believe this is an error.")
	return c
}

// validProxy reports whether a trusted proxy entry is an IP address or a
// CIDR prefix, the forms the client address resolver accepts.
func validProxy(entry string) bool {
	if strings.Contains(entry, "/") {
		_, err := netip.ParsePrefix(entry)
		return err == nil
	}
	_, err := netip.ParseAddr(entry)
	return err == nil
}

// EnsureSecret fills in a dev-mode secret: it reads <DataDir>/secret, or
// generates one and writes it there (mode 0600) so sessions survive
// restarts. Production mode never reaches here without a secret.
func (c *Config) EnsureSecret() error {
	if c.Secret != "" {
		return nil
	}
	if c.Production() {
		return errors.New("AUTHD_SECRET: required in production mode")
	}
	path := filepath.Join(c.DataDir, "secret")
	if data, err := os.ReadFile(path); err == nil {
		secret := strings.TrimSpace(string(data))
		if len(secret) < MinSecretBytes {
			return fmt.Errorf("dev secret in %s is shorter than %d bytes: delete the file to generate a new one", path, MinSecretBytes)
		}
		c.Secret, c.SecretGenerated = secret, true
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read dev secret: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data folder for the dev secret: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("write dev secret: %w", err)
	}
	c.Secret, c.SecretGenerated = secret, true
	return nil
}

// devBaseURL derives dev mode's default base URL from the listen address,
// so a dev server on another port trusts its own origin.
func devBaseURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		return "http://127.0.0.1:3000"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
