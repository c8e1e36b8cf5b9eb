package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// findTool returns the path of a proxy program, or skips the test when it
// is missing. In CI (CI set) a missing program fails the test instead:
// .ci/run installs it, and a silent skip would hide the lost coverage.
func findTool(t *testing.T, name, pkg string) string {
	t.Helper()
	for _, candidate := range []string{name, "/usr/sbin/" + name, "/usr/bin/" + name} {
		if p, err := exec.LookPath(candidate); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed; install the Debian package with `apt-get install -y %s` (make test does so through .ci/run)", name, pkg)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// startNginx runs nginx in the foreground with deploy/nginx's server block,
// rendered for the given addresses, and stops it when the test ends.
func startNginx(t *testing.T, listen, authdAddr, appAddr string) {
	t.Helper()
	nginx := findTool(t, "nginx", "nginx")
	dir := t.TempDir()
	snippet, err := os.ReadFile(deployFile("nginx", "authd-forward-auth.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authd-forward-auth.conf"), snippet, 0o644); err != nil {
		t.Fatal(err)
	}
	template, err := os.ReadFile(deployFile("nginx", "authd.conf.template"))
	if err != nil {
		t.Fatal(err)
	}
	server := strings.NewReplacer(
		"${AUTHD_UPSTREAM}", authdAddr,
		"${APP_UPSTREAM}", appAddr,
		"${NGINX_LISTEN}", listen,
		"${AUTHD_SNIPPETS}", dir,
	).Replace(string(template))
	if err := os.WriteFile(filepath.Join(dir, "authd.conf"), []byte(server), 0o644); err != nil {
		t.Fatal(err)
	}

	// As root, nginx would switch its worker to "nobody", which cannot
	// enter the test's private temporary folder.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	main := fmt.Sprintf(`daemon off;
%[2]s
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 256; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/authd.conf;
}
`, dir, user)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	errorLog := filepath.Join(dir, "error.log")
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", conf, "-e", errorLog).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t rejects the configuration: %v\n%s", err, out)
	}

	cmd := exec.Command(nginx, "-p", dir, "-c", conf, "-e", errorLog)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	logs := func() string { return out.String() + readFile(errorLog) }
	t.Cleanup(func() {
		// SIGQUIT is nginx's graceful stop.
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx logs:\n%s", logs())
		}
	})
	waitForPort(t, listen, exited, logs)
}

// TestNginx puts authd and an application behind nginx with the shipped
// configuration and checks forward auth: allowed, refused, forbidden,
// rate limited and banned requests.
func TestNginx(t *testing.T) {
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	app := echoApp(t)
	a := startAuthd(t, "http://"+listen, proxySettings)
	startNginx(t, listen, a.ListenAddr, strings.TrimPrefix(app.URL, "http://"))
	runProxyScenarios(t, "http://"+listen, a)
}
