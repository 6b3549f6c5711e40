package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"shopbot/bot"
	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/templates"
)

// GroupPostsConfig configures the drops' posts in groups and channels.
type GroupPostsConfig struct {
	// Names is how a post lists the members who tapped "+1":
	// SHOPBOT_CHAIN_NAMES = first (default) | initials | none.
	Names string
	// Interval is the least time between two edits of posts in one chat:
	// SHOPBOT_POST_INTERVAL, default 5s, at least 3s (Telegram allows 20
	// messages a minute per group, the bot's replies there included).
	Interval time.Duration
	// tick is how often the posts are compared with their drops (tests).
	tick time.Duration
}

// minPostInterval keeps edits alone within Telegram's 20 per minute per group.
const minPostInterval = 3 * time.Second

func groupPostsConfig(getenv func(string) string) (GroupPostsConfig, error) {
	c := GroupPostsConfig{Names: or(getenv("SHOPBOT_CHAIN_NAMES"), bot.NamesFirst), Interval: 5 * time.Second}
	switch c.Names {
	case bot.NamesFirst, bot.NamesInitials, bot.NamesNone:
	default:
		return c, fmt.Errorf("SHOPBOT_CHAIN_NAMES %q: want first, initials or none", c.Names)
	}
	var err error
	if c.Interval, err = duration(getenv, "SHOPBOT_POST_INTERVAL", c.Interval); err != nil {
		return c, err
	}
	if c.Interval < minPostInterval {
		return c, fmt.Errorf("SHOPBOT_POST_INTERVAL %s: want at least %s", c.Interval, minPostInterval)
	}
	return c, nil
}

// newGroupPosts builds the group posts service; the Telegram adapter
// becomes its poster once it exists (openTelegram).
func (a *App) newGroupPosts(locker chatstate.Locker, texts *templates.Set) (*bot.GroupPosts, error) {
	zone := a.cfg.zone()
	return bot.NewGroupPosts(bot.GroupPostsOptions{
		Store: a.Store, Drops: a.drops, Texts: texts, Clock: a.cfg.clock, Locker: locker,
		Interval: a.cfg.GroupPosts.Interval, Tick: a.cfg.GroupPosts.tick, Names: a.cfg.GroupPosts.Names,
		Zone: zone, Log: a.log,
		ImageURL: func(key string) string { return a.Router.ImageURL(key) }, // the router exists by the first post
	}), nil
}

// dropCommand is `shopbot drop …`.
func dropCommand(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	sub := map[string]func(context.Context, Config, *slog.Logger, []string, io.Writer) error{
		"post": dropPost,
	}
	if len(args) < 1 || sub[args[0]] == nil {
		return errors.New("usage: shopbot drop post CODE --chat CHAT_ID [--lang zh-CN|en|ru]")
	}
	return sub[args[0]](ctx, cfg, log, args[1:], stdout)
}

// dropPost is `shopbot drop post CODE --chat CHAT_ID [--lang L]`: the drop's
// post in a Telegram group or channel, as /post there makes it. The serving
// process keeps it current from then on.
func dropPost(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	const usage = "usage: shopbot drop post CODE --chat CHAT_ID [--lang zh-CN|en|ru]"
	fs := flag.NewFlagSet("drop post", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	chat := fs.String("chat", "", "Telegram chat id of the group or channel (-100…)")
	lang := fs.String("lang", templates.Default, "language of the post")
	// Flags may follow the code.
	var code string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		code, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return errors.New(usage)
	}
	if code == "" && fs.NArg() == 1 {
		code = fs.Arg(0)
	} else if fs.NArg() != 0 {
		return errors.New(usage)
	}
	id, err := strconv.ParseInt(*chat, 10, 64)
	if code == "" || err != nil || id >= 0 {
		return errors.New(usage + " (the chat id of a group or channel is negative)")
	}
	if templates.Match(*lang) == "" {
		return fmt.Errorf("--lang %q: want zh-CN, en or ru", *lang)
	}
	if cfg.Telegram.Token == "" {
		return errors.New("drop post needs TELEGRAM_TOKEN")
	}
	return withApp(ctx, cfg, log, func(a *App) error {
		p, err := a.posts.Publish(ctx, strings.ToLower(code), bot.ChannelTelegram, *chat, *lang)
		if errors.Is(err, commerce.ErrNotFound) {
			return fmt.Errorf("no drop with the code %q", code)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "posted drop %s to chat %s as message %s\n", code, p.ChatID, p.MessageID)
		return nil
	})
}
