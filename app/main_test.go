package app

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/internal/cmdline"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestMainSubcommands(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	ctx := context.Background()
	run := func(vars map[string]string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	vars := map[string]string{"DATABASE_URL": db}
	if code, _, errOut := run(vars, "migrate"); code != 0 {
		t.Fatalf("migrate exit %d: %s", code, errOut)
	}
	// An empty shop: the import makes the categories the file names.
	code, out, errOut := run(vars, "catalog", "import", filepath.Join("..", "catalogio", "testdata", "example.csv"))
	if code != 0 || !strings.Contains(out, "4 categories created") {
		t.Fatalf("import into a database without categories: exit %d: %s %s", code, out, errOut)
	}
	// Prices in another currency than the shop's are refused with their line.
	rub := filepath.Join(t.TempDir(), "rub.csv")
	if err := os.WriteFile(rub, []byte("sku,category,title_en,price,currency,origin,stock\nR-1,snacks,Pryanik,90.00,RUB,local,5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(vars, "catalog", "import", rub); code != 2 || !strings.Contains(errOut, "line 2: price in RUB, the shop sells in CNY") {
		t.Fatalf("import of a RUB row into a CNY shop: exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut := run(vars, "demo", "seed"); code != 0 {
		t.Fatalf("demo seed exit %d: %s", code, errOut)
	}
	code, out, errOut = run(vars, "catalog", "import", filepath.Join("..", "catalogio", "testdata", "example.csv"))
	if code != 0 || !strings.Contains(out, "imported 4 products") {
		t.Fatalf("catalog import exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = run(vars, "catalog", "import", filepath.Join("..", "catalogio", "testdata", "example.json"))
	if code != 0 || !strings.Contains(out, "imported 4 products") {
		t.Fatalf("catalog import json exit %d: %s %s", code, out, errOut)
	}
	for _, tc := range []struct {
		vars map[string]string
		args []string
		code int
	}{
		{vars, []string{"frobnicate"}, 2},
		{vars, []string{"demo"}, 2},
		{vars, []string{"catalog", "import"}, 2},
		{vars, []string{"catalog", "import", "prices.xlsx"}, 1},
		{vars, []string{"catalog", "import", "missing.csv"}, 1},
		{map[string]string{"DATABASE_URL": "mysql://x"}, []string{"migrate"}, 2},
		{map[string]string{"SHOPBOT_RESERVATION_TTL": "soon"}, []string{"migrate"}, 2},
		{map[string]string{"SHOPBOT_TRUSTED_PROXIES": "nonsense"}, []string{"migrate"}, 2},
		{map[string]string{"DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=1"}, []string{"migrate"}, 1},
		{vars, []string{"help"}, 0},
	} {
		code, out, errOut := run(tc.vars, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d; want %d (%s%s)", tc.args, code, tc.code, out, errOut)
		}
		if strings.Contains(errOut, "hunter2") {
			t.Errorf("%v: the log shows the database password: %s", tc.args, errOut)
		}
	}
}

// A session lives in the database: a restart keeps the cart (and the web
// identity: its key is in the database too).
func TestSessionSurvivesRestart(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	user := "restart-user-1"
	first := start(t, cfg)
	r := first.say(user, "text", "/start")
	r = first.say(user, "action", button(t, r, "Shop"))
	r = first.say(user, "action", button(t, r, "Snacks"))
	r = first.say(user, "action", r[0].Buttons[0][0].Action)
	first.say(user, "action", button(t, r, "Add 1"))
	first.stop()
	s := start(t, cfg)
	s.browsers = first.browsers // the same browser, its cookie kept
	r = s.say(user, "text", "/cart")
	if !strings.Contains(lastText(r), "Total: ¥") {
		t.Fatalf("cart after restart = %q", lastText(r))
	}
}

// shopbot runs the command line in-process with vars as the environment.
func shopbot(t *testing.T, vars map[string]string) cmdline.RunFunc {
	return func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(t.Context(), args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
}

// commandTree is shopbot's command tree, to walk.
func commandTree() *cli.Command {
	return (&cliEnv{getenv: env(nil), stdout: io.Discard, stderr: io.Discard}).root()
}

// Every command and subcommand answers --help, -h and "help CMD" with its
// usage on stdout and exit 0, names in it every subcommand and flag it
// has, and does nothing: the database of the environment is not created
// (migrate would create it, serve too before it fails to listen on an
// impossible address), and the Bot API of TELEGRAM_TOKEN is not called.
func TestCLIHelp(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	dir := t.TempDir()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "fresh.db"), "SHOPBOT_HTTP_ADDR": "256.0.0.1:0",
		"TELEGRAM_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": api.Endpoint(), "TELEGRAM_MODE": "polling"}
	run := shopbot(t, vars)
	if problems := cmdline.Audit(commandTree(), run); len(problems) > 0 {
		t.Errorf("the command line breaks its contract:\n%s", strings.Join(problems, "\n"))
	}
	// Help after arguments and flags is help too.
	for _, args := range [][]string{{"drop", "show", "abc", "--help"}, {"pickup", "ship", "-point", "X", "A1", "-h"},
		{"--help", "migrate"}, {"-v", "serve", "-h"}, {"catalog", "import", "prices.csv", "-h"}} {
		if code, out, errOut := run(args...); code != 0 || errOut != "" || !strings.Contains(out, "USAGE") {
			t.Errorf("%q = %d, %q, %q; want 0 and the usage", args, code, out, errOut)
		}
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("asking for help left %v in the database's directory", files)
	}
	if calls := api.Calls(); len(calls) > 0 {
		t.Errorf("asking for help called the Bot API: %v", calls)
	}
}

// A usage error exits 2 with one plain line on stderr and does nothing;
// so does a bad environment.
func TestCLIUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "fresh.db"), "SHOPBOT_HTTP_ADDR": "256.0.0.1:0"}
	for _, tc := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{vars, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{vars, []string{"--frob"}, "unknown flag -frob"},
		{vars, []string{"bench", "drop", "-buyers", "10"}, "shopbot-bench drop -buyers 10"},
		{vars, []string{"serve", "now"}, `unexpected argument "now"`},
		{vars, []string{"migrate", "-x"}, "shopbot migrate: unknown flag -x"},
		{vars, []string{"catalog"}, "missing subcommand: import"},
		{vars, []string{"catalog", "import"}, "missing FILE"},
		{vars, []string{"catalog", "import", "a.csv", "b.csv"}, `unexpected argument "b.csv"`},
		{vars, []string{"demo"}, "missing subcommand: seed"},
		{vars, []string{"demo", "seed", "all"}, `unexpected argument "all"`},
		{vars, []string{"product", "add", "--title", "T"}, "Required flags"},
		{vars, []string{"product", "edit"}, "missing the product's ID or SKU"},
		{vars, []string{"product", "edit", "7", "--stock", "many"}, "--stock"},
		{vars, []string{"product", "list", "--all=maybe"}, "invalid value"},
		{vars, []string{"drop", "frob"}, `unknown subcommand "frob"`},
		{vars, []string{"drop", "create", "--product", "1", "--units", "5"}, `Required flag "starts"`},
		{vars, []string{"drop", "create", "--product", "1", "--units", "5", "--starts", "now", "--reserve", "soon"}, "invalid value"},
		{vars, []string{"drop", "edit", "abc"}, "at least one of"},
		{vars, []string{"drop", "post", "abc"}, `Required flag "chat"`},
		{vars, []string{"drop", "post", "abc", "--chat", "12"}, "negative"},
		{vars, []string{"drop", "post", "abc", "--chat", "-100123"}, "TELEGRAM_TOKEN"},
		{vars, []string{"pickup", "ship", "A1"}, `Required flag "point"`},
		{vars, []string{"pickup", "ship", "-point"}, "flag needs an argument: -point"},
		{vars, []string{"pickup", "ship", "-point", "SH-JINGAN"}, "missing ORDER"},
		{vars, []string{"pickup", "arrived", "-point", "SH-JINGAN"}, "missing ORDER, or -batch"},
		{vars, []string{"pickup", "staff", "-point", "SH-JINGAN", "fire", "tg:1"}, "want add or remove"},
		{vars, []string{"staff", "link"}, "missing IDENTITY"},
		{vars, []string{"staff", "link", "web:a", "-ttl", "soon"}, "invalid value"},
		{vars, []string{"broadcast", "send"}, `Required flag "text"`},
		{vars, []string{"broadcast", "send", "-text", "x", "-button", "no link"}, "-button"},
		{vars, []string{"broadcast", "send", "-text", "x", "-channel", "fax"}, "-channel"},
		{vars, []string{"broadcast", "status", "x"}, "want a number"},
		{vars, []string{"broadcast", "cancel"}, "missing ID"},
		{vars, []string{"wechat", "qr"}, "missing SCENE"},
		{vars, []string{"wechat", "menu"}, "WECHAT_APPID"},
		{vars, []string{"help", "frob"}, `no command "frob"`},
		{map[string]string{"DATABASE_URL": "mysql://x"}, []string{"migrate"}, "configuration: DATABASE_URL"},
		{map[string]string{"SHOPBOT_RESERVATION_TTL": "soon"}, []string{"drop", "list"}, "SHOPBOT_RESERVATION_TTL"},
		{map[string]string{"TELEGRAM_TOKEN": "1:x", "SHOPBOT_PUBLIC_URL": "https://shop.example"}, []string{"serve"}, "TELEGRAM_WEBHOOK_SECRET"},
		{map[string]string{"TELEGRAM_TOKEN": "1:x", "SHOPBOT_PUBLIC_URL": "https://shop.example", "TELEGRAM_WEBHOOK_SECRET": "a"}, []string{"serve"},
			"TELEGRAM_WEBHOOK_SECRET must be 16–256 characters"},
		{map[string]string{"SHOPBOT_METRICS_ADDR": "nine"}, []string{"serve"}, "configuration: SHOPBOT_METRICS_ADDR"},
	} {
		code, out, errOut := shopbot(t, tc.vars)(tc.args...)
		if code != cmdline.ExitUsage || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q = %d, stdout %q, stderr %q; want 2, nothing on stdout and one line with %q", tc.args, code, out, errOut, tc.want)
		}
		if strings.Contains(errOut, "level=") {
			t.Errorf("%q: the usage error is a log record: %q", tc.args, errOut)
		}
	}
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("usage errors left %v in the database's directory", files)
	}
}

// A command that ran but skipped what was asked does not exit 0.
func TestCLISkippedIsNotSuccess(t *testing.T) {
	t.Parallel()
	run := shopbot(t, map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db")})
	if code, _, errOut := run("demo", "seed"); code != 0 {
		t.Fatalf("demo seed: %d %s", code, errOut)
	}
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"pickup", "ship", "-point", "SH-JINGAN", "ZZZZZZ"}, cmdline.ExitNotDone, "skipped ZZZZZZ: unknown_order", "1 of 1 orders skipped"},
		{[]string{"pickup", "arrived", "-point", "SH-JINGAN", "ZZZZZZ", "YYYYYY"}, cmdline.ExitNotDone, "0 moved, 2 skipped", "2 of 2 orders skipped"},
		{[]string{"pickup", "ship", "-point", "NOWHERE", "ZZZZZZ"}, cmdline.ExitFailure, "", `no pickup point "NOWHERE"`},
		{[]string{"drop", "show", "zzzzzzzz"}, cmdline.ExitFailure, "", "not found (see shopbot drop list)"},
		{[]string{"pickup", "arrived", "-point", "SH-JINGAN", "-batch", "B-NONE"}, cmdline.ExitFailure, "", "not found"},
	} {
		code, out, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) || (tc.err != "") != (strings.Count(errOut, "\n") == 1) {
			t.Errorf("%q = %d, %q, %q; want %d, %q on stdout and one line with %q on stderr", tc.args, code, out, errOut, tc.code, tc.out, tc.err)
		}
	}
}

// Commands other than serve log warnings only, unless -v or
// SHOPBOT_LOG_LEVEL asks for more.
func TestCLILogLevel(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "shop.db")
	for _, tc := range []struct {
		vars   map[string]string
		args   []string
		chatty bool
	}{
		{map[string]string{"DATABASE_URL": db}, []string{"migrate"}, false},
		{map[string]string{"DATABASE_URL": db}, []string{"demo", "seed"}, false},
		{map[string]string{"DATABASE_URL": db}, []string{"-v", "migrate"}, true},
		{map[string]string{"DATABASE_URL": db}, []string{"migrate", "--verbose"}, true},
		{map[string]string{"DATABASE_URL": db, "SHOPBOT_LOG_LEVEL": "info"}, []string{"migrate"}, true},
		{map[string]string{"DATABASE_URL": db, "SHOPBOT_LOG_LEVEL": "error"}, []string{"migrate"}, false},
	} {
		code, out, errOut := shopbot(t, tc.vars)(tc.args...)
		if code != 0 || strings.Contains(errOut, "database ready") != tc.chatty || !tc.chatty && errOut != "" {
			t.Errorf("%v %q = %d, %q, stderr %q; want 0 and the info log %v", tc.vars, tc.args, code, out, errOut, tc.chatty)
		}
	}
}

// With Telegram configured for a webhook it cannot have (no https, no
// secret), commands that do not post to Telegram work and never call the
// Bot API; drop post does post (it only sends: webhook settings do not
// matter to it); serve refuses the configuration.
func TestCLILeavesTelegramAlone(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"), "SHOPBOT_PUBLIC_URL": "http://shop.example",
		"TELEGRAM_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": api.Endpoint(), "TELEGRAM_MODE": "webhook",
		"WECHAT_APPID": "wx-without-secret"}
	run := shopbot(t, vars)
	for _, args := range [][]string{
		{"migrate"}, {"demo", "seed"}, {"catalog", "import", filepath.Join("..", "catalogio", "testdata", "example.csv")},
		{"product", "list"}, {"pickup", "points"}, {"drop", "list"}, {"broadcast", "list"},
		{"broadcast", "send", "-text", "Sale", "-channel", "telegram"}, {"staff", "link", "web:staff-jingan"},
	} {
		if code, out, errOut := run(args...); code != 0 {
			t.Errorf("%q = %d, %q, %q; want 0", args, code, out, errOut)
		}
	}
	code, out, errOut := run("drop", "create", "--product", "1", "--units", "5", "--starts", "+1h")
	m := regexp.MustCompile(`drop ([2-9a-z]{8}):`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("drop create = %d, %q, %q", code, out, errOut)
	}
	if calls := api.Calls(); len(calls) > 0 {
		t.Fatalf("commands that have nothing to do with Telegram called the Bot API: %v", calls)
	}
	if code, out, errOut := run("drop", "post", m[1], "--chat", "-1001234567890"); code != 0 || api.Count("getMe") == 0 {
		t.Errorf("drop post = %d, %q, %q (getMe %d); want 0 and a post", code, out, errOut, api.Count("getMe"))
	}
	if code, _, errOut := run("serve"); code != cmdline.ExitUsage || !strings.Contains(errOut, "TELEGRAM_WEBHOOK_SECRET") {
		t.Errorf("serve = %d, %q; want 2 naming TELEGRAM_WEBHOOK_SECRET", code, errOut)
	}
}

// The serving binary links no fakes and no benchmark.
func TestServingBinaryLinksNoFakes(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "shopbot/cmd/shopbot").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasSuffix(pkg, "test") && strings.HasPrefix(pkg, "shopbot/") || pkg == "shopbot/internal/bench" ||
			pkg == "net/http/httptest" {
			t.Errorf("cmd/shopbot links %s", pkg)
		}
	}
}

// The README's shopbot command lines name commands and flags that exist.
func TestREADMECommands(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	problems, checked := cmdline.Examples(commandTree(), string(doc))
	if checked < 20 {
		t.Errorf("only %d shopbot command lines found in README.md", checked)
	}
	if len(problems) > 0 {
		t.Errorf("README.md shows command lines that do not parse:\n%s", strings.Join(problems, "\n"))
	}
}

// Without arguments shopbot serves (README's first command): here it gets
// as far as listening on an address that cannot be had.
func TestNoArgumentsServes(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"), "SHOPBOT_HTTP_ADDR": "256.0.0.1:0"}
	for _, args := range [][]string{nil, {"-v"}, {"serve"}} {
		code, _, errOut := shopbot(t, vars)(args...)
		if code != cmdline.ExitFailure || !strings.Contains(errOut, "listen on 256.0.0.1:0") || !strings.Contains(errOut, `msg="database ready"`) {
			t.Errorf("%q = %d, %q; want serve's start: the info log, then 1 for the address", args, code, errOut)
		}
	}
}
