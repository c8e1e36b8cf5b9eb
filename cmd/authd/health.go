package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func init() {
	register("health", command{
		usage: "[--ready] [--url URL]",
		help:  "exit 0 when the local server returns 200 on /healthz (or /readyz), for container health checks",
		run:   runHealth,
	})
}

// runHealth is the container HEALTHCHECK: distroless images have no curl or
// shell, so the binary checks itself. It reads AUTHD_LISTEN_ADDR like the
// server does, and requests the loopback address when the server listens
// on every interface.
func runHealth(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	ready := fs.Bool("ready", false, "check /readyz (database and migrations) instead of /healthz")
	url := fs.String("url", "", "URL to check instead of the one derived from AUTHD_LISTEN_ADDR")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the response")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		addr := os.Getenv("AUTHD_LISTEN_ADDR")
		if addr == "" {
			addr = "127.0.0.1:3000"
		}
		base, err := localURL(addr)
		if err != nil {
			return err
		}
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		*url = base + path
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", *url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", *url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %s", *url, resp.StatusCode, body)
	}
	fmt.Printf("%s\n", body)
	return nil
}

// localURL turns a listen address into a URL this machine can reach: an
// empty or unspecified host (":3000", "0.0.0.0:3000", "[::]:3000") becomes
// the loopback address of the same family.
func localURL(listenAddr string) (string, error) {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "", fmt.Errorf("AUTHD_LISTEN_ADDR: invalid address %q: %w", listenAddr, err)
	}
	if port == "" {
		return "", errors.New("AUTHD_LISTEN_ADDR: no port in " + listenAddr)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.To4() != nil && ip.IsUnspecified()):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
