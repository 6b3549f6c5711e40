// Package bench is shopbot-bench: benchmarks of the shop on the configured
// stores against fake chat platforms. Each prints one line of figures
// measured in the same run; none fails on time. It wires the shop through
// package app; app never imports it, so the serving binary links none of
// the fakes.
//
// To add a benchmark, write its run function and add it to benchmarks.
package bench

import (
	"context"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/app"
	"shopbot/internal/cmdline"
)

// benchmark is one subcommand of shopbot-bench.
type benchmark struct {
	name, usage string
	flags       []cli.Flag
	run         func(ctx context.Context, e env, cmd *cli.Command) error
}

// benchmarks is every subcommand, in the order of the usage.
func benchmarks() []benchmark {
	return []benchmark{startBench(), chatBench(), telegramBench(), wechatBench(), dropBench(), broadcastBench(), payBench()}
}

// env is what every benchmark gets: the configuration of the environment
// without the chat platforms (benchmarks bring fakes), a logger and where
// the figures go.
type env struct {
	cfg    app.Config
	log    *slog.Logger
	out    io.Writer
	getenv func(string) string
}

// childEnv makes shopbot-bench the shopbot it starts for "start" when no
// shopbot binary lies beside it.
const childEnv = "SHOPBOT_BENCH_CHILD"

// Main runs shopbot-bench and returns the exit code (see package cmdline).
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if getenv(childEnv) == "serve" {
		return app.Main(ctx, []string{"serve"}, getenv, stdout, stderr)
	}
	return cmdline.Run(ctx, newRoot(getenv, stdout, stderr), args, stdout, stderr)
}

// newRoot is shopbot-bench's command tree: one subcommand per benchmark.
func newRoot(getenv func(string) string, stdout, stderr io.Writer) *cli.Command {
	root := &cli.Command{
		Name:  "shopbot-bench",
		Usage: "benchmarks of shopbot on the configured stores against fake chat platforms",
		Description: "Each benchmark prints one line of figures measured in the same run; none fails on time.\n" +
			"They use DATABASE_URL and REDIS_URL; SHOPBOT_CPUPROFILE=FILE writes a CPU profile.\n" +
			"Exit codes: 0 done, 1 failed, 2 usage or configuration error.",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"},
			Usage: "log at info level (default: warnings only; SHOPBOT_LOG_LEVEL sets any level)"}},
	}
	for _, b := range benchmarks() {
		root.Commands = append(root.Commands, &cli.Command{Name: b.name, Usage: b.usage, Flags: b.flags,
			Action: func(ctx context.Context, cmd *cli.Command) error {
				if cmd.Args().Len() > 0 {
					return cmdline.Usagef("unexpected argument %q", cmd.Args().First())
				}
				cfg, err := app.CoreConfigFromEnv(getenv)
				if err != nil {
					return cmdline.EnvError(err)
				}
				// The benchmarks drive each simulated user as fast as it
				// goes, which the per-identity message limit would turn
				// into "slow down" answers; and a shop serving on this host
				// may hold the default metrics port.
				cfg.MsgsPerSecond, cfg.MetricsAddr = 0, "127.0.0.1:0"
				level := slog.LevelWarn
				if getenv("SHOPBOT_LOG_LEVEL") != "" {
					level = cfg.LogLevel
				}
				if cmd.Bool("verbose") {
					level = min(level, slog.LevelInfo)
				}
				log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
				e := env{cfg: cfg, log: log, out: stdout, getenv: getenv}
				return profiled(getenv, func() error { return b.run(ctx, e, cmd) })
			}})
	}
	return root
}

// atLeast is log without its records below min (the shop's own logging
// during a benchmark).
func atLeast(log *slog.Logger, min slog.Level) *slog.Logger {
	return slog.New(minLevel{log.Handler(), min})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}
func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// profiled runs a benchmark with a CPU profile written to the file named by
// SHOPBOT_CPUPROFILE, when set.
func profiled(getenv func(string) string, fn func() error) error {
	path := getenv("SHOPBOT_CPUPROFILE")
	if path == "" {
		return fn()
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return fn()
}

type phase struct {
	n, errors int64
	rate      float64
	p50, p99  float64 // milliseconds
}

// measure calls fn from users goroutines for d and measures each call.
func measure(users int, d time.Duration, fn func(user, i int) error) phase {
	var n, errs atomic.Int64
	lat := make([][]time.Duration, users)
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				if err := fn(u, i); err != nil {
					errs.Add(1)
					continue
				}
				lat[u] = append(lat[u], time.Since(t0))
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	return phase{n: n.Load(), errors: errs.Load(), rate: float64(n.Load()) / elapsed.Seconds(),
		p50: percentile(all, 50), p99: percentile(all, 99)}
}

// percentile returns the p-th percentile of ds in milliseconds (0 when empty).
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ms(ds[len(ds)*p/100])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// positive refuses a flag below 1.
func positive(cmd *cli.Command, names ...string) error {
	for _, n := range names {
		if cmd.Int(n) < 1 {
			return cmdline.Usagef("-%s %d: want 1 or more", n, cmd.Int(n))
		}
	}
	return nil
}
