package bench

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"shopbot/internal/cmdline"
)

func shopbotBench(t *testing.T, vars map[string]string) cmdline.RunFunc {
	return func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(t.Context(), args, func(k string) string { return vars[k] }, &out, &errOut)
		return code, out.String(), errOut.String()
	}
}

// commandTree is shopbot-bench's command tree, to walk.
func commandTree() *cli.Command {
	return newRoot(func(string) string { return "" }, io.Discard, io.Discard)
}

// Every benchmark answers --help, -h and "help NAME" with its usage, names
// its flags there and in the root's usage, and runs nothing: no database
// appears.
func TestHelp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := shopbotBench(t, map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "bench.db")})
	if problems := cmdline.Audit(commandTree(), run); len(problems) > 0 {
		t.Errorf("shopbot-bench breaks the command line's contract:\n%s", strings.Join(problems, "\n"))
	}
	_, usage, _ := run("--help")
	for _, b := range benchmarks() {
		if !strings.Contains(usage, "shopbot-bench "+b.name) {
			t.Errorf("the usage lacks %s", b.name)
		}
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("asking for help left %v in the database's directory", files)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	run := shopbotBench(t, map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "bench.db")})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "missing subcommand: start, chat, telegram, wechat, drop, broadcast, pay"},
		{[]string{"refund"}, `unknown subcommand "refund"`},
		{[]string{"pay", "-orders", "0"}, "-orders 0: want 1 or more"},
		{[]string{"chat", "-users", "0"}, "-users 0: want 1 or more"},
		{[]string{"drop", "-buyers", "many"}, "invalid value"},
		{[]string{"drop", "-rate", "3"}, "unknown flag -rate"},
		{[]string{"broadcast", "extra"}, `unexpected argument "extra"`},
		{[]string{"telegram", "-send-duration"}, "flag needs an argument"},
	} {
		code, out, errOut := run(tc.args...)
		if code != cmdline.ExitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q = %d, %q, %q; want 2 and one line with %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// Each benchmark runs, small, and prints its one line of figures.
func TestBenchmarksRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmarks")
	}
	t.Parallel()
	run := shopbotBench(t, map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "bench.db")})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"chat", "-users", "2", "-duration", "100ms"}, `^store=sqlite users=2 messages=\d+ errors=0 msgs_per_s=\d+ p50_ms=\S+ p99_ms=\S+ healthz_per_s=\d+ ratio=\S+\n$`},
		{[]string{"drop", "-buyers", "20", "-units", "5"}, `^buyers=20 units=5 sold=5 oversold=0 duplicate_orders=0 decisions_per_s=\d+ p99_ms=\S+ p99_reserved_ms=\S+ p99_refused_ms=\S+\n$`},
		{[]string{"wechat", "-messages", "20", "-users", "4"}, `^wechat: messages=20 msgs_per_s=\d+ p50_ms=\S+ p99_ms=\S+ max_ms=\S+ deferred=\d+ failed=0 budget_ms=4000\n$`},
		{[]string{"telegram", "-updates", "20", "-users", "4", "-send-duration", "200ms"}, `^telegram webhook: updates=20 updates_per_s=\d+ ack_p50_ms=\S+ ack_p99_ms=\S+ max_ms=\S+ failed=0\ntelegram sender: sent=\d+ msgs_per_s=\S+ of_limit=\S+ limit=\{30 1s\} violations=\d+ failed=\d+\n$`},
		{[]string{"pay", "-orders", "20", "-workers", "2"}, `^store=sqlite orders=20 workers=2 errors=0 notify_per_s=\d+ p50_ms=\S+ p99_ms=\S+ replay_per_s=\d+ replay_errors=0 rsa_verify_per_s=\d+ ratio=\S+\n$`},
		{[]string{"broadcast", "-recipients", "20", "-rate", "1000"}, `^store=sqlite recipients=20 sent=20 status=done wall=\S+ send_span=\S+ achieved_per_s=\S+ allowed_per_s=1000 ratio=\S+ violations=\d+ duplicates=0 missed=0 rss_before_mb=\S+ peak_rss_mb=\S+\n$`},
	} {
		code, out, errOut := run(tc.args...)
		if code != 0 || !regexp.MustCompile(tc.want).MatchString(out) {
			t.Errorf("%q = %d\n%s%s\nwant %s", tc.args, code, out, errOut, tc.want)
		}
	}
}

// The README's shopbot-bench command lines name benchmarks and flags that exist.
func TestREADMECommands(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	problems, checked := cmdline.Examples(commandTree(), string(doc))
	if checked < 6 {
		t.Errorf("only %d shopbot-bench command lines found in README.md", checked)
	}
	if len(problems) > 0 {
		t.Errorf("README.md shows command lines that do not parse:\n%s", strings.Join(problems, "\n"))
	}
}
