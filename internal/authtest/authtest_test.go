package authtest

import (
	"net/http"
	"testing"
)

func TestServerSignUpAndGetSession(t *testing.T) {
	srv := New(t, nil)
	u := srv.SignUp(UniqueEmail("harness"), "password123")
	resp := srv.Do("GET", "/get-session", nil, Bearer(u.Token)...)
	if resp.Status != http.StatusOK {
		t.Fatalf("get-session status %d: %s", resp.Status, resp.Body)
	}
	body := resp.JSON(t)
	user, _ := body["user"].(map[string]any)
	if user["id"] != u.ID {
		t.Fatalf("get-session user = %v, want id %s", user, u.ID)
	}
}

func TestTwoReplicasShareDatabase(t *testing.T) {
	a := New(t, nil)
	b := NewWithDatabase(t, a.DatabaseURL, nil)
	u := a.SignUp(UniqueEmail("replica"), "password123")
	if resp := b.Do("GET", "/get-session", nil, Bearer(u.Token)...); resp.Status != http.StatusOK || len(resp.Body) < 10 {
		t.Fatalf("second replica get-session: status %d: %s", resp.Status, resp.Body)
	}
}
