package clientip

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	r, err := NewResolver([]string{"10.0.0.0/8", "192.0.2.7"}, 64)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, xff, want string
	}{
		{"untrusted peer ignores header", "203.0.113.9:1234", "198.51.100.1", "203.0.113.9"},
		{"trusted peer uses header", "10.1.2.3:1234", "198.51.100.1", "198.51.100.1"},
		{"trusted chain skipped from the right", "10.1.2.3:1234", "198.51.100.1, 192.0.2.7, 10.9.9.9", "198.51.100.1"},
		{"spoofed left entry ignored", "10.1.2.3:1234", "1.1.1.1, 198.51.100.2", "198.51.100.2"},
		{"malformed entry falls back to peer", "10.1.2.3:1234", "nonsense", "10.1.2.3"},
		{"all trusted falls back to peer", "10.1.2.3:1234", "10.0.0.1", "10.1.2.3"},
		{"no header", "10.1.2.3:1234", "", "10.1.2.3"},
		{"mapped IPv4", "[::ffff:192.0.2.1]:80", "", "192.0.2.1"},
		{"IPv6 masked to /64", "[2001:db8:1:2::5]:80", "", "2001:0db8:0001:0002:0000:0000:0000:0000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = c.remote
			if c.xff != "" {
				req.Header.Set("X-Forwarded-For", c.xff)
			}
			if got := r.ClientIP(req); got != c.want {
				t.Errorf("ClientIP = %q, want %q", got, c.want)
			}
		})
	}
}

func TestNewResolverRejectsBadProxy(t *testing.T) {
	if _, err := NewResolver([]string{"not-an-ip"}, 64); err == nil {
		t.Fatal("want an error for an invalid proxy")
	}
}
