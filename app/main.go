package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"shopbot/catalogio"
	"shopbot/demo"
)

const usage = `shopbot — a cross-border shop inside chat apps

Usage:
  shopbot [serve]               run the shop (default)
  shopbot migrate               apply database migrations and exit
  shopbot catalog import FILE   load products from a .csv or .json file
  shopbot demo seed             load the demo catalog (upserts by SKU)
  shopbot wechat menu           create the WeChat Official Account menu
  shopbot wechat qr SCENE [-temporary]
                                QR code opening p_<id>, c_<id>, pt_<id> or d_<code> in WeChat
  shopbot pickup points|ship|arrived|staff …
                                pickup points, shipments arriving, staff lists
  shopbot drop create --product ID|SKU --units N --starts TIME [--price P] [--tz Z] [--limit N] [--reserve 15m]
  shopbot drop list | show CODE  drops and their figures (sold, reserved, left, waitlist, revenue)
  shopbot drop post CODE --chat CHAT_ID [--lang zh-CN|en|ru]
                                post drop CODE into a Telegram group or channel (kept current by serve)
  shopbot product add|edit|hide|show|list …
                                the seller's catalog: add (with a picture), edit, hide, list
  shopbot staff link IDENTITY [-ttl 24h]
                                print a login link to the staff page (/staff)
  shopbot bench chat [-users N] [-duration D]
                                web chat throughput and latency on the configured stores
  shopbot bench wechat [-messages N] [-concurrency C]
                                encrypted WeChat callbacks against a fake WeChat API
  shopbot broadcast send -text "…" [-image FILE] [-channel telegram|wechat|web|all] [-button "Label | URL"] [-wait]
  shopbot broadcast status [-watch] ID | cancel ID | list
                                message the audience; progress of a broadcast
  shopbot bench start           time to ready and idle memory on the embedded default
  shopbot bench telegram [-updates N] [-send-duration D]
                                webhook updates and the rate-limited sender against a fake Bot API
  shopbot bench drop [-buyers N] [-units U]
                                N buyers rush U units of a drop on the configured stores (+ Redis gate)
  shopbot bench broadcast [-recipients N] [-rate R]
                                a broadcast to N Telegram users through the real worker and sender
                                against a fake Bot API limited to R msgs/s (default Telegram's 30)

Configuration is read from the environment; see README.md.
`

// Main runs a subcommand and returns the process exit code. Tests call it
// with their own environment, context and output.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "shopbot: configuration:", err)
		return 2
	}
	log := slog.New(contextHandler{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})})
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, nil)
	case "migrate":
		err = migrate(ctx, cfg, log)
	case "catalog":
		err = catalog(ctx, cfg, log, args, stdout)
	case "demo":
		if len(args) != 1 || args[0] != "seed" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = withApp(ctx, cfg, log, func(a *App) error { return demo.Seed(ctx, a.Store) })
	case "wechat":
		err = wechatCommand(ctx, cfg, log, args, stdout)
	case "pickup":
		err = pickupCommand(ctx, cfg, log, args, stdout)
	case "staff":
		err = staffCommand(ctx, cfg, log, args, stdout)
	case "product":
		// Its errors are for the person at the shell: plain lines, and exit
		// code 2 for bad input (nothing was changed then).
		if err := productCommand(ctx, cfg, log, args, stdout); err != nil {
			fmt.Fprintln(stderr, "shopbot product:", err)
			if errors.As(err, new(usageError)) {
				return 2
			}
			return 1
		}
		return 0
	case "drop":
		if len(args) > 0 && args[0] == "post" {
			err = dropCommand(ctx, cfg, log, args, stdout)
			break
		}
		return dropsCommand(ctx, cfg, log, args, stdout, stderr)
	case "broadcast":
		err = broadcastCommand(ctx, cfg, log, args, stdout)
	case "bench":
		bench := map[string]func(context.Context, Config, *slog.Logger, []string, io.Writer) error{
			"chat": benchChat, "wechat": benchWeChat, "telegram": benchTelegram, "start": benchStart, "drop": benchDrop,
			"broadcast": benchBroadcast,
		}
		if len(args) < 1 || bench[args[0]] == nil {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = profiled(getenv, func() error { return bench[args[0]](ctx, cfg, log, args[1:], stdout) })
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "shopbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		log.Error("shopbot failed", "cmd", cmd, "err", err)
		return 1
	}
	return 0
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

func migrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	// Open applies the store's and the job queue's migrations.
	return withApp(ctx, cfg, log, func(*App) error {
		log.Info("migrations applied")
		return nil
	})
}

func catalog(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("catalog import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if len(args) < 1 || args[0] != "import" {
		return errors.New("usage: shopbot catalog import FILE")
	}
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
		return errors.New("usage: shopbot catalog import FILE")
	}
	path := fs.Arg(0)
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
	return withApp(ctx, cfg, log, func(a *App) error {
		res, err := catalogio.Import(ctx, a.Store, items)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d products from %s: %+v\n", len(items), path, res)
		return nil
	})
}
