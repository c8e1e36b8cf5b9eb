package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startCaddy runs Caddy with deploy/caddy/Caddyfile unchanged, configured
// through its environment variables, and stops it when the test ends.
func startCaddy(t *testing.T, listen, authdAddr, appAddr string) {
	t.Helper()
	caddy := findTool(t, "caddy", "caddy")
	dir := t.TempDir()
	cmd := exec.Command(caddy, "run", "--adapter", "caddyfile", "--config", deployFile("caddy", "Caddyfile"))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + dir,
		"XDG_DATA_HOME=" + dir,
		"CADDY_ADMIN=off",
		// An http:// site address keeps Caddy from issuing a certificate
		// for the IP address.
		"CADDY_SITE=http://" + listen,
		"AUTHD_UPSTREAM=" + authdAddr,
		"APP_UPSTREAM=" + appAddr,
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("caddy output:\n%s", out)
		}
	})
	waitForPort(t, listen, exited, out.String)
}

// TestCaddy runs the proxy scenarios of TestNginx through Caddy's
// forward_auth.
func TestCaddy(t *testing.T) {
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	app := echoApp(t)
	a := startAuthd(t, "http://"+listen, proxySettings)
	startCaddy(t, listen, a.ListenAddr, strings.TrimPrefix(app.URL, "http://"))
	runProxyScenarios(t, "http://"+listen, a)
}
