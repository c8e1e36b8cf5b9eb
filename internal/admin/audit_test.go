package admin_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authd/authd/internal/admin"
	"github.com/authd/authd/internal/authtest"
)

func auditEvents(t *testing.T, srv *authtest.Server, f admin.AuditFilter) []admin.AuditEvent {
	t.Helper()
	events, err := admin.ListAuditEvents(t.Context(), srv.App.Store.Pool, f)
	if err != nil {
		t.Fatalf("list audit events: %v", err)
	}
	return events
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	srv, root := f.srv, f.root.Token
	call := func(path string, body any) map[string]any {
		t.Helper()
		return expectOK(t, srv.Do("POST", path, body, append(as(f.root), "X-Request-Id", "req-"+strings.TrimPrefix(path, "/admin/"))...))
	}
	created := call("/admin/create-user", map[string]any{"email": authtest.UniqueEmail("audited"), "name": "N", "password": "secret-password-1"})
	target := created["user"].(map[string]any)["id"].(string)
	call("/admin/set-role", map[string]any{"userId": target, "role": "admin"})
	call("/admin/update-user", map[string]any{"userId": target, "data": map[string]any{"name": "M"}})
	call("/admin/set-user-password", map[string]any{"userId": target, "newPassword": "secret-password-2"})
	call("/admin/ban-user", map[string]any{"userId": target, "banReason": "spam"})
	call("/admin/unban-user", map[string]any{"userId": target})
	call("/admin/revoke-user-sessions", map[string]any{"userId": target})
	call("/admin/remove-user", map[string]any{"userId": target})

	events := auditEvents(t, srv, admin.AuditFilter{TargetUserID: target})
	var actions []string
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		actions = append(actions, e.Action)
		if e.Actor != (admin.Actor{Type: admin.ActorUser, ID: f.root.ID}) {
			t.Errorf("%s: actor %+v", e.Action, e.Actor)
		}
		if !strings.HasPrefix(e.RequestID, "req-") || e.IPAddress == "" {
			t.Errorf("%s: request id %q, ip %q", e.Action, e.RequestID, e.IPAddress)
		}
		raw, _ := json.Marshal(e.Details)
		if strings.Contains(string(raw), "secret-password") {
			t.Errorf("%s: details hold the password: %s", e.Action, raw)
		}
	}
	want := "user.create user.set_role user.update user.set_password user.ban user.unban session.revoke_all user.remove"
	if strings.Join(actions, " ") != want {
		t.Fatalf("actions:\n got %s\nwant %s", strings.Join(actions, " "), want)
	}
	if role := events[len(events)-2].Details["role"]; role != "admin" {
		t.Fatalf("set_role details: %v", events[len(events)-2].Details)
	}

	// A rejected or failed change leaves no event.
	expectError(t, post(srv, "/admin/ban-user", map[string]any{"userId": target}, root), http.StatusNotFound, "USER_NOT_FOUND")
	if n := len(auditEvents(t, srv, admin.AuditFilter{TargetUserID: target})); n != len(events) {
		t.Fatalf("%d events after a failed ban, want %d", n, len(events))
	}
}

func TestAuditServiceKeyActor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	key := serviceKey(t, f.srv)
	expectOK(t, post(f.srv, "/admin/ban-user", map[string]any{"userId": f.alice.ID}, key))
	events := auditEvents(t, f.srv, admin.AuditFilter{TargetUserID: f.alice.ID, Action: admin.ActionUserBan})
	if len(events) != 1 || events[0].Actor.Type != admin.ActorServiceKey || events[0].Actor.ID == "" {
		t.Fatalf("events: %+v", events)
	}
}

func TestAuditImpersonation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	j := signInJar(t, f.srv, f.root, true)
	expectOK(t, j.do(f.srv, "POST", "/admin/impersonate-user", map[string]any{"userId": f.alice.ID}))
	expectOK(t, j.do(f.srv, "POST", "/admin/stop-impersonating", nil))
	events := auditEvents(t, f.srv, admin.AuditFilter{ActorID: f.root.ID, TargetUserID: f.alice.ID})
	if len(events) != 2 || events[0].Action != admin.ActionImpersonationStop || events[1].Action != admin.ActionImpersonationStart {
		t.Fatalf("events: %+v", events)
	}
	if events[0].Details["sessionId"] != events[1].Details["sessionId"] {
		t.Fatalf("start and stop name different sessions: %v, %v", events[1].Details, events[0].Details)
	}
}

// Changes made from an impersonation session name the admin behind them.
func TestAuditActionWhileImpersonating(t *testing.T) {
	t.Parallel()
	f := newFixture(t, rolesFile(t, f1Roles))
	support := signUpNamed(t, f.srv, "support")
	setRole(t, f.srv, support.ID, "support")
	body := expectOK(t, post(f.srv, "/admin/impersonate-user", map[string]any{"userId": support.ID}, f.root.Token))
	token := sessionOf(t, body)["token"].(string)
	expectOK(t, post(f.srv, "/admin/update-user", map[string]any{"userId": f.bob.ID, "data": map[string]any{"name": "B"}}, token))
	events := auditEvents(t, f.srv, admin.AuditFilter{TargetUserID: f.bob.ID, Action: admin.ActionUserUpdate})
	if len(events) != 1 || events[0].Actor.ID != support.ID || events[0].Details["impersonatedBy"] != f.root.ID {
		t.Fatalf("events: %+v", events)
	}
}

func TestAuditFilterSinceAndLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for range 3 {
		expectOK(t, post(f.srv, "/admin/revoke-user-sessions", map[string]any{"userId": f.bob.ID}, f.root.Token))
	}
	if n := len(auditEvents(t, f.srv, admin.AuditFilter{TargetUserID: f.bob.ID, Limit: 2})); n != 2 {
		t.Fatalf("limit 2 returned %d events", n)
	}
	if n := len(auditEvents(t, f.srv, admin.AuditFilter{TargetUserID: f.bob.ID, Since: f.srv.Clock.Now().Add(time.Hour)})); n != 0 {
		t.Fatalf("since the future returned %d events", n)
	}
}
