package forwardauth

import (
	"reflect"
	"testing"
)

func TestParsePermissions(t *testing.T) {
	cases := []struct {
		in   []string
		want Permissions
		bad  bool
	}{
		{in: nil, want: Permissions{}},
		{in: []string{""}, want: Permissions{}},
		{in: []string{"project:read"}, want: Permissions{"project": {"read"}}},
		{in: []string{"project:read, project:write,files:read"}, want: Permissions{"project": {"read", "write"}, "files": {"read"}}},
		{in: []string{"project:read", "project:read,project:write"}, want: Permissions{"project": {"read", "write"}}},
		{in: []string{"project"}, bad: true},
		{in: []string{"project:"}, bad: true},
		{in: []string{":read"}, bad: true},
		{in: []string{"a:b:c"}, bad: true},
	}
	for _, c := range cases {
		got, err := ParsePermissions(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParsePermissions(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePermissions(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestPermissionsString(t *testing.T) {
	p := Permissions{"project": {"write", "read"}, "files": {"read"}}
	if got := p.String(); got != "files:read,project:read,project:write" {
		t.Fatalf("String() = %q", got)
	}
}

func TestGrants(t *testing.T) {
	key := Permissions{"project": {"read", "write"}, "files": {}}
	cases := []struct {
		required Permissions
		want     bool
	}{
		{Permissions{"project": {"read"}}, true},
		{Permissions{"project": {"read", "write"}}, true},
		{Permissions{"project": {"read", "delete"}}, false},
		{Permissions{"files": {"read"}}, false},
		{Permissions{"billing": {"read"}}, false},
		{Permissions{"project": {}}, false},
		{Permissions{}, false},
	}
	for _, c := range cases {
		if got := key.Grants(c.required); got != c.want {
			t.Errorf("Grants(%v) = %v, want %v", c.required, got, c.want)
		}
	}
	var none Permissions
	if none.Grants(Permissions{"project": {"read"}}) {
		t.Error("nil permissions grant a request")
	}
}

func TestDefaultRoleGrants(t *testing.T) {
	cases := []struct {
		role     string
		required Permissions
		want     bool
	}{
		{"admin", Permissions{"user": {"list"}, "session": {"revoke"}}, true},
		{"admin", Permissions{"user": {"impersonate-admins"}}, false},
		{"user", Permissions{"user": {"list"}}, false},
		{"user,admin", Permissions{"user": {"ban"}}, true},
		// Names are not trimmed, as in Better Auth.
		{"user, admin", Permissions{"user": {"ban"}}, false},
		{"owner", Permissions{"user": {"list"}}, false},
	}
	for _, c := range cases {
		if got := defaultRoleGrants(c.role, c.required); got != c.want {
			t.Errorf("defaultRoleGrants(%q, %v) = %v, want %v", c.role, c.required, got, c.want)
		}
	}
}

func TestDecodePermissions(t *testing.T) {
	want := Permissions{"project": {"read"}}
	for _, raw := range []string{`{"project":["read"]}`, `"{\"project\":[\"read\"]}"`} {
		got, err := decodePermissions(raw, "k")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodePermissions(%s) = %v, %v; want %v", raw, got, err, want)
		}
	}
	if _, err := decodePermissions(`[1]`, "k"); err == nil {
		t.Error("decodePermissions accepted an array")
	}
}
