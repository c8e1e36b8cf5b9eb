// Package clientip derives the client address of a request. authd runs
// behind reverse proxies, so X-Forwarded-For is honoured only when the
// socket peer is a configured trusted proxy; otherwise any client could
// pick the rate-limit bucket of another by sending the header.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver maps requests to client addresses.
type Resolver struct {
	trusted []netip.Prefix
	// IPv6Subnet is the prefix length that IPv6 clients are grouped by, so
	// one host cannot rotate through its /64 to escape a limit.
	IPv6Subnet int
}

// NewResolver parses trusted proxies given as addresses or CIDR prefixes.
func NewResolver(trustedProxies []string, ipv6Subnet int) (*Resolver, error) {
	r := &Resolver{IPv6Subnet: ipv6Subnet}
	for _, entry := range trustedProxies {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("invalid trusted proxy %q: %w", entry, err)
			}
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(entry)
		if err != nil {
			return nil, fmt.Errorf("invalid trusted proxy %q: want an IP address or CIDR prefix", entry)
		}
		a = a.Unmap()
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, nil
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the normalised client address: IPv4 as is, IPv4-mapped
// IPv6 as IPv4, other IPv6 masked to IPv6Subnet and written as eight
// four-digit groups (Better Auth's format). It returns "" only when the
// socket address cannot be parsed.
func (r *Resolver) ClientIP(req *http.Request) string {
	peer, ok := parseHostPort(req.RemoteAddr)
	if !ok {
		return ""
	}
	client := peer
	if r.isTrusted(peer) {
		if forwarded, ok := r.fromForwardedFor(req.Header.Values("X-Forwarded-For")); ok {
			client = forwarded
		}
	}
	return r.Normalize(client)
}

// fromForwardedFor walks the header from the right, skipping trusted
// proxies; the first untrusted entry is the client.
func (r *Resolver) fromForwardedFor(values []string) (netip.Addr, bool) {
	var entries []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				entries = append(entries, part)
			}
		}
	}
	for i := len(entries) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(entries[i])
		if err != nil {
			return netip.Addr{}, false
		}
		if !r.isTrusted(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// Normalize writes an address in Better Auth's normalised form.
func (r *Resolver) Normalize(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	bits := r.IPv6Subnet
	if bits <= 0 || bits > 128 {
		bits = 128
	}
	masked, _ := a.WithZone("").Prefix(bits)
	b := masked.Addr().As16()
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = fmt.Sprintf("%02x%02x", b[2*i], b[2*i+1])
	}
	return strings.Join(groups, ":")
}

func parseHostPort(remote string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a, true
}
