package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
)

const broadcastUsage = `usage:
  shopbot broadcast send -text "…" [-image FILE] [-channel telegram|wechat|web|all] [-wait]
  shopbot broadcast status [-watch] ID
  shopbot broadcast cancel ID
  shopbot broadcast list`

// broadcastCommand runs "shopbot broadcast …".
func broadcastCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(broadcastUsage)
	}
	switch args[0] {
	case "send":
		return broadcastSendCmd(ctx, cfg, log, args[1:], stdout)
	case "status":
		fs := flag.NewFlagSet("broadcast status", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		watch := fs.Bool("watch", false, "follow until the broadcast ends")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
			return errors.New(broadcastUsage)
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("broadcast id %q: want a number", fs.Arg(0))
		}
		return withApp(ctx, cfg, log, func(a *App) error {
			return showBroadcast(ctx, a.Store, id, *watch, stdout, isTerminal(stdout))
		})
	case "cancel":
		if len(args) != 2 {
			return errors.New(broadcastUsage)
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("broadcast id %q: want a number", args[1])
		}
		return withApp(ctx, cfg, log, func(a *App) error {
			if err := a.Store.CancelBroadcast(ctx, id, time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "broadcast #%d cancelled; recipients not reached yet stay pending\n", id)
			return nil
		})
	case "list":
		return withApp(ctx, cfg, log, func(a *App) error {
			list, err := a.Store.Broadcasts(ctx, 20)
			if err != nil {
				return err
			}
			for _, b := range list {
				fmt.Fprintf(stdout, "#%d %-9s %s by %s: %s\n", b.ID, b.Status, b.CreatedAt.Local().Format("2006-01-02 15:04"),
					b.Author, countsLine(b))
			}
			if len(list) == 0 {
				fmt.Fprintln(stdout, "no broadcasts yet")
			}
			return nil
		})
	}
	return errors.New(broadcastUsage)
}

func broadcastSendCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("broadcast send", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	text := fs.String("text", "", "the message")
	image := fs.String("image", "", "a PNG or JPEG to send with it")
	channel := fs.String("channel", "all", "telegram, wechat, web or all (comma-separated)")
	button := fs.String("button", "", `a link button: "Label | https://…"`)
	wait := fs.Bool("wait", false, "send from this process and show progress until done")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return errors.New(broadcastUsage)
	}
	c := commerce.BroadcastContent{Text: *text}
	if *button != "" {
		label, link, ok := strings.Cut(*button, "|")
		if !ok {
			return errors.New(`-button wants "Label | https://…"`)
		}
		c.ButtonText, c.ButtonURL = strings.TrimSpace(label), strings.TrimSpace(link)
	}
	if *image != "" {
		data, err := os.ReadFile(*image)
		if err != nil {
			return err
		}
		c.Image = data
	}
	channels, err := commerce.NormalizeChannels(strings.Split(*channel, ","))
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	return withApp(ctx, cfg, log, func(a *App) error {
		b, err := a.Store.CreateBroadcast(ctx, commerce.Broadcast{Content: c, Channels: channels, Author: "cli"})
		if err != nil {
			return err
		}
		if b, err = a.Store.StartBroadcast(ctx, b.ID, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "broadcast #%d started: %d recipients (%d opted out, %d blocked)\n",
			b.ID, b.Counts.Total, b.Counts.OptedOut, b.Counts.Blocked)
		if !*wait {
			fmt.Fprintln(stdout, "the running shopbot sends it; follow it with: shopbot broadcast status -watch", b.ID)
			return nil
		}
		// Work the queue here; a running server shares the work safely
		// (one worker holds the broadcast at a time).
		if err := a.queue.Start(ctx); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
			defer cancel()
			_ = a.queue.Stop(sctx)
		}()
		return showBroadcast(ctx, a.Store, b.ID, true, stdout, isTerminal(stdout))
	})
}

// showBroadcast prints a broadcast's progress: a bar redrawn in place on a
// terminal, plain lines otherwise; with watch until it ends.
func showBroadcast(ctx context.Context, s commerce.BroadcastStore, id int64, watch bool, out io.Writer, tty bool) error {
	var last string
	for {
		b, err := s.Broadcast(ctx, id)
		if err != nil {
			return err
		}
		running := b.Status == commerce.BroadcastRunning
		line := progressLine(b, tty)
		switch {
		case tty:
			fmt.Fprint(out, "\r\033[K"+line)
			if !running || !watch {
				fmt.Fprintln(out)
			}
		case line != last:
			fmt.Fprintln(out, line)
		}
		last = line
		if !running || !watch {
			return nil
		}
		select {
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(out)
			}
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func countsLine(b commerce.Broadcast) string {
	c := b.Counts
	return fmt.Sprintf("sent %d / %d · blocked %d · opted out %d · skipped %d · failed %d · pending %d",
		c.Sent, c.Total, c.Blocked, c.OptedOut, c.Skipped, c.Failed, c.Pending())
}

// progressLine is "#12 running [#####-----] 50% sent 1200 / 2400 · …".
func progressLine(b commerce.Broadcast, bar bool) string {
	c := b.Counts
	pct := 100
	if c.Total > 0 {
		pct = c.Done() * 100 / c.Total
	}
	head := fmt.Sprintf("#%d %s", b.ID, b.Status)
	if bar {
		const width = 30
		n := pct * width / 100
		head += " [" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
	}
	return fmt.Sprintf("%s %3d%% %s", head, pct, countsLine(b))
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
