package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/urfave/cli/v3"

	"shopbot/catalogio"
	"shopbot/commerce"
	"shopbot/demo"
	"shopbot/internal/cmdline"
)

// Main runs the shopbot command line and returns the process exit code
// (0 done, 1 failed, 2 usage or configuration error, 3 part or none of
// what was asked was done: see package cmdline). Tests call it with their
// own environment, context and output.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &cliEnv{getenv: getenv, stdout: stdout, stderr: stderr}
	return cmdline.Run(ctx, e.root(), args, stdout, stderr)
}

// cliEnv is what the commands of one Main share: the environment and the
// output.
type cliEnv struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// platforms are the chat platforms a command talks to. The settings of
// the others are neither read nor checked, and their adapters are not
// built: such a command never calls their APIs.
type platforms struct{ telegram, wechat bool }

func (e *cliEnv) root() *cli.Command {
	return &cli.Command{
		Name:  "shopbot",
		Usage: "a cross-border shop inside chat apps",
		Description: "Configuration is read from the environment; see README.md.\n" +
			"Flags take one dash or two: -point and --point are the same.\n" +
			"Exit codes: 0 done; 1 failed; 2 usage or configuration error, nothing done;\n" +
			"3 some or all of what was asked was skipped (the output says which).",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"},
			Usage: "log progress at info level (commands other than serve log warnings only; SHOPBOT_LOG_LEVEL sets any level)"}},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			switch first := cmd.Args().First(); {
			case first == "bench":
				// The benchmarks left the serving binary (it links no fakes).
				return cmdline.Usagef("the benchmarks are a command of their own now: %s (go run ./cmd/shopbot-bench)",
					strings.Join(append([]string{"shopbot-bench"}, cmd.Args().Tail()...), " "))
			case first != "":
				return cmdline.Usagef("unknown command %q", first)
			}
			return e.serve(ctx, cmd)
		},
		Commands: []*cli.Command{
			{Name: "serve", Usage: "run the shop (the default: shopbot alone serves too)", Action: e.serve},
			{Name: "migrate", Usage: "apply the database migrations (store and job queue) and exit", Action: e.migrate},
			{Name: "catalog", Usage: "catalog files", Commands: []*cli.Command{
				{Name: "import", Usage: "load products from FILE.csv or FILE.json (upsert by SKU)", ArgsUsage: "FILE", Action: e.catalogImport},
			}},
			{Name: "demo", Usage: "the demo catalog", Commands: []*cli.Command{
				{Name: "seed", Usage: "(re)load the demo catalog (upsert by SKU)", Action: e.demoSeed},
			}},
			e.productCommand(),
			e.categoriesCommand(),
			e.ordersCommand(),
			e.dropCommand(),
			e.pickupCommand(),
			e.staffCommand(),
			e.adminCommand(),
			e.broadcastCommand(),
			e.wechatCommand(),
			e.webCommand(),
			e.labelsCommand(),
		},
	}
}

// noArgs refuses positional arguments.
func noArgs(cmd *cli.Command) error {
	if cmd.Args().Len() > 0 {
		return cmdline.Usagef("unexpected argument %q", cmd.Args().First())
	}
	return nil
}

// oneArg is the single positional argument, named what in the error.
func oneArg(cmd *cli.Command, what string) (string, error) {
	switch cmd.Args().Len() {
	case 0:
		return "", cmdline.Usagef("missing %s", what)
	case 1:
		return cmd.Args().First(), nil
	}
	return "", cmdline.Usagef("unexpected argument %q after %s", cmd.Args().Get(1), what)
}

// logger logs to stderr: serve at SHOPBOT_LOG_LEVEL (default info), the
// other commands at warn unless SHOPBOT_LOG_LEVEL or -v asks for more.
func (e *cliEnv) logger(cmd *cli.Command, cfg Config, serving bool) *slog.Logger {
	level := cfg.LogLevel
	if !serving && e.getenv("SHOPBOT_LOG_LEVEL") == "" {
		level = slog.LevelWarn
	}
	if cmd.Bool("verbose") {
		level = min(level, slog.LevelInfo)
	}
	return slog.New(contextHandler{slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level})})
}

// config reads the configuration for a command that talks to the
// platforms p. Telegram is for sending only: a command neither polls nor
// registers the webhook, so the webhook settings do not matter to it.
func (e *cliEnv) config(p platforms) (Config, error) {
	cfg, err := CoreConfigFromEnv(e.getenv)
	if err == nil && p.telegram {
		cfg.Telegram, err = telegramFromEnv(e.getenv, cfg.PublicURL, true)
	}
	if err == nil && p.wechat {
		cfg.WeChat, err = weChatFromEnv(e.getenv)
	}
	if err != nil {
		return cfg, cmdline.EnvError(err)
	}
	return cfg, nil
}

// withApp runs fn in an App opened for a command (see config); the demo
// catalog is not seeded.
func (e *cliEnv) withApp(ctx context.Context, cmd *cli.Command, p platforms, fn func(*App) error) error {
	cfg, err := e.config(p)
	if err != nil {
		return err
	}
	return withApp(ctx, cfg, e.logger(cmd, cfg, false), fn)
}

func (e *cliEnv) serve(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	cfg, err := ConfigFromEnv(e.getenv)
	if err != nil {
		return cmdline.EnvError(err)
	}
	return serve(ctx, cfg, e.logger(cmd, cfg, true), nil)
}

// serve runs the shop until ctx ends. When ready is not nil it receives the
// listening address once the server accepts connections.
func serve(ctx context.Context, cfg Config, log *slog.Logger, ready chan<- string) error {
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	return a.Serve(ctx, ln)
}

func withApp(ctx context.Context, cfg Config, log *slog.Logger, fn func(*App) error) error {
	cfg.SeedDemo = false
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func (e *cliEnv) migrate(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	// Open applies the store's and the job queue's migrations.
	return e.withApp(ctx, cmd, platforms{}, func(*App) error {
		fmt.Fprintln(e.stdout, "migrations applied")
		return nil
	})
}

func (e *cliEnv) demoSeed(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		if err := demo.Seed(ctx, a.Store); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "demo catalog loaded: %d products\n", len(demo.Products()))
		return nil
	})
}

func (e *cliEnv) catalogImport(ctx context.Context, cmd *cli.Command) error {
	path, err := oneArg(cmd, "FILE")
	if err != nil {
		return err
	}
	format, err := catalogio.FormatOf(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	items, err := catalogio.Parse(f, format)
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		profile, _, err := a.setup.Profile(ctx)
		if err != nil {
			return err
		}
		res, err := catalogio.ImportWith(ctx, a.Store, items, catalogio.ImportOptions{Currency: profile.Currency,
			Categories: a.Store, Lang: profile.DefaultLang})
		if errors.Is(err, commerce.ErrCurrencyMismatch) {
			return cmdline.Usagef("%v", err) // nothing written
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "imported %d products from %s: %d new, %d updated, %d categories created\n",
			len(items), path, res.Created, res.Upserted-res.Created, res.Categories)
		return nil
	})
}
