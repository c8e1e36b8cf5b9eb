package admin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authd/authd/internal/config"
)

func loadTestConfig(t *testing.T, vars map[string]string) (Config, error) {
	t.Helper()
	env := config.NewEnv(func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	})
	cfg := LoadConfig(env)
	return cfg, env.Err()
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roles.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAccessAllowed(t *testing.T) {
	t.Parallel()
	cfg, err := loadTestConfig(t, map[string]string{"AUTHD_ADMIN_USER_IDS": "boss"})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Access
	cases := []struct {
		name, userID, role string
		req                Permissions
		want               bool
	}{
		{"admin lists", "u", "admin", Permissions{"user": {"list"}}, true},
		{"admin lacks impersonate-admins", "u", "admin", Permissions{"user": {"impersonate-admins"}}, false},
		{"user has nothing", "u", "user", Permissions{"user": {"list"}}, false},
		{"empty role is the default role", "u", "", Permissions{"user": {"list"}}, false},
		{"unknown resource", "u", "admin", Permissions{"user": {"list"}, "foo": {"bar"}}, false},
		{"empty request", "u", "admin", Permissions{}, false},
		{"empty action list", "u", "admin", Permissions{"user": {}}, false},
		{"case-sensitive role", "u", "Admin", Permissions{"user": {"list"}}, false},
		{"second role grants", "u", "user,admin", Permissions{"user": {"list"}}, true},
		{"untrimmed role", "u", "user, admin", Permissions{"user": {"list"}}, false},
		{"adminUserIds grants anything", "boss", "user", Permissions{"foo": {"bar"}}, true},
		{"adminUserIds grants the empty request", "boss", "user", Permissions{}, true},
	}
	for _, c := range cases {
		if got := a.Allowed(c.userID, c.role, c.req); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	if a.ChecksRoleNames() {
		t.Error("default roles check role names")
	}
	if !a.IsAdmin("u", "user,admin") || a.IsAdmin("u", "user") || !a.IsAdmin("boss", "user") {
		t.Error("IsAdmin")
	}
}

func TestRolesFile(t *testing.T) {
	t.Parallel()
	path := writeFile(t, `{
		"statements": {"project": ["read", "write"]},
		"roles": {
			"member": {"project": ["read"]},
			"owner": {"project": ["read", "write"], "user": ["list"]}
		}
	}`)
	cfg, err := loadTestConfig(t, map[string]string{
		"AUTHD_ADMIN_ROLES_FILE": path, "AUTHD_ADMIN_DEFAULT_ROLE": "member", "AUTHD_ADMIN_ADMIN_ROLES": "Owner",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Access
	if !a.ChecksRoleNames() || a.RoleExists("admin") || !a.RoleExists("owner") {
		t.Fatal("the roles file does not replace the default roles")
	}
	if !a.Allowed("u", "", Permissions{"project": {"read"}}) {
		t.Error("the default role member lacks project:read")
	}
	if a.Allowed("u", "member", Permissions{"project": {"write"}}) {
		t.Error("member has project:write")
	}
	if !a.Allowed("u", "owner", Permissions{"project": {"read", "write"}, "user": {"list"}}) {
		t.Error("owner lacks its grants")
	}
}

func TestRolesFileErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"roles": {}}`:                                   "defines no roles",
		`{"roles": {"x": {"user": ["fly"]}}}`:             `grants user:fly`,
		`{"roles": {"x": {"project": ["read"]}}}`:         `resource "project"`,
		`{"roles": {"a,b": {}}}`:                          "invalid role name",
		`{"roles": {"x": {}}, "adminRoles": ["x"]}`:       "unknown field",
		`{"roles": `:                                      "parse roles file",
		`{"statements": {"": ["x"]}, "roles": {"x": {}}}`: "empty resource name",
	}
	for content, want := range cases {
		_, err := loadTestConfig(t, map[string]string{"AUTHD_ADMIN_ROLES_FILE": writeFile(t, content), "AUTHD_ADMIN_DEFAULT_ROLE": "x", "AUTHD_ADMIN_ADMIN_ROLES": "x"})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "AUTHD_ADMIN_ROLES_FILE") {
			t.Errorf("%s: error %v, want one containing %q", content, err, want)
		}
	}

	_, err := loadTestConfig(t, map[string]string{"AUTHD_ADMIN_ADMIN_ROLES": "admin,boss"})
	if err == nil || !strings.Contains(err.Error(), `AUTHD_ADMIN_ADMIN_ROLES: role "boss" is not defined`) {
		t.Errorf("unknown admin role: %v", err)
	}
	_, err = loadTestConfig(t, map[string]string{"AUTHD_ADMIN_ROLES_FILE": writeFile(t, `{"roles": {"admin": {}}}`)})
	if err == nil || !strings.Contains(err.Error(), `AUTHD_ADMIN_DEFAULT_ROLE: role "user" is not defined`) {
		t.Errorf("unknown default role: %v", err)
	}
	if _, err := loadTestConfig(t, map[string]string{"AUTHD_ADMIN_ROLES_FILE": "/nonexistent/roles.json"}); err == nil {
		t.Error("a missing roles file is accepted")
	}
}
