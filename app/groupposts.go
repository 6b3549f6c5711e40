package app

import (
	"fmt"
	"time"

	"shopbot/bot"
	"shopbot/chatstate"
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
