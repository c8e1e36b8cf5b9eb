package apikey_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/authd/authd/internal/authtest"
)

// burst sends n requests at once, alternating between the servers, and
// counts the responses by outcome: "VALID", an error code, or "HTTP <status>"
// for a response without a code. It does not use Server.Do, which may stop
// the test from a goroutine.
func burst(t *testing.T, servers []*authtest.Server, n int, build func(srv *authtest.Server) *http.Request) map[string]int {
	t.Helper()
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		wg       sync.WaitGroup
		start    = make(chan struct{})
	)
	for i := range n {
		srv := servers[i%len(servers)]
		req := build(srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			outcome := send(srv.Client(), req)
			mu.Lock()
			outcomes[outcome]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return outcomes
}

// send performs req and names its outcome.
func send(client *http.Client, req *http.Request) string {
	resp, err := client.Do(req)
	if err != nil {
		return "transport error: " + err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var body struct {
		Code  string `json:"code"`
		Valid *bool  `json:"valid"`
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
		Session any `json:"session"`
	}
	_ = json.Unmarshal(data, &body)
	switch {
	case resp.StatusCode == 200 && body.Valid != nil && *body.Valid:
		return "VALID"
	case resp.StatusCode == 200 && body.Error != nil:
		return body.Error.Code
	case resp.StatusCode == 200 && body.Session != nil:
		return "VALID"
	case body.Code != "":
		return body.Code
	}
	return fmt.Sprintf("HTTP %d %s", resp.StatusCode, data)
}

func verifyRequest(srv *authtest.Server, service, key string) *http.Request {
	data, _ := json.Marshal(map[string]any{"key": key})
	req, _ := http.NewRequest("POST", srv.Base+"/api-key/verify", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+service)
	return req
}

func sessionRequest(srv *authtest.Server, key string) *http.Request {
	req, _ := http.NewRequest("GET", srv.Base+"/get-session", nil)
	req.Header.Set("x-api-key", key)
	return req
}

// replicas starts a second authd on the fixture's database.
func replicas(t *testing.T, f *fixture) []*authtest.Server {
	return []*authtest.Server{f.Server, authtest.NewWithDatabase(t, f.DatabaseURL, nil)}
}

func TestConcurrentRemaining(t *testing.T) {
	f := newFixture(t, nil)
	servers := replicas(t, f)
	id, key := f.serverKey(t, "", map[string]any{"remaining": 5, "rateLimitEnabled": false})

	got := burst(t, servers, 200, func(srv *authtest.Server) *http.Request { return verifyRequest(srv, f.service, key) })
	if got["VALID"] != 5 || got["USAGE_EXCEEDED"] != 195 {
		t.Errorf("outcomes %v, want 5 VALID and 195 USAGE_EXCEEDED", got)
	}
	r, _ := f.row(t, id)
	if *r.Remaining != 0 || *r.RequestCount != 5 {
		t.Errorf("remaining %d requestCount %d, want 0 and 5", *r.Remaining, *r.RequestCount)
	}
}

func TestConcurrentRateLimit(t *testing.T) {
	f := newFixture(t, nil)
	servers := replicas(t, f)
	id, key := f.serverKey(t, "", map[string]any{"rateLimitMax": 10, "rateLimitTimeWindow": 86400000})

	got := burst(t, servers, 200, func(srv *authtest.Server) *http.Request { return verifyRequest(srv, f.service, key) })
	if got["VALID"] != 10 || got["RATE_LIMITED"] != 190 {
		t.Errorf("outcomes %v, want 10 VALID and 190 RATE_LIMITED", got)
	}
	if r, _ := f.row(t, id); *r.RequestCount != 10 {
		t.Errorf("requestCount %d, want 10", *r.RequestCount)
	}
}

func TestConcurrentSessions(t *testing.T) {
	f := newFixture(t, nil)
	servers := replicas(t, f)
	id, key := f.serverKey(t, "", map[string]any{"remaining": 1})

	got := burst(t, servers, 8, func(srv *authtest.Server) *http.Request { return sessionRequest(srv, key) })
	if got["VALID"] != 1 || got["USAGE_EXCEEDED"] != 7 {
		t.Errorf("outcomes %v, want 1 VALID and 7 USAGE_EXCEEDED", got)
	}
	if r, _ := f.row(t, id); *r.Remaining != 0 || *r.RequestCount != 1 {
		t.Errorf("remaining %d requestCount %d, want 0 and 1", *r.Remaining, *r.RequestCount)
	}
}

// Revocation on one replica takes effect on the next request to the other.
func TestReplicaRevocation(t *testing.T) {
	f := newFixture(t, nil)
	other := &fixture{Server: authtest.NewWithDatabase(t, f.DatabaseURL, nil), user: f.user, service: f.service}
	id, key := f.serverKey(t, "", map[string]any{"rateLimitEnabled": false})
	if code := other.verifyCode(t, key); code != "VALID" {
		t.Fatalf("before: %s", code)
	}

	f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "enabled": false})
	if code := other.verifyCode(t, key); code != "KEY_DISABLED" {
		t.Errorf("after disabling on the first replica: %s", code)
	}
	expectError(t, other.Do("GET", "/get-session", nil, "x-api-key", key), 401, "KEY_DISABLED")

	f.asUser("POST", "/api-key/update", map[string]any{"keyId": id, "enabled": true})
	if code := other.verifyCode(t, key); code != "VALID" {
		t.Fatalf("after enabling again: %s", code)
	}
	f.asUser("POST", "/api-key/delete", map[string]any{"keyId": id})
	if code := other.verifyCode(t, key); code != "INVALID_API_KEY" {
		t.Errorf("after deleting on the first replica: %s", code)
	}
}
