package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// benchStart starts this binary as a child on the embedded default (a fresh
// SQLite file, then the same file again) and reports how long until /readyz
// answers and the resident memory after it has idled.
func benchStart(ctx context.Context, _ Config, _ *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench start", flag.ContinueOnError)
	idle := fs.Duration("idle", 3*time.Second, "how long the server idles before its memory is read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "shopbot-bench-start")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, run := range []string{"fresh", "existing"} {
		ready, rss, err := startOnce(ctx, exe, filepath.Join(dir, "shop.db"), *idle)
		if err != nil {
			return fmt.Errorf("%s database: %w", run, err)
		}
		fmt.Fprintf(out, "start: database=%s ready_ms=%d idle_rss_mb=%.1f target_ready_ms=1000 target_rss_mb=50\n",
			run, ready.Milliseconds(), float64(rss)/(1<<20))
	}
	return nil
}

func startOnce(ctx context.Context, exe, db string, idle time.Duration) (time.Duration, int64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, exe, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL=sqlite:"+db, "REDIS_URL=", "SHOPBOT_HTTP_ADDR="+addr,
		"SHOPBOT_PUBLIC_URL=", "TELEGRAM_TOKEN=", "WECHAT_APPID=", "SHOPBOT_LOG_LEVEL=error")
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
