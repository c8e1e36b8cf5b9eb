// Package apikey is Better Auth's API Key plugin.
package apikey

import (
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
)

// Config contains the plugin's settings.
type Config struct{}

// LoadConfig reads the AUTHD_APIKEY_* settings.
func LoadConfig(env *config.Env) Config { return Config{} }

// Plugin serves the /api-key endpoints.
type Plugin struct{ svc *auth.Service }

// New builds the plugin.
func New(svc *auth.Service, cfg Config) (*Plugin, error) { return &Plugin{svc: svc}, nil }

// Mount implements auth.Plugin.
func (p *Plugin) Mount(r *auth.Router) {}
