package apikey

import (
	"sync"

	"github.com/authd/authd/internal/auth"
)

// builtPlugins maps each service to the first plugin built for it: the
// plugin of that server, since tests build extra plugins only afterwards.
var (
	builtMu      sync.Mutex
	builtPlugins = map[*auth.Service]*Plugin{}
)

func init() {
	built = func(p *Plugin) {
		builtMu.Lock()
		defer builtMu.Unlock()
		if _, ok := builtPlugins[p.svc]; !ok {
			builtPlugins[p.svc] = p
		}
	}
}

// PluginOf returns the API Key plugin of the server whose service is svc.
func PluginOf(svc *auth.Service) *Plugin {
	builtMu.Lock()
	defer builtMu.Unlock()
	return builtPlugins[svc]
}
