package cmdline

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"
)

// RunFunc runs a command line (without the program name) as the program
// does and returns its exit code and output.
type RunFunc func(args ...string) (code int, stdout, stderr string)

// Audit checks the help of every command of root against the contract of
// the package and returns what breaks it, one problem a line:
//
//   - "CMD --help", "CMD -h" and "help CMD" exit 0 with the same usage on
//     stdout and nothing on stderr;
//   - that usage names every subcommand of CMD and every flag CMD takes
//     (its own and those it inherits);
//   - the root's usage has a line for every leaf command, naming its path
//     and every flag it takes.
//
// Whether a command did any work when asked for help is for the caller to
// check (a database file that must not appear, say). root is used only to
// know the tree; run builds its own.
func Audit(root *cli.Command, run RunFunc) []string {
	Prepare(root, io.Discard, io.Discard)
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	_, rootHelp, _ := run("--help")
	Walk(root, func(path []string, c *cli.Command) {
		args := path[1:]
		name := strings.Join(path, " ")
		code, usage, errOut := run(append(slices.Clip(args), "--help")...)
		if code != ExitOK || errOut != "" || !strings.Contains(usage, name) {
			fail("%s --help: exit %d, stderr %q; want 0, nothing on stderr and the usage on stdout:\n%s", name, code, errOut, usage)
			return
		}
		if code, out, errOut := run(append(slices.Clip(args), "-h")...); code != ExitOK || errOut != "" || out != usage {
			fail("%s -h: exit %d, stderr %q; want 0 and the usage of --help", name, code, errOut)
		}
		if code, out, errOut := run(append([]string{"help"}, args...)...); code != ExitOK || errOut != "" || out != usage {
			fail("help %s: exit %d, stderr %q; want 0 and the usage of --help:\n%s", strings.Join(args, " "), code, errOut, out)
		}
		for _, sub := range c.Commands {
			if !sub.Hidden && !containsWord(usage, sub.Name) {
				fail("the usage of %s does not name its subcommand %s", name, sub.Name)
			}
		}
		flags := takes(root, path)
		for _, f := range flags {
			if !strings.Contains(usage, f) {
				fail("the usage of %s does not name its flag %s", name, f)
			}
		}
		if len(c.Commands) > 0 || c == root {
			return
		}
		line := overviewLine(rootHelp, name)
		if line == "" {
			fail("the usage of %s has no line for %s", root.Name, name)
		}
		for _, f := range flags {
			if !slices.Contains(ancestorFlags(root, path), f) && !strings.Contains(line, f) {
				fail("the usage of %s does not name %s %s", root.Name, name, f)
			}
		}
	})
	return problems
}

// takes is the flags the command at path accepts, as the usage writes
// them: its own, and the persistent ones of the commands above it.
func takes(root *cli.Command, path []string) []string {
	c := root
	for _, n := range path[1:] {
		c = c.Command(n)
	}
	return append(flagNames(c.Flags, false), ancestorFlags(root, path)...)
}

// ancestorFlags is the persistent flags of the commands above path.
func ancestorFlags(root *cli.Command, path []string) []string {
	var names []string
	c := root
	for _, n := range path[1:] {
		names = append(names, flagNames(c.Flags, true)...)
		c = c.Command(n)
	}
	return names
}

func flagNames(flags []cli.Flag, persistentOnly bool) []string {
	var names []string
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		if l, ok := f.(cli.LocalFlag); persistentOnly && ok && l.IsLocal() {
			continue
		}
		n := f.Names()[0]
		if len(n) == 1 {
			names = append(names, "-"+n)
		} else {
			names = append(names, "--"+n)
		}
	}
	return names
}

// overviewLine is the line of a usage that starts with the command name.
func overviewLine(usage, name string) string {
	lines := strings.Split(usage, "\n")
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == name || strings.HasPrefix(t, name+" ") {
			return t
		}
	}
	return ""
}

func containsWord(s, word string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' || r == ',' || r == '\t' }) {
		if f == word {
			return true
		}
	}
	return false
}

// Examples checks the command lines of a document (a README) against
// root: every line that runs "./NAME …" or "go run ./cmd/NAME …" (a
// trailing backslash continues it) must name commands that exist and only
// flags they take, in the form written (-point and --point both parse). It
// returns the problems and how many command lines it checked.
func Examples(root *cli.Command, doc string) (problems []string, checked int) {
	Prepare(root, io.Discard, io.Discard)
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		for strings.HasSuffix(strings.TrimSpace(line), `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(strings.TrimSpace(line), `\`) + " " + lines[i]
		}
		rest, ok := "", false
		for _, prefix := range []string{"./" + root.Name, "go run ./cmd/" + root.Name} {
			if j := strings.Index(line, prefix); j >= 0 {
				after := line[j+len(prefix):]
				if after == "" || after[0] == ' ' {
					rest, ok = after, true
					break
				}
			}
		}
		if !ok {
			continue
		}
		if j := strings.Index(rest, " #"); j >= 0 {
			rest = rest[:j]
		}
		checked++
		if p := checkExample(root, strings.TrimSpace(rest)); p != "" {
			problems = append(problems, fmt.Sprintf("%q: %s", strings.TrimSpace(line), p))
		}
	}
	return problems, checked
}

func checkExample(root *cli.Command, args string) string {
	c, path := root, []string{root.Name}
	words := shellWords(args)
	for _, w := range words {
		if strings.HasPrefix(w, "-") {
			break
		}
		next := c.Command(w)
		if next == nil {
			break
		}
		c, path = next, append(path, w)
	}
	accepted := []string{"help", "h"}
	for i, cmd := 0, root; ; i++ {
		for _, f := range cmd.Flags {
			if l, ok := f.(cli.LocalFlag); cmd == c || !ok || !l.IsLocal() {
				accepted = append(accepted, f.Names()...)
			}
		}
		if i+1 >= len(path) {
			break
		}
		cmd = cmd.Command(path[i+1])
	}
	for _, w := range words {
		w = strings.Trim(w, "[]")
		if len(w) < 2 || w[0] != '-' || !isLetter(strings.TrimLeft(w, "-")) {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !slices.Contains(accepted, name) {
			return fmt.Sprintf("%s takes no flag %s", strings.Join(path, " "), w)
		}
	}
	if len(c.Commands) > 0 && c != root {
		return fmt.Sprintf("%s needs a subcommand", strings.Join(path, " "))
	}
	if c == root && len(words) > 0 && !strings.HasPrefix(words[0], "-") && words[0] != "…" {
		return fmt.Sprintf("%s has no command %s", root.Name, words[0])
	}
	return ""
}

func isLetter(s string) bool {
	return s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}

// shellWords splits a command line at spaces outside quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
