// Package cmdline runs the command trees of shopbot and shopbot-bench,
// built with github.com/urfave/cli/v3, under one contract:
//
//   - -h and --help print a command's usage on stdout, exit 0 and do
//     nothing else; "help [COMMAND…]" does the same;
//   - a usage error (unknown flag or subcommand, missing argument, a value
//     that does not parse) exits 2 with one plain line on stderr;
//   - a failure exits 1 with one plain line on stderr;
//   - a command that did only part, or none, of what was asked exits 3
//     (its output says what was skipped);
//   - every usage lists every subcommand and every flag: a leaf's synopsis
//     is made from its flags, and the root's usage lists every leaf.
//
// Commands report outcomes with Usagef, EnvError and NotDonef; any other
// error is a failure.
package cmdline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v3"
)

// Exit codes.
const (
	ExitOK      = 0 // done as asked, or usage shown
	ExitFailure = 1 // the command failed: nothing, or not everything, was done
	ExitUsage   = 2 // the command line or the environment is wrong: nothing was done
	ExitNotDone = 3 // the command ran, but some or all of what was asked was skipped
)

// usageError is a wrong command line or environment: exit 2.
type usageError struct {
	msg  string
	hint bool // point at the command's --help
}

func (e *usageError) Error() string { return e.msg }

// Usagef is a usage error: exit 2, and the message ends with a pointer to
// the command's --help.
func Usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: true}
}

// EnvError is a configuration error (a bad environment variable): exit 2.
func EnvError(err error) error {
	return &usageError{msg: "configuration: " + err.Error()}
}

// notDoneError is an outcome where some or all of what was asked was
// skipped: exit 3.
type notDoneError struct{ msg string }

func (e *notDoneError) Error() string { return e.msg }

// NotDonef reports that the command ran but skipped some or all of what was
// asked: exit 3.
func NotDonef(format string, args ...any) error {
	return &notDoneError{msg: fmt.Sprintf(format, args...)}
}

// commandError says which command an error came from.
type commandError struct {
	path string
	err  error
}

func (e *commandError) Error() string { return e.path + ": " + e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

// Run runs root with args (without the program name) and returns the exit
// code. It prepares root first (see Prepare).
func Run(ctx context.Context, root *cli.Command, args []string, stdout, stderr io.Writer) int {
	Prepare(root, stdout, stderr)
	err := root.Run(ctx, append([]string{root.Name}, args...))
	return Report(err, root.Name, stderr)
}

// Report prints err as one line on stderr and returns its exit code.
func Report(err error, prog string, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	path := prog
	var ce *commandError
	if errors.As(err, &ce) {
		path, err = ce.path, ce.err
	}
	code, msg := ExitFailure, err.Error()
	var ue *usageError
	var nd *notDoneError
	switch {
	case errors.As(err, &ue):
		code = ExitUsage
		if ue.hint {
			msg += " (see " + path + " --help)"
		}
	case errors.As(err, &nd):
		code = ExitNotDone
	}
	fmt.Fprintf(stderr, "%s: %s\n", path, oneLine(msg))
	return code
}

func oneLine(s string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// Prepare makes root follow the package's contract: writers, a help
// command, usage errors, subcommand-only commands refusing a missing or
// unknown subcommand, the synopsis of every leaf and the root's list of
// all of them. It is idempotent; Run calls it.
func Prepare(root *cli.Command, stdout, stderr io.Writer) *cli.Command {
	root.Writer, root.ErrWriter = stdout, stderr
	// Errors come back from Run; nothing here calls os.Exit.
	root.ExitErrHandler = func(context.Context, *cli.Command, error) {}
	// The library's own help command takes no -h; ours does.
	root.HideHelpCommand = true
	if root.Command("help") == nil {
		root.Commands = append(root.Commands, helpCommand(root))
	}
	Walk(root, func(path []string, c *cli.Command) {
		name := strings.Join(path, " ")
		// "CMD ARG --help": the library looks for a subcommand ARG to
		// show; there is none, so it is CMD's usage that is wanted.
		c.CommandNotFound = func(ctx context.Context, cmd *cli.Command, _ string) { _ = showHelp(ctx, root, cmd) }
		c.OnUsageError = func(_ context.Context, _ *cli.Command, err error, _ bool) error {
			return &commandError{path: name, err: parseError(err)}
		}
		if len(c.Commands) > 0 && c.Action == nil {
			c.Action = groupAction(name)
		}
		if act := c.Action; act != nil {
			c.Action = func(ctx context.Context, cmd *cli.Command) error {
				err := act(ctx, cmd)
				if err == nil || errors.As(err, new(*commandError)) {
					return err
				}
				return &commandError{path: name, err: err}
			}
		}
		if c.UsageText == "" {
			if len(c.Commands) > 0 && c != root {
				c.UsageText = overview(path, c)
			} else if len(c.Commands) == 0 {
				c.UsageText = Synopsis(path, c)
			}
		}
	})
	if root.UsageText == "" {
		root.UsageText = overview([]string{root.Name}, root)
	}
	return root
}

// Walk calls fn for c and every command below it, parents first, with the
// names from the root.
func Walk(c *cli.Command, fn func(path []string, c *cli.Command)) {
	walk([]string{c.Name}, c, fn)
}

func walk(path []string, c *cli.Command, fn func([]string, *cli.Command)) {
	fn(path, c)
	for _, sub := range c.Commands {
		walk(append(path[:len(path):len(path)], sub.Name), sub, fn)
	}
}

// parseError turns the library's parse errors into usage errors.
func parseError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		msg = "unknown flag " + name
	}
	return &usageError{msg: msg, hint: true}
}

// groupAction is the action of a command that only has subcommands.
func groupAction(path string) cli.ActionFunc {
	return func(_ context.Context, cmd *cli.Command) error {
		var names []string
		for _, sub := range cmd.VisibleCommands() {
			names = append(names, sub.Name)
		}
		if cmd.Args().Len() == 0 {
			return Usagef("missing subcommand: %s", strings.Join(names, ", "))
		}
		return Usagef("unknown subcommand %q: want %s", cmd.Args().First(), strings.Join(names, ", "))
	}
}

// helpCommand is "help [COMMAND…]": the usage of root or of a command below it.
func helpCommand(root *cli.Command) *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the usage of " + root.Name + " or of one of its commands",
		ArgsUsage: "[COMMAND [SUBCOMMAND]]",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			target := root
			for _, name := range cmd.Args().Slice() {
				next := target.Command(name)
				if next == nil || next.Hidden {
					return Usagef("no command %q in %s", name, strings.Join(target.Path(), " "))
				}
				target = next
			}
			return showHelp(ctx, root, target)
		},
	}
}

// showHelp prints the usage of c, as its --help does.
func showHelp(ctx context.Context, root, c *cli.Command) error {
	switch lineage := c.Lineage(); {
	case c == root:
		return cli.ShowRootCommandHelp(root)
	case len(c.VisibleCommands()) > 0:
		return cli.ShowSubcommandHelp(c)
	default:
		return cli.ShowCommandHelp(ctx, lineage[1], c.Name)
	}
}

// Synopsis is a leaf command's usage line: its path, its flags (required
// ones bare, the others in brackets) and its ArgsUsage. A flag's value is
// named by the `word` in backquotes of its usage text, as the library's
// help does.
func Synopsis(path []string, c *cli.Command) string {
	parts := append([]string{}, path...)
	for _, f := range c.Flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		name := f.Names()[0]
		s := "--" + name
		if len(name) == 1 {
			s = "-" + name
		}
		if d, ok := f.(cli.DocGenerationFlag); ok && d.TakesValue() {
			s += " " + placeholder(d.GetUsage())
		}
		if r, ok := f.(cli.RequiredFlag); !ok || !r.IsRequired() {
			s = "[" + s + "]"
		}
		parts = append(parts, s)
	}
	if c.ArgsUsage != "" {
		parts = append(parts, c.ArgsUsage)
	}
	return strings.Join(parts, " ")
}

func placeholder(usage string) string {
	if _, rest, ok := strings.Cut(usage, "`"); ok {
		if name, _, ok := strings.Cut(rest, "`"); ok {
			return name
		}
	}
	return "VALUE"
}

// overview lists every leaf below c: its synopsis and what it does.
func overview(path []string, c *cli.Command) string {
	type leaf struct{ synopsis, usage string }
	var leaves []leaf
	var collect func(path []string, c *cli.Command)
	collect = func(path []string, c *cli.Command) {
		for _, sub := range c.Commands {
			if sub.Hidden {
				continue
			}
			p := append(path[:len(path):len(path)], sub.Name)
			if len(sub.Commands) > 0 {
				collect(p, sub)
				continue
			}
			s := sub.UsageText
			if s == "" {
				s = Synopsis(p, sub)
			}
			leaves = append(leaves, leaf{s, sub.Usage})
		}
	}
	collect(path, c)
	const column = 40
	var b strings.Builder
	for i, l := range leaves {
		if i > 0 {
			b.WriteString("\n")
		}
		switch {
		case l.usage == "":
			b.WriteString(l.synopsis)
		case len(l.synopsis) < column:
			fmt.Fprintf(&b, "%-*s %s", column, l.synopsis, l.usage)
		default:
			fmt.Fprintf(&b, "%s\n%*s %s", l.synopsis, column, "", l.usage)
		}
	}
	return b.String()
}
