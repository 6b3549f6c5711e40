package bench

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/app"
	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/commerce"
	"shopbot/jobs"
)

// benchFirstChat numbers the bench's Telegram users; benchSeen marks them
// (first_seen = 1 ms) so a later run on the same database replaces them.
const (
	benchFirstChat = 9_000_000_000
	benchSeen      = 1
)

func broadcastBench() benchmark {
	return benchmark{
		name: "broadcast",
		usage: "a broadcast to N Telegram users through the real job and Sender against a fake Bot API limited to R msgs/s: " +
			"achieved rate / allowed rate, limit violations, duplicates, missed, peak RSS",
		flags: []cli.Flag{
			&cli.IntFlag{Name: "recipients", Value: 10000, Usage: "broadcast to `N` Telegram users"},
			&cli.IntFlag{Name: "rate", Value: 30, Usage: "allow `R` messages per second (the fake's and the sender's limit; Telegram's is 30)"},
			&cli.IntFlag{Name: "concurrency", HideDefault: true, Usage: "`C` sends in flight (default: enough for the rate)"},
		},
		run: func(ctx context.Context, e env, cmd *cli.Command) error {
			if err := positive(cmd, "recipients", "rate"); err != nil {
				return err
			}
			res, err := runBroadcastBench(ctx, e.cfg, e.log, cmd.Int("recipients"), cmd.Int("rate"), cmd.Int("concurrency"))
			if err != nil {
				return err
			}
			fmt.Fprintln(e.out, res)
			return nil
		},
	}
}

// broadcastBenchResult is what one bench broadcast measured.
type broadcastBenchResult struct {
	store                    string
	recipients, sent, rate   int
	status                   commerce.BroadcastStatus
	wall, span               time.Duration
	achieved                 float64 // messages/s over the span from the fake's first to its last message
	violations, dups, missed int
	rssBeforeKB, peakKB      int64
}

// ratio is the achieved rate against the allowed one.
func (r broadcastBenchResult) ratio() float64 { return r.achieved / float64(r.rate) }

func (r broadcastBenchResult) String() string {
	return fmt.Sprintf("store=%s recipients=%d sent=%d status=%s wall=%v send_span=%v achieved_per_s=%.1f allowed_per_s=%d ratio=%.3f violations=%d duplicates=%d missed=%d rss_before_mb=%.1f peak_rss_mb=%.1f",
		r.store, r.recipients, r.sent, r.status, r.wall.Round(time.Millisecond), r.span.Round(time.Millisecond), r.achieved,
		r.rate, r.ratio(), r.violations, r.dups, r.missed, float64(r.rssBeforeKB)/1024, float64(r.peakKB)/1024)
}

// runBroadcastBench sends one broadcast to n Telegram users through the
// real fan-out job, adapter and Sender against an in-process fake Bot API
// whose flood limit is rate messages/s, on the configured Postgres (else a
// temporary SQLite).
func runBroadcastBench(ctx context.Context, cfg app.Config, log *slog.Logger, n, rate, conc int) (broadcastBenchResult, error) {
	var res broadcastBenchResult
	if conc <= 0 {
		conc = max(16, rate/20)
	}
	if !cfg.Postgres() {
		dir, err := os.MkdirTemp("", "shopbot-bench-broadcast")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
		cfg.DatabaseURL = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	limit := telegramtest.Limit{N: rate, Per: time.Second}
	fake := telegramtest.NewFakeAPIWith(telegramtest.Options{Lean: true, Limits: telegramtest.Limits{Global: limit}})
	defer fake.Close()
	cfg.SeedDemo = false
	cfg.JobPollInterval = 100 * time.Millisecond
	cfg.Telegram = app.TelegramConfig{Token: telegramtest.Token, APIEndpoint: fake.Endpoint(), Mode: telegram.ModePolling}
	cfg.Tuning.TelegramLimits = &telegram.SendLimits{Global: telegram.Limit{N: rate, Per: time.Second}}
	cfg.Tuning.BroadcastLanes = map[string]jobs.Lane{bot.ChannelTelegram: {Concurrency: conc}}
	a, err := app.Open(ctx, cfg, atLeast(log, slog.LevelWarn))
	if err != nil {
		return res, err
	}
	defer a.Close()
	if err := seedBenchAudience(ctx, a, n); err != nil {
		return res, err
	}
	rssBefore := rssKB("VmRSS")
	if err := a.Jobs().Start(ctx); err != nil {
		return res, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = a.Jobs().Stop(sctx)
	}()
	b, err := a.Store.CreateBroadcast(ctx, commerce.Broadcast{Author: "bench", Channels: []string{bot.ChannelTelegram},
		Content: commerce.BroadcastContent{Text: "Bench broadcast: spring sale, 20% off everything."}})
	if err != nil {
		return res, err
	}
	start := time.Now()
	if b, err = a.Store.StartBroadcast(ctx, b.ID, start); err != nil {
		return res, err
	}
	for b.Status == commerce.BroadcastRunning {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if b, err = a.Store.Broadcast(ctx, b.ID); err != nil {
			return res, err
		}
	}
	wall := time.Since(start)

	span, messages, missed, dups := deliveries(fake, n)
	res = broadcastBenchResult{store: "sqlite", recipients: b.Counts.Total, sent: b.Counts.Sent, rate: rate, status: b.Status,
		wall: wall, span: span, violations: fake.Violations(), dups: dups, missed: missed, rssBeforeKB: rssBefore, peakKB: rssKB("VmHWM")}
	if span > 0 {
		res.achieved = float64(messages-1) / span.Seconds()
	}
	if cfg.Postgres() {
		res.store = "postgres"
	}
	return res, nil
}

// deliveries is what the fake saw of the broadcast to the n bench users:
// the span from its first to its last message, the messages, the users
// that got none and the messages beyond one per user.
func deliveries(fake *telegramtest.FakeAPI, n int) (span time.Duration, messages, missed, dups int) {
	var times []time.Time
	for i := range n {
		ts := fake.SendTimes(benchFirstChat + int64(i))
		switch {
		case len(ts) == 0:
			missed++
		case len(ts) > 1:
			dups += len(ts) - 1
		}
		times = append(times, ts...)
	}
	slices.SortFunc(times, func(x, y time.Time) int { return x.Compare(y) })
	if len(times) > 1 {
		span = times[len(times)-1].Sub(times[0])
	}
	return span, len(times), missed, dups
}

// seedBenchAudience replaces the bench users with n fresh ones, 500 rows
// per statement.
func seedBenchAudience(ctx context.Context, a *app.App, n int) error {
	db := a.Store.DB()
	if _, err := db.ExecContext(ctx, `DELETE FROM chat_users WHERE first_seen = $1`, benchSeen); err != nil {
		return err
	}
	langs := []string{"en", "ru", "zh-CN"}
	for from := 0; from < n; from += 500 {
		to := min(n, from+500)
		var q strings.Builder
		q.WriteString(`INSERT INTO chat_users (channel, user_id, chat_id, lang, first_seen, last_seen) VALUES `)
		args := make([]any, 0, 3*(to-from))
		for i := from; i < to; i++ {
			if i > from {
				q.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&q, "('tg', $%d, $%d, $%d, %d, %d)", k+1, k+2, k+3, benchSeen, benchSeen)
			id := strconv.FormatInt(benchFirstChat+int64(i), 10)
			args = append(args, id, id, langs[i%len(langs)])
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("seed bench audience: %w", err)
		}
	}
	return nil
}

// rssKB reads a memory figure of this process from /proc/self/status
// ("VmRSS" now, "VmHWM" the peak), 0 where there is none.
func rssKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
