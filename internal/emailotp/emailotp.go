// Package emailotp is Better Auth's Email OTP plugin.
package emailotp

import (
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
)

// Config contains the plugin's settings.
type Config struct{}

// LoadConfig reads the AUTHD_EMAIL_OTP_* settings.
func LoadConfig(env *config.Env) Config { return Config{} }

// Plugin serves the /email-otp endpoints.
type Plugin struct{ svc *auth.Service }

// New builds the plugin.
func New(svc *auth.Service, cfg Config) (*Plugin, error) { return &Plugin{svc: svc}, nil }

// Mount implements auth.Plugin.
func (p *Plugin) Mount(r *auth.Router) {}
