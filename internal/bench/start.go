package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"
)

func startBench() benchmark {
	return benchmark{
		name:  "start",
		usage: "time until /readyz and idle RSS of shopbot on the embedded default (a fresh and an existing database)",
		flags: []cli.Flag{
			&cli.DurationFlag{Name: "idle", Value: 3 * time.Second, Usage: "let the server idle for `D` before its memory is read"},
			&cli.StringFlag{Name: "shopbot", Usage: "start the shopbot at `PATH` (default: the shopbot beside shopbot-bench, else shopbot-bench itself serving as shopbot)"},
		},
		run: func(ctx context.Context, e env, cmd *cli.Command) error {
			return benchStart(ctx, e, cmd.String("shopbot"), cmd.Duration("idle"))
		},
	}
}

// benchStart starts shopbot as a child on the embedded default (a fresh
// SQLite file, then the same file again) and reports how long until
// /readyz answers and the resident memory after it has idled.
func benchStart(ctx context.Context, e env, exe string, idle time.Duration) error {
	child, err := shopbotCommand(exe)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "shopbot-bench-start")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, run := range []string{"fresh", "existing"} {
		ready, rss, err := startOnce(ctx, child, filepath.Join(dir, "shop.db"), idle)
		if err != nil {
			return fmt.Errorf("%s database: %w", run, err)
		}
		fmt.Fprintf(e.out, "start: database=%s ready_ms=%d idle_rss_mb=%.1f target_ready_ms=1000 target_rss_mb=50\n",
			run, ready.Milliseconds(), float64(rss)/(1<<20))
	}
	return nil
}

// shopbotCommand is how to start shopbot serve: exe, else the shopbot
// beside this executable (go build -o DIR/ ./cmd/...), else this
// executable as shopbot (childEnv).
func shopbotCommand(exe string) (func(ctx context.Context) *exec.Cmd, error) {
	if exe != "" {
		if _, err := os.Stat(exe); err != nil {
			return nil, err
		}
		return func(ctx context.Context) *exec.Cmd { return exec.CommandContext(ctx, exe, "serve") }, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if beside := filepath.Join(filepath.Dir(self), "shopbot"); beside != self {
		if st, err := os.Stat(beside); err == nil && st.Mode().IsRegular() {
			return func(ctx context.Context) *exec.Cmd { return exec.CommandContext(ctx, beside, "serve") }, nil
		}
	}
	return func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, self)
		cmd.Env = []string{childEnv + "=serve"}
		return cmd
	}, nil
}

func startOnce(ctx context.Context, child func(context.Context) *exec.Cmd, db string, idle time.Duration) (time.Duration, int64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := child(ctx)
	cmd.Env = append(append(os.Environ(), cmd.Env...), "DATABASE_URL=sqlite:"+db, "REDIS_URL=", "SHOPBOT_HTTP_ADDR="+addr,
		"SHOPBOT_METRICS_ADDR=127.0.0.1:0", "SHOPBOT_PUBLIC_URL=", "TELEGRAM_TOKEN=", "WECHAT_APPID=", "SHOPBOT_LOG_LEVEL=error")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	client := &http.Client{Timeout: time.Second}
	var ready time.Duration
	for deadline := start.Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			return 0, 0, errors.New("not ready within 30 s")
		}
		res, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				ready = time.Since(start)
				break
			}
		}
	}
	time.Sleep(idle)
	rss, err := residentBytes(cmd.Process.Pid)
	return ready, rss, err
}

// residentBytes reads VmRSS of a process from /proc (Linux).
func residentBytes(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}
