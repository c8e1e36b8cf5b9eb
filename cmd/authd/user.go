package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/authd/authd/internal/admin"
	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

func init() {
	register("user", command{
		usage: "create --email E --name N",
		help:  "create a user, such as the first admin",
		run:   runUser,
	})
}

const userCreateUsage = "usage: authd user create --email EMAIL --name NAME [--role ROLE] [--email-verified] [--generate-password]"

func runUser(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(userCreateUsage)
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "email address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "", "role, or several separated by commas (default: AUTHD_ADMIN_DEFAULT_ROLE)")
	verified := fs.Bool("email-verified", false, "mark the email address as verified")
	generate := fs.Bool("generate-password", false, "generate a password and print it once instead of reading one")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q\n%s", fs.Args(), userCreateUsage)
	}

	// Only the settings this command needs are read, so it runs with the
	// database URL alone; the roles file is checked as at start-up.
	env := config.NewEnv(os.LookupEnv)
	adminCfg := admin.LoadConfig(env)
	minLength := env.Int("AUTHD_PASSWORD_MIN_LENGTH", 8, 1, 128)
	maxLength := env.Int("AUTHD_PASSWORD_MAX_LENGTH", 128, 8, 1024)
	defaultRole := env.String("AUTHD_ADMIN_DEFAULT_ROLE", "user")
	if err := env.Err(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}

	addr := strings.ToLower(strings.TrimSpace(*email))
	if !api.IsEmail(addr) {
		return fmt.Errorf("--email %q is not a valid email address", *email)
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New("--name is required")
	}
	roleValue := defaultRole
	if *role != "" {
		roleValue = *role
	}
	access := adminCfg.Access
	if access.ChecksRoleNames() {
		for _, r := range strings.Split(roleValue, ",") {
			if !access.RoleExists(r) {
				return fmt.Errorf("--role: role %q is not defined in AUTHD_ADMIN_ROLES_FILE (roles: %s)", r, strings.Join(access.RoleNames(), ", "))
			}
		}
	}

	var password string
	if *generate {
		password = randstr.String(24, randstr.Alphanumeric)
	} else {
		var err error
		if password, err = readPassword(); err != nil {
			return err
		}
	}
	if n := api.UTF16Len(password); n < minLength || n > maxLength {
		return fmt.Errorf("the password has %d characters: it needs between %d and %d (AUTHD_PASSWORD_MIN_LENGTH, AUTHD_PASSWORD_MAX_LENGTH)", n, minLength, maxLength)
	}

	url, err := loadDatabaseURL()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, url, store.PoolOptions{MaxConns: 2})
	if err != nil {
		return err
	}
	defer st.Close()

	event := admin.AuditEvent{Actor: admin.Actor{Type: admin.ActorCLI, ID: operatorName()}}
	u, err := admin.CreateUser(ctx, st, admin.NewUser{
		Email: addr, Name: strings.TrimSpace(*name), Password: password, Role: roleValue, EmailVerified: *verified,
	}, time.Now(), event)
	if errors.Is(err, admin.ErrEmailTaken) {
		return fmt.Errorf("a user with email %s already exists; an admin can change its role with POST /admin/set-role", addr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "created user %s (%s) with role %q\n", u.ID, u.Email, roleValue)
	if *generate {
		fmt.Fprintln(os.Stderr, "generated password; it is shown only once:")
		fmt.Println(password)
	}
	return nil
}

// readPassword prompts twice without echo on a terminal, or reads the
// first line of standard input when it is piped.
func readPassword() (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", errors.New("standard input is empty: pipe the password as one line, or use --generate-password")
		}
		return line, nil
	}
	fmt.Fprint(os.Stderr, "Password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	fmt.Fprint(os.Stderr, "Repeat the password: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if string(first) != string(second) {
		return "", errors.New("the two passwords differ; run the command again")
	}
	return string(first), nil
}

// operatorName names the person at the command line in the audit log.
func operatorName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}
