package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/admin"
	"shopbot/bot"
	"shopbot/internal/cmdline"
	"shopbot/templates"
)

// consoleKeySetting is the settings row of the generated console key
// (SHOPBOT_CONSOLE_KEY unset): the console's links, sessions and CSRF
// tokens, rotated apart from the staff key.
const consoleKeySetting = "console_key"

var consoleKeyRotation = deploymentKey{"SHOPBOT_CONSOLE_KEY", consoleKeySetting,
	"every seller signs in to the console again (links made before stop working); staff and buyers are not affected"}

// openConsole builds the seller's console (/admin).
func (a *App) openConsole(ctx context.Context, texts *templates.Set) error {
	key, err := a.key(ctx, a.cfg.ConsoleKey, consoleKeySetting)
	if err != nil {
		return err
	}
	a.console, err = admin.New(admin.Options{Shop: a.Shop, Seller: a.seller, Pickup: a.pickup, Drops: a.drops,
		Broadcasts: a.Store, Orders: a.Store, Setup: a.setup, Desk: a.desk, Questions: a.questions, IsAdmin: a.isAdmin, Texts: texts, Key: key, Store: a.Store,
		PublicURL: a.cfg.PublicURL, Zone: a.cfg.zone(), Log: a.log, Clock: a.Shop.Now,
		Secure: strings.HasPrefix(a.cfg.PublicURL, "https://"), ImageURL: a.Router.ImageURL,
		ProductLink: a.productLink, LinkTargets: a.linkTargets, Payments: a.payments})
	return err
}

// isAdmin: rights belong to the identities of SHOPBOT_ADMINS, asked at
// every request of the console.
func (a *App) isAdmin(identity string) bool { return slices.Contains(a.cfg.Admins, identity) }

// consoleLink is the bot's /console: a login link for a seller.
func (a *App) consoleLink(ctx context.Context, identity string) (bot.ConsoleLink, error) {
	link, err := a.console.LoginLink(ctx, identity, admin.LoginTTL)
	return bot.ConsoleLink{URL: link, Valid: admin.LoginTTL}, err
}

// adminCommand is "shopbot admin link|signout|rotate-key": the sellers'
// sign-ins to the console.
func (e *cliEnv) adminCommand() *cli.Command {
	return &cli.Command{
		Name:  "admin",
		Usage: "the seller's console (/admin): login links, signing sellers out, its key",
		Commands: []*cli.Command{
			{Name: "link", Usage: "print a single-use login link to the console (/admin) for IDENTITY, a seller of SHOPBOT_ADMINS",
				ArgsUsage: "IDENTITY",
				Flags: []cli.Flag{&cli.DurationFlag{Name: "ttl", Value: admin.LoginTTL,
					Usage: fmt.Sprintf("the link works once, within `D` (at most %v)", admin.MaxLoginTTL)}},
				Action: e.adminLink},
			{Name: "signout", Usage: "sign IDENTITY out of the console on every device and void their unused login links",
				ArgsUsage: "IDENTITY", Action: e.adminSignout},
			{Name: "rotate-key", Usage: "replace the generated console key (not SHOPBOT_CONSOLE_KEY): from the next start every seller " +
				"signs in to the console again", Action: e.rotateKey(consoleKeyRotation)},
		},
	}
}

func (e *cliEnv) adminLink(ctx context.Context, cmd *cli.Command) error {
	id, err := staffIdentity(cmd)
	if err != nil {
		return err
	}
	if ttl := cmd.Duration("ttl"); ttl < time.Second || ttl > admin.MaxLoginTTL {
		return cmdline.Usagef("-ttl %v: want 1s to %v", ttl, admin.MaxLoginTTL)
	}
	cfg, err := e.config(platforms{})
	if err != nil {
		return err
	}
	if !slices.Contains(cfg.Admins, id) {
		return cmdline.Usagef("%s is not a seller: add it to SHOPBOT_ADMINS first", id)
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		link, err := a.console.LoginLink(ctx, id, cmd.Duration("ttl"))
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, link)
		return nil
	})
}

func (e *cliEnv) adminSignout(ctx context.Context, cmd *cli.Command) error {
	return e.signOutEverywhere(ctx, cmd, func(a *App) signOuter { return a.console })
}

// linkTargets are where labels' QR codes can open a product: the chats
// configured (Telegram first, as "shopbot labels" defaults), then the web.
func (a *App) linkTargets() []string {
	var out []string
	if a.tg != nil && a.tg.Username() != "" {
		out = append(out, "telegram")
	}
	if a.wechat != nil {
		out = append(out, "wechat")
	}
	return append(out, "web")
}
