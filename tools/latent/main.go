// Command latent trains autoencoders, exports them to ONNX and runs ONNX
// models on latent's native kernels or on ONNX Runtime.
//
// Each subcommand lives in its own file and registers itself with
// register() from an init function; main only dispatches.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one latent subcommand.
type command struct {
	name    string
	summary string
	// run executes the command with the arguments after its name. It returns
	// a usageError for bad flags or arguments (exit 2), any other error for
	// failures (exit 1).
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("latent: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" {
		args = []string{args[1], "--help"} // latent help CMD
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "latent: %s\n", usageLine("", unknownName("command", args[0], commandNames())))
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	default:
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "latent %s: %s\n", c.name, usageLine(c.name, err))
			return exitUsage
		}
		fmt.Fprintf(stderr, "latent %s: %v\n", c.name, err)
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			return ec.ExitCode()
		}
		return exitFail
	}
}

// commandNames returns the registered command names, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: latent <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nA MODEL argument is a .onnx file or a run folder (runs/fashion, as train, export and demo write).")
	fmt.Fprintln(w, "Run 'latent <command> --help' for a command's flags and examples.")
}
