package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/config"
)

const secret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// load reads the core settings from vars on top of a valid production
// configuration. A variable set to "" is removed.
func load(vars map[string]string) (*config.Config, error) {
	all := map[string]string{
		"AUTHD_MODE":     "production",
		"AUTHD_BASE_URL": "https://auth.example.com",
		"AUTHD_SECRET":   secret,
	}
	for k, v := range vars {
		if v == "" {
			delete(all, k)
			continue
		}
		all[k] = v
	}
	env := config.NewEnv(func(k string) (string, bool) { v, ok := all[k]; return v, ok })
	cfg := config.Load(env)
	return cfg, env.Err()
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ListenAddr", cfg.ListenAddr, "127.0.0.1:3000"},
		{"BasePath", cfg.BasePath, "/api/auth"},
		{"CookiePrefix", cfg.CookiePrefix, "better-auth"},
		{"CookieSecure", cfg.CookieSecure, true},
		{"CookieSameSite", cfg.CookieSameSite, "Lax"},
		{"SessionExpiresIn", cfg.SessionExpiresIn, 7 * 24 * time.Hour},
		{"SessionUpdateAge", cfg.SessionUpdateAge, 24 * time.Hour},
		{"SessionFreshAge", cfg.SessionFreshAge, 24 * time.Hour},
		{"RateLimitEnabled", cfg.RateLimitEnabled, true},
		{"RateLimitWindow", cfg.RateLimitWindow, 10 * time.Second},
		{"RateLimitMax", cfg.RateLimitMax, 100},
		{"MaxBodyBytes", cfg.MaxBodyBytes, int64(1 << 20)},
		{"MinPasswordLength", cfg.MinPasswordLength, 8},
		{"MaxPasswordLength", cfg.MaxPasswordLength, 128},
		{"IPv6Subnet", cfg.IPv6Subnet, 64},
		{"CORSEnabled", cfg.CORSEnabled, true},
		{"AutoSignIn", cfg.AutoSignIn, true},
		{"SignUpEnabled", cfg.SignUpEnabled, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadDevDefaults(t *testing.T) {
	cfg, err := load(map[string]string{"AUTHD_MODE": "dev", "AUTHD_BASE_URL": "", "AUTHD_SECRET": ""})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL.String() != "http://127.0.0.1:3000" || cfg.RateLimitEnabled || cfg.CookieSecure || cfg.Secret != "" {
		t.Errorf("dev defaults: base %s, rate limit %v, secure %v, secret set %v", cfg.BaseURL, cfg.RateLimitEnabled, cfg.CookieSecure, cfg.Secret != "")
	}
}

func TestAdminListenerOff(t *testing.T) {
	env := config.NewEnv(func(k string) (string, bool) {
		switch k {
		case "AUTHD_ADMIN_LISTEN_ADDR":
			return "", true
		case "AUTHD_MODE":
			return "dev", true
		}
		return "", false
	})
	if cfg := config.Load(env); env.Err() != nil || cfg.AdminListenAddr != "" {
		t.Errorf("AUTHD_ADMIN_LISTEN_ADDR set empty: %q, %v; want the listener off", cfg.AdminListenAddr, env.Err())
	}
	cfg, _ := load(nil)
	if cfg.AdminListenAddr != "127.0.0.1:9090" {
		t.Errorf("unset: %q", cfg.AdminListenAddr)
	}
}

func TestLoadBetterAuthVariables(t *testing.T) {
	cfg, err := load(map[string]string{
		"AUTHD_BASE_URL": "", "AUTHD_SECRET": "",
		"BETTER_AUTH_URL": "http://localhost:3000", "BETTER_AUTH_SECRET": secret,
		"BETTER_AUTH_TRUSTED_ORIGINS": "http://localhost:5173, myapp://",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL.String() != "http://localhost:3000" || cfg.Secret != secret || strings.Join(cfg.TrustedOrigins, "|") != "http://localhost:5173|myapp://" {
		t.Errorf("base %s, origins %q", cfg.BaseURL, cfg.TrustedOrigins)
	}
}

// Every bad setting stops start-up with an error that names the variable.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		vars map[string]string
		name string // the variable the error must name
		text string // a part of the message
	}{
		{map[string]string{"AUTHD_MODE": "staging"}, "AUTHD_MODE", `"staging"`},
		{map[string]string{"AUTHD_SECRET": ""}, "AUTHD_SECRET", "required in production"},
		{map[string]string{"AUTHD_SECRET": "short"}, "AUTHD_SECRET", "too short"},
		{map[string]string{"AUTHD_BASE_URL": ""}, "AUTHD_BASE_URL", "required in production"},
		{map[string]string{"AUTHD_BASE_URL": "ftp://auth.example.com"}, "AUTHD_BASE_URL", "ftp://"},
		{map[string]string{"AUTHD_BASE_URL": "auth.example.com"}, "AUTHD_BASE_URL", "invalid URL"},
		{map[string]string{"AUTHD_BASE_PATH": "api/auth"}, "AUTHD_BASE_PATH", "api/auth"},
		{map[string]string{"AUTHD_BASE_PATH": "/api/auth/"}, "AUTHD_BASE_PATH", "/api/auth/"},
		{map[string]string{"AUTHD_DATABASE_MAX_CONNS": "many"}, "AUTHD_DATABASE_MAX_CONNS", `"many"`},
		{map[string]string{"AUTHD_DATABASE_MAX_CONNS": "1"}, "AUTHD_DATABASE_MAX_CONNS", "out of range"},
		{map[string]string{"AUTHD_MIGRATE_ON_START": "maybe"}, "AUTHD_MIGRATE_ON_START", "boolean"},
		{map[string]string{"AUTHD_SHUTDOWN_TIMEOUT": "forever"}, "AUTHD_SHUTDOWN_TIMEOUT", "duration"},
		{map[string]string{"AUTHD_SHUTDOWN_TIMEOUT": "1h"}, "AUTHD_SHUTDOWN_TIMEOUT", "out of range"},
		{map[string]string{"AUTHD_LOG_LEVEL": "verbose"}, "AUTHD_LOG_LEVEL", "debug, info, warn, error"},
		{map[string]string{"AUTHD_LOG_FORMAT": "xml"}, "AUTHD_LOG_FORMAT", "json, text"},
		{map[string]string{"AUTHD_TRUSTED_PROXIES": "10.0.0.1,proxy.internal"}, "AUTHD_TRUSTED_PROXIES", "proxy.internal"},
		{map[string]string{"AUTHD_TRUSTED_PROXIES": "10.0.0.0/33"}, "AUTHD_TRUSTED_PROXIES", "10.0.0.0/33"},
		{map[string]string{"AUTHD_IPV6_SUBNET": "129"}, "AUTHD_IPV6_SUBNET", "out of range"},
		{map[string]string{"AUTHD_CORS": "sometimes"}, "AUTHD_CORS", "boolean"},
		{map[string]string{"AUTHD_MAX_BODY_BYTES": "100"}, "AUTHD_MAX_BODY_BYTES", "out of range"},
		{map[string]string{"AUTHD_COOKIE_SECURE": "yes please"}, "AUTHD_COOKIE_SECURE", "boolean"},
		{map[string]string{"AUTHD_COOKIE_SAMESITE": "Loose"}, "AUTHD_COOKIE_SAMESITE", "Lax, Strict, None"},
		{map[string]string{"AUTHD_COOKIE_SAMESITE": "None", "AUTHD_BASE_URL": "http://localhost:3000"}, "AUTHD_COOKIE_SAMESITE", "secure"},
		{map[string]string{"AUTHD_SESSION_EXPIRES_IN": "30s"}, "AUTHD_SESSION_EXPIRES_IN", "out of range"},
		{map[string]string{"AUTHD_SESSION_EXPIRES_IN": "1y"}, "AUTHD_SESSION_EXPIRES_IN", "duration"},
		{map[string]string{"AUTHD_SESSION_EXPIRES_IN": "401d"}, "AUTHD_SESSION_EXPIRES_IN", "out of range"},
		{map[string]string{"AUTHD_SESSION_EXPIRES_IN": "999999999999d"}, "AUTHD_SESSION_EXPIRES_IN", "duration"},
		{map[string]string{"AUTHD_SESSION_UPDATE_AGE": "-1h"}, "AUTHD_SESSION_UPDATE_AGE", "out of range"},
		{map[string]string{"AUTHD_SESSION_FRESH_AGE": "1.5d"}, "AUTHD_SESSION_FRESH_AGE", "duration"},
		{map[string]string{"AUTHD_SESSION_DISABLE_REFRESH": "2"}, "AUTHD_SESSION_DISABLE_REFRESH", "boolean"},
		{map[string]string{"AUTHD_RATE_LIMIT": "strict"}, "AUTHD_RATE_LIMIT", "boolean"},
		{map[string]string{"AUTHD_RATE_LIMIT_STORAGE": "redis"}, "AUTHD_RATE_LIMIT_STORAGE", "memory, database"},
		{map[string]string{"AUTHD_RATE_LIMIT_WINDOW": "500ms"}, "AUTHD_RATE_LIMIT_WINDOW", "out of range"},
		{map[string]string{"AUTHD_RATE_LIMIT_MAX": "0"}, "AUTHD_RATE_LIMIT_MAX", "out of range"},
		{map[string]string{"AUTHD_SIGN_UP_ENABLED": "nope"}, "AUTHD_SIGN_UP_ENABLED", "boolean"},
		{map[string]string{"AUTHD_AUTO_SIGN_IN": "nope"}, "AUTHD_AUTO_SIGN_IN", "boolean"},
		{map[string]string{"AUTHD_REQUIRE_EMAIL_VERIFICATION": "nope"}, "AUTHD_REQUIRE_EMAIL_VERIFICATION", "boolean"},
		{map[string]string{"AUTHD_PASSWORD_MIN_LENGTH": "0"}, "AUTHD_PASSWORD_MIN_LENGTH", "out of range"},
		{map[string]string{"AUTHD_PASSWORD_MAX_LENGTH": "4"}, "AUTHD_PASSWORD_MAX_LENGTH", "out of range"},
		{map[string]string{"AUTHD_PASSWORD_MIN_LENGTH": "64", "AUTHD_PASSWORD_MAX_LENGTH": "32"}, "AUTHD_PASSWORD_MIN_LENGTH", "greater than"},
	}
	for _, c := range cases {
		t.Run(c.name+" "+strings.Join(values(c.vars), " "), func(t *testing.T) {
			_, err := load(c.vars)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, c.name+": ") || !strings.Contains(msg, c.text) {
				t.Errorf("error %q must start with %q and contain %q", msg, c.name+": ", c.text)
			}
		})
	}
}

func values(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// All bad settings are reported together, one line each.
func TestLoadReportsEveryError(t *testing.T) {
	_, err := load(map[string]string{"AUTHD_SECRET": "", "AUTHD_RATE_LIMIT_MAX": "x", "AUTHD_CORS": "x"})
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Errorf("want 3 errors, got %q", lines)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "0d": 0, "90s": 90 * time.Second, "1h30m": 90 * time.Minute} {
		if got, err := config.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"d", "1.5d", "7days", "1y", "999999999999d", ""} {
		if _, err := config.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func TestDevSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	devConfig := func() *config.Config {
		cfg, err := load(map[string]string{"AUTHD_MODE": "dev", "AUTHD_SECRET": "", "AUTHD_DATA_DIR": dir})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	first := devConfig()
	if err := first.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	if len(first.Secret) < config.MinSecretBytes || !first.SecretGenerated {
		t.Fatalf("generated secret %d bytes, generated=%v", len(first.Secret), first.SecretGenerated)
	}
	info, err := os.Stat(filepath.Join(dir, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode %o, want 600", perm)
	}

	second := devConfig()
	if err := second.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	if second.Secret != first.Secret {
		t.Error("a restart generated a new secret instead of reusing the stored one")
	}

	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := devConfig().EnsureSecret(); err == nil || !strings.Contains(err.Error(), "shorter than") {
		t.Errorf("short stored secret: %v", err)
	}
}

func TestSecretNotGeneratedInProduction(t *testing.T) {
	cfg, err := load(map[string]string{"AUTHD_SECRET": ""})
	if err == nil || !strings.HasPrefix(err.Error(), "AUTHD_SECRET: ") {
		t.Fatalf("load: %v", err)
	}
	cfg.DataDir = t.TempDir()
	if err := cfg.EnsureSecret(); err == nil || !strings.Contains(err.Error(), "AUTHD_SECRET") {
		t.Errorf("EnsureSecret in production: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "secret")); !os.IsNotExist(err) {
		t.Errorf("production wrote a secret file: %v", err)
	}
}
