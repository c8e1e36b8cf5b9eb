// Command authd is a standalone auth server that speaks Better Auth's HTTP
// protocol. Run "authd help" for the subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. Files of this package register theirs in
// init functions, so each command lives in its own file.
type command struct {
	usage string // arguments, shown in help
	help  string // one line
	run   func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

func register(name string, c command) { commands[name] = c }

func main() {
	args := os.Args[1:]
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		printHelp(os.Stdout)
		return
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "authd: unknown command %q\n\n", name)
		printHelp(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, args); err != nil {
		fmt.Fprintf(os.Stderr, "authd %s: %v\n", name, err)
		os.Exit(1)
	}
}

// printHelp lists the commands on w: standard output when help was
// requested, standard error after a usage mistake.
func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Usage: authd <command> [arguments]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-34s %s\n", n+" "+c.usage, c.help)
	}
	fmt.Fprintln(w, "\nSettings come from the environment: see docs/configuration.md.")
}
