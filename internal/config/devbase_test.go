package config

import "testing"

func TestDevBaseURLFollowsListenAddr(t *testing.T) {
	cases := map[string]string{
		"127.0.0.1:4000": "http://127.0.0.1:4000",
		":4001":          "http://127.0.0.1:4001",
		"0.0.0.0:4002":   "http://127.0.0.1:4002",
		"[::1]:4003":     "http://[::1]:4003",
	}
	for listen, want := range cases {
		env := NewEnv(func(k string) (string, bool) {
			v, ok := map[string]string{"AUTHD_MODE": "dev", "AUTHD_LISTEN_ADDR": listen}[k]
			return v, ok
		})
		c := Load(env)
		if err := env.Err(); err != nil {
			t.Fatalf("listen %s: %v", listen, err)
		}
		if got := c.BaseURL.String(); got != want {
			t.Errorf("listen %s: base URL = %s, want %s", listen, got, want)
		}
	}
}

func TestBaseURLWithPathRejected(t *testing.T) {
	for _, base := range []string{"https://auth.example.com/api/auth", "https://auth.example.com?x=1"} {
		env := NewEnv(func(k string) (string, bool) {
			v, ok := map[string]string{"AUTHD_MODE": "dev", "AUTHD_BASE_URL": base}[k]
			return v, ok
		})
		Load(env)
		if env.Err() == nil {
			t.Errorf("AUTHD_BASE_URL=%s was accepted", base)
		}
	}
	env := NewEnv(func(k string) (string, bool) {
		v, ok := map[string]string{"AUTHD_MODE": "dev", "AUTHD_BASE_URL": "https://auth.example.com/"}[k]
		return v, ok
	})
	Load(env)
	if err := env.Err(); err != nil {
		t.Errorf("origin with a trailing slash rejected: %v", err)
	}
}
