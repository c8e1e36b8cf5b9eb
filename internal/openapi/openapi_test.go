package openapi_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/openapi"
)

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operation is one documented method and path.
type operation struct {
	route  string // "GET /sign-in/email"
	plugin string // x-authd-plugin
}

func documented(t *testing.T, doc map[string]any) []operation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("the document has no paths object")
	}
	var ops []operation
	for path, item := range paths {
		for _, m := range methods {
			op, ok := item.(map[string]any)[m].(map[string]any)
			if !ok {
				continue
			}
			plugin, _ := op["x-authd-plugin"].(string)
			if plugin == "" {
				t.Errorf("%s %s has no x-authd-plugin", strings.ToUpper(m), path)
			}
			ops = append(ops, operation{route: strings.ToUpper(m) + " " + path, plugin: plugin})
		}
	}
	return ops
}

// TestRoutes compares the document with the endpoints that authd mounts:
// every mounted route must be documented and every documented route must
// be mounted. The health checks live outside the base path and are not
// routes of the endpoint router. A plugin that mounts none of its
// documented routes is reported and skipped, so the document may describe
// a plugin before its code lands. Once one of its routes is mounted, all
// of them must be.
func TestRoutes(t *testing.T) {
	srv := authtest.New(t, nil)
	doc, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	mounted := map[string]bool{}
	for _, r := range srv.App.Router.Routes {
		mounted[r.Method+" "+r.Path] = true
	}

	ops := documented(t, doc)
	present := map[string]bool{}
	for _, op := range ops {
		if mounted[op.route] {
			present[op.plugin] = true
		}
	}
	inDoc := map[string]bool{}
	var missing []string
	absent := map[string][]string{}
	for _, op := range ops {
		inDoc[op.route] = true
		switch {
		case op.plugin == "health" || mounted[op.route]:
		case !present[op.plugin]:
			absent[op.plugin] = append(absent[op.plugin], op.route)
		default:
			missing = append(missing, op.route)
		}
	}
	for plugin, routes := range absent {
		t.Logf("plugin %s mounts none of its %d documented routes; not checked", plugin, len(routes))
	}
	sort.Strings(missing)
	for _, r := range missing {
		t.Errorf("documented but not mounted: %s", r)
	}
	var undocumented []string
	for r := range mounted {
		if !inDoc[r] {
			undocumented = append(undocumented, r)
		}
	}
	sort.Strings(undocumented)
	for _, r := range undocumented {
		t.Errorf("mounted but missing from openapi.yaml: %s", r)
	}
}

// TestRefs checks that every $ref points at something in the document.
func TestRefs(t *testing.T) {
	doc, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi = %q, want 3.x", v)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k == "$ref" {
					ref, _ := child.(string)
					if !resolves(doc, ref) {
						t.Errorf("%s: $ref %q does not resolve", at, ref)
					}
					continue
				}
				walk(child, at+"/"+k)
			}
		case []any:
			for _, child := range v {
				walk(child, at)
			}
		}
	}
	walk(doc, "#")
}

func resolves(doc map[string]any, ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// TestServed fetches the document from the server: JSON, with the
// configured base path and forward-auth path.
func TestServed(t *testing.T) {
	srv := authtest.New(t, authtest.Env{"AUTHD_FORWARD_AUTH_PATH": "/check"})
	resp := srv.Do("GET", "/openapi.json", nil)
	if resp.Status != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		Servers []struct{ URL string }
		Paths   map[string]json.RawMessage
	}
	resp.Decode(t, &doc)
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/auth" {
		t.Errorf("servers = %+v, want the base path /api/auth", doc.Servers)
	}
	if _, ok := doc.Paths["/check"]; !ok {
		t.Error("the served document lacks the configured forward-auth path /check")
	}
	if _, ok := doc.Paths["/forward-auth"]; ok {
		t.Error("the served document keeps /forward-auth after the path was moved")
	}
}
