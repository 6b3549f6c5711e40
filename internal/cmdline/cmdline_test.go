package cmdline

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// sample is a small tree: "tool [-v] ship -point CODE [-batch B] ORDER...",
// "tool fail", "tool skip" and "tool group leaf". did records the actions
// that ran.
func sample(did *[]string) *cli.Command {
	act := func(name string, err error) cli.ActionFunc {
		return func(_ context.Context, cmd *cli.Command) error {
			*did = append(*did, name+" "+strings.Join(cmd.Args().Slice(), " "))
			return err
		}
	}
	return &cli.Command{
		Name:  "tool",
		Usage: "a sample",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say more"}},
		Commands: []*cli.Command{
			{Name: "ship", Usage: "ship orders", ArgsUsage: "ORDER...",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "point", Required: true, Usage: "pickup point `CODE`"},
					&cli.StringFlag{Name: "batch", Usage: "`BATCH` code"},
					&cli.IntFlag{Name: "n", Usage: "a number"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.Args().Len() == 0 {
						return Usagef("missing ORDER")
					}
					return act("ship", nil)(ctx, cmd)
				}},
			{Name: "fail", Usage: "fails", Action: act("fail", errors.New("disk on fire\nand more"))},
			{Name: "skip", Usage: "skips", Action: act("skip", NotDonef("1 of 1 skipped"))},
			{Name: "env", Usage: "bad environment", Action: act("env", EnvError(errors.New("DATABASE_URL must be set")))},
			{Name: "group", Usage: "a group", Commands: []*cli.Command{
				{Name: "leaf", Usage: "a leaf", Action: act("leaf", nil)},
			}},
		},
	}
}

func runner(t *testing.T, build func() *cli.Command) RunFunc {
	return func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(t.Context(), build(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
}

func TestRun(t *testing.T) {
	var did []string
	run := runner(t, func() *cli.Command { return sample(&did) })
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string // the one line, "" for none
		did    string // the action that ran, "" for none
	}{
		{[]string{"ship", "-point", "P1", "A", "-batch", "B", "C"}, ExitOK, "", "ship A C"},
		{[]string{"ship", "--point=P1", "A"}, ExitOK, "", "ship A"},
		{[]string{"-v", "ship", "-point", "P1", "A"}, ExitOK, "", "ship A"},
		{[]string{"ship", "-point", "P1", "-v", "A"}, ExitOK, "", "ship A"},
		{[]string{"ship", "--help", "-point", "P1", "A"}, ExitOK, "", ""},
		{[]string{"ship", "-point", "P1", "A", "-h"}, ExitOK, "", ""},
		{[]string{"group", "leaf", "--help"}, ExitOK, "", ""},
		{[]string{"help", "group"}, ExitOK, "", ""},
		{[]string{"ship", "-point", "P1"}, ExitUsage, "tool ship: missing ORDER (see tool ship --help)", ""},
		{[]string{"ship", "A"}, ExitUsage, `tool ship: Required flag "point" not set (see tool ship --help)`, ""},
		{[]string{"ship", "-point"}, ExitUsage, "tool ship: flag needs an argument: -point (see tool ship --help)", ""},
		{[]string{"ship", "-point", "P", "-n", "x", "A"}, ExitUsage, "", ""},
		{[]string{"ship", "-frob", "A"}, ExitUsage, "tool ship: unknown flag -frob (see tool ship --help)", ""},
		{[]string{"frob"}, ExitUsage, "", ""},
		{[]string{"group"}, ExitUsage, "tool group: missing subcommand: leaf (see tool group --help)", ""},
		{[]string{"group", "twig"}, ExitUsage, `tool group: unknown subcommand "twig": want leaf (see tool group --help)`, ""},
		{[]string{"help", "twig"}, ExitUsage, `tool help: no command "twig" in tool (see tool help --help)`, ""},
		{[]string{"env"}, ExitUsage, "tool env: configuration: DATABASE_URL must be set", "env "},
		{[]string{"fail"}, ExitFailure, "tool fail: disk on fire; and more", "fail "},
		{[]string{"skip"}, ExitNotDone, "tool skip: 1 of 1 skipped", "skip "},
	} {
		did = nil
		code, out, errOut := run(tc.args...)
		if code != tc.code {
			t.Errorf("%q: exit %d; want %d (%q %q)", tc.args, code, tc.code, out, errOut)
		}
		wantDid := []string(nil)
		if tc.did != "" {
			wantDid = []string{tc.did}
		}
		if strings.Join(did, "|") != strings.Join(wantDid, "|") {
			t.Errorf("%q ran %q; want %q", tc.args, did, wantDid)
		}
		switch {
		case code == ExitOK && errOut != "":
			t.Errorf("%q: exit 0 with stderr %q", tc.args, errOut)
		case code != ExitOK && strings.Count(errOut, "\n") != 1:
			t.Errorf("%q: stderr %q; want exactly one line", tc.args, errOut)
		case code != ExitOK && tc.stderr != "" && errOut != tc.stderr+"\n":
			t.Errorf("%q: stderr %q; want %q", tc.args, errOut, tc.stderr)
		case code != ExitOK && out != "":
			t.Errorf("%q: a failure printed %q on stdout", tc.args, out)
		case code == ExitOK && tc.did == "" && !strings.Contains(out, "USAGE"):
			t.Errorf("%q printed %q; want the usage", tc.args, out)
		}
	}
}

func TestSynopsis(t *testing.T) {
	var did []string
	root := Prepare(sample(&did), nil, nil)
	if got, want := root.Command("ship").UsageText, "tool ship --point CODE [--batch BATCH] [-n VALUE] ORDER..."; got != want {
		t.Errorf("ship synopsis %q; want %q", got, want)
	}
	for _, leaf := range []string{"tool ship --point CODE", "tool fail", "tool skip", "tool group leaf", "tool help [COMMAND [SUBCOMMAND]]"} {
		if !strings.Contains(root.UsageText, leaf) {
			t.Errorf("the root's usage lacks %q:\n%s", leaf, root.UsageText)
		}
	}
}

func TestAudit(t *testing.T) {
	var did []string
	if problems := Audit(sample(&did), runner(t, func() *cli.Command { return sample(&did) })); len(problems) > 0 {
		t.Fatalf("the sample breaks the contract:\n%s", strings.Join(problems, "\n"))
	}
	if len(did) > 0 {
		t.Fatalf("help ran %q", did)
	}
	// Each way to break the contract is found.
	for _, tc := range []struct {
		name   string
		break_ func(root *cli.Command)
		want   string
	}{
		{"a synopsis written by hand without a flag", func(root *cli.Command) {
			root.Command("ship").UsageText = "tool ship -point CODE ORDER..."
		}, "does not name tool ship --batch"},
		{"a leaf hidden from the overview", func(root *cli.Command) {
			root.UsageText = "tool fail"
		}, "has no line for tool ship"},
		{"a command without --help", func(root *cli.Command) {
			root.Command("fail").HideHelp = true
		}, "tool fail --help: exit 2"},
		{"usage without a subcommand", func(root *cli.Command) {
			root.UsageText = "tool ship -point CODE [-batch BATCH] [-n VALUE] ORDER...\ntool fail\ntool skip\ntool env\ntool help"
			root.CustomRootCommandHelpTemplate = "{{.UsageText}}\n"
		}, "the usage of tool does not name its subcommand group"},
	} {
		build := func() *cli.Command {
			root := sample(&did)
			tc.break_(root)
			return root
		}
		problems := strings.Join(Audit(build(), runner(t, build)), "\n")
		if !strings.Contains(problems, tc.want) {
			t.Errorf("%s: Audit found\n%s\nwant a problem containing %q", tc.name, problems, tc.want)
		}
	}
}

func TestExamples(t *testing.T) {
	var did []string
	doc := "```sh\n" +
		"./tool ship -point P1 -batch B ORDER1   # single dashes\n" +
		"./tool ship --point=P1 [--batch B] \\\n    ORDER1 [-v]   # continued\n" +
		"go run ./cmd/tool\n" +
		"./tool group leaf -h\n" +
		"./tool-other frob   # another program\n" +
		"```\n"
	problems, checked := Examples(sample(&did), doc)
	if len(problems) > 0 || checked != 4 {
		t.Fatalf("checked %d lines, problems:\n%s", checked, strings.Join(problems, "\n"))
	}
	for _, bad := range []struct{ line, want string }{
		{"./tool ship -point P1 -frob ORDER1", "tool ship takes no flag -frob"},
		{"./tool ship [--weight 3] ORDER1", "tool ship takes no flag --weight"},
		{"./tool group -v", "tool group needs a subcommand"},
		{"./tool bench start", "tool has no command bench"},
	} {
		problems, _ := Examples(sample(&did), bad.line)
		if len(problems) != 1 || !strings.Contains(problems[0], bad.want) {
			t.Errorf("%q: problems %q; want one with %q", bad.line, problems, bad.want)
		}
	}
}
