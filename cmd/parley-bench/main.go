package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// usage is the help of the command as a whole.
const usage = `parley-bench measures a Parley server over its wire protocol.

Usage:

	parley-bench relay [flags]   conversations between visitors and agents: latency, loss, throughput
	parley-bench idle [flags]    idle visitor connections: how many are held, memory per connection
	parley-bench serve [flags]   the reference server the project's figures are measured on

Run "parley-bench COMMAND -h" for a command's flags.
`

// run runs the command args name and returns the process's exit code: 0,
// 1 when the command failed, 2 for a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "relay":
		err = relayCommand(ctx, args[1:], stdout, stderr)
	case "idle":
		err = idleCommand(ctx, args[1:], stdout, stderr)
	case "serve":
		err = serveCommand(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "parley-bench: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "parley-bench %s: %v\n", args[0], err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "parley-bench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// usageError is a command line that cannot be run.
type usageError string

func (e usageError) Error() string { return string(e) }

// newFlags returns a flag set for command name whose -h prints help, the
// command's description, then its flags.
func newFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: parley-bench %s [flags]\n\n%s\nFlags:\n", name, help)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; a parse error is a usage error (the flag package has
// printed it), and arguments after the flags are refused.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	return nil
}
