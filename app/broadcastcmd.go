package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/commerce"
	"shopbot/internal/cmdline"
)

// broadcastCommand is "shopbot broadcast …": message the audience, follow
// and stop a broadcast.
func (e *cliEnv) broadcastCommand() *cli.Command {
	return &cli.Command{
		Name:  "broadcast",
		Usage: "message the audience; progress of a broadcast",
		Commands: []*cli.Command{
			{Name: "send", Usage: "start a broadcast; the running shopbot sends it (or this process, with -wait)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "text", Required: true, Usage: "the message's `TEXT`"},
					&cli.StringFlag{Name: "image", Usage: "a PNG or JPEG `FILE` to send with it"},
					&cli.StringFlag{Name: "channel", Value: "all", Usage: "send to `CHANNELS`: telegram, wechat, web or all (comma-separated)"},
					&cli.StringFlag{Name: "button", Usage: "a link button: `\"Label | https://…\"`"},
					&cli.BoolFlag{Name: "wait", Usage: "send from this process and show progress until done"},
				},
				Action: e.broadcastSend},
			{Name: "status", Usage: "a broadcast's progress: a bar redrawn in place on a terminal, plain lines otherwise", ArgsUsage: "ID",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "watch", Usage: "follow until the broadcast ends"}},
				Action: e.broadcastStatus},
			{Name: "cancel", Usage: "stop a broadcast (recipients not reached yet stay pending)", ArgsUsage: "ID", Action: e.broadcastCancel},
			{Name: "list", Usage: "the latest 20 broadcasts", Action: e.broadcastList},
		},
	}
}

// broadcastID is the ID argument.
func broadcastID(cmd *cli.Command) (int64, error) {
	arg, err := oneArg(cmd, "ID")
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, cmdline.Usagef("broadcast id %q: want a number", arg)
	}
	return id, nil
}

func (e *cliEnv) broadcastStatus(ctx context.Context, cmd *cli.Command) error {
	id, err := broadcastID(cmd)
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		return showBroadcast(ctx, a.Store, id, cmd.Bool("watch"), e.stdout, isTerminal(e.stdout))
	})
}

func (e *cliEnv) broadcastCancel(ctx context.Context, cmd *cli.Command) error {
	id, err := broadcastID(cmd)
	if err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		if err := a.Store.CancelBroadcast(ctx, id, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "broadcast #%d cancelled; recipients not reached yet stay pending\n", id)
		return nil
	})
}

func (e *cliEnv) broadcastList(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		list, err := a.Store.Broadcasts(ctx, 20)
		if err != nil {
			return err
		}
		for _, b := range list {
			fmt.Fprintf(e.stdout, "#%d %-9s %s by %s: %s\n", b.ID, b.Status, b.CreatedAt.Local().Format("2006-01-02 15:04"),
				b.Author, countsLine(b))
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no broadcasts yet")
		}
		return nil
	})
}

func (e *cliEnv) broadcastSend(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	c := commerce.BroadcastContent{Text: cmd.String("text")}
	if button := cmd.String("button"); button != "" {
		label, link, ok := strings.Cut(button, "|")
		if !ok {
			return cmdline.Usagef(`-button wants "Label | https://…"`)
		}
		c.ButtonText, c.ButtonURL = strings.TrimSpace(label), strings.TrimSpace(link)
	}
	if image := cmd.String("image"); image != "" {
		data, err := os.ReadFile(image)
		if err != nil {
			return err
		}
		if c, err = c.WithImage(data); err != nil {
			return cmdline.Usagef("-image %s: %s", image, imageProblem(err))
		}
	}
	channels, err := commerce.NormalizeChannels(strings.Split(cmd.String("channel"), ","))
	if err != nil {
		return cmdline.Usagef("-channel: %v", err)
	}
	if err := c.Validate(); err != nil {
		return cmdline.Usagef("%v", err)
	}
	wait := cmd.Bool("wait")
	// Only a process that sends needs the platforms.
	cfg, err := e.config(platforms{telegram: wait, wechat: wait})
	if err != nil {
		return err
	}
	return withApp(ctx, cfg, e.logger(cmd, cfg, false), func(a *App) error {
		b, err := a.Store.CreateBroadcast(ctx, commerce.Broadcast{Content: c, Channels: channels, Author: "cli"})
		if err != nil {
			return err
		}
		if b, err = a.Store.StartBroadcast(ctx, b.ID, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "broadcast #%d started: %d recipients (%d opted out, %d blocked)\n",
			b.ID, b.Counts.Total, b.Counts.OptedOut, b.Counts.Blocked)
		if !wait {
			fmt.Fprintln(e.stdout, "the running shopbot sends it; follow it with: shopbot broadcast status -watch", b.ID)
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
		return showBroadcast(ctx, a.Store, b.ID, true, e.stdout, isTerminal(e.stdout))
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
