// Package openapi serves the OpenAPI 3.1 document of authd's HTTP surface
// at <base path>/openapi.json. The document is written by hand in
// openapi.yaml and embedded in the binary. A test compares its paths with
// the endpoints that the server mounts, so the two cannot drift apart.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"

	"github.com/authd/authd/internal/auth"
)

//go:embed openapi.yaml
var source []byte

// DefaultForwardAuthPath is the path of the forward-auth endpoint in the
// embedded document.
const DefaultForwardAuthPath = "/forward-auth"

// Document returns the embedded document as generic JSON values.
func Document() (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(source, &doc); err != nil {
		return nil, fmt.Errorf("parse the embedded openapi.yaml: %w", err)
	}
	return doc, nil
}

// Options adapt the served document to the server's settings.
type Options struct {
	BasePath string
	// ForwardAuthPath is the path of the forward-auth endpoint, or empty
	// when the endpoint is turned off.
	ForwardAuthPath string
}

// Plugin serves the document.
type Plugin struct {
	body []byte
}

// New renders the document for opts once, so a request only writes bytes.
func New(opts Options) (*Plugin, error) {
	doc, err := Document()
	if err != nil {
		return nil, err
	}
	doc["servers"] = []any{map[string]any{"url": opts.BasePath, "description": "authd's base path."}}
	paths, _ := doc["paths"].(map[string]any)
	if fa, ok := paths[DefaultForwardAuthPath]; ok && opts.ForwardAuthPath != DefaultForwardAuthPath {
		delete(paths, DefaultForwardAuthPath)
		if opts.ForwardAuthPath != "" {
			paths[opts.ForwardAuthPath] = fa
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI document as JSON: %w", err)
	}
	return &Plugin{body: body}, nil
}

// Mount implements auth.Plugin.
func (p *Plugin) Mount(r *auth.Router) {
	r.Get("/openapi.json", func(c *auth.Context) error {
		c.W.Header().Set("Content-Type", "application/json")
		c.W.WriteHeader(http.StatusOK)
		// A failed write means the client went away, so there is no
		// one left to respond to.
		_, _ = c.W.Write(p.body)
		return nil
	})
}
