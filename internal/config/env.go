// Package config reads authd's settings from the environment. Every
// setting is documented in docs/configuration.md; a bad value stops
// start-up with an error that names the variable.
package config

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Env reads typed values from environment variables and collects every
// error, so start-up reports all bad settings at once. Plugins use it for
// their own settings.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
	read   map[string]bool
}

// NewEnv reads variables with lookup (os.LookupEnv in production).
func NewEnv(lookup func(string) (string, bool)) *Env {
	return &Env{lookup: lookup, read: map[string]bool{}}
}

// Lookup returns a variable's value and whether it is set and non-empty.
func (e *Env) Lookup(name string) (string, bool) {
	e.read[name] = true
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// toolVariables are read by the scripts and tests, not by the server.
var toolVariables = map[string]bool{
	"AUTHD_TEST_DATABASE_URL": true, "AUTHD_TEST_LOG": true,
	"AUTHD_PG_PORT": true, "AUTHD_PG_DIR": true, "AUTHD_PG_FAST": true,
}

// Unknown returns the AUTHD_ variables of environ (os.Environ's form,
// NAME=value) that no setting read, sorted. A misspelt setting otherwise
// falls back to its default without a word.
func (e *Env) Unknown(environ []string) []string {
	var names []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AUTHD_") && !e.read[name] && !toolVariables[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Fail records an error about a variable.
func (e *Env) Fail(name, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// Err returns every recorded error joined, or nil.
func (e *Env) Err() error { return errors.Join(e.errs...) }

// String returns the variable or def.
func (e *Env) String(name, def string) string {
	if v, ok := e.Lookup(name); ok {
		return v
	}
	return def
}

// StringOrEmpty is String for a setting that an empty value turns off: def
// applies only when the variable is not set at all.
func (e *Env) StringOrEmpty(name, def string) string {
	v, set := e.lookup(name)
	if !set {
		return def
	}
	return strings.TrimSpace(v)
}

// Bool accepts true/false, on/off, yes/no and 1/0.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "on", "yes":
		return true
	case "0", "false", "off", "no":
		return false
	}
	e.Fail(name, "invalid boolean %q: use true or false", v)
	return def
}

// Int returns an integer within [min, max].
func (e *Env) Int(name string, def, min, max int) int {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.Fail(name, "invalid integer %q", v)
		return def
	}
	if n < min || n > max {
		e.Fail(name, "%d is out of range: must be between %d and %d", n, min, max)
		return def
	}
	return n
}

// Duration accepts Go durations ("90s", "1h30m") plus a day suffix ("7d").
func (e *Env) Duration(name string, def, min, max time.Duration) time.Duration {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	d, err := ParseDuration(v)
	if err != nil {
		e.Fail(name, "invalid duration %q: use a value such as 30s, 15m, 12h or 7d", v)
		return def
	}
	if d < min || d > max {
		e.Fail(name, "%s is out of range: must be between %s and %s", v, min, max)
		return def
	}
	return d
}

// ParseDuration is time.ParseDuration with an extra "d" (24 h) unit.
func ParseDuration(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64)
		if err != nil {
			return 0, err
		}
		// A day count beyond what time.Duration holds would wrap around
		// and could land inside a setting's valid range.
		const maxDays = int64(math.MaxInt64 / int64(24*time.Hour))
		if n > maxDays || n < -maxDays {
			return 0, fmt.Errorf("%s is too large", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// List splits a comma-separated variable, dropping empty entries.
func (e *Env) List(name string, def []string) []string {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Enum returns one of the allowed values.
func (e *Env) Enum(name, def string, allowed ...string) string {
	v, ok := e.Lookup(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	e.Fail(name, "invalid value %q: use one of %s", v, strings.Join(allowed, ", "))
	return def
}
