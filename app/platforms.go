package app

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"shopbot/internal/cmdline"
)

// wechatCommand is "shopbot wechat menu" (creates the Official Account's
// custom menu: Shop, Cart, My orders) and "shopbot wechat qr SCENE" (prints
// the picture URL of a parametric QR code: p_<id> product, c_<id> category,
// pt_<id> pickup point, d_<code> drop; scanning opens that flow for new and
// existing followers).
func (e *cliEnv) wechatCommand() *cli.Command {
	return &cli.Command{
		Name:  "wechat",
		Usage: "the WeChat Official Account",
		Commands: []*cli.Command{
			{Name: "menu", Usage: "create the Official Account's menu: Shop, Cart, My orders", Action: e.wechatMenu},
			{Name: "qr", Usage: "print a QR code URL opening p_<id>, c_<id>, pt_<id> or d_<code> in WeChat", ArgsUsage: "SCENE",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "temporary", Usage: "a QR code valid for 30 days instead of a permanent one"}},
				Action: e.wechatQR},
		},
	}
}

// withWeChat runs fn in an App with the WeChat adapter.
func (e *cliEnv) withWeChat(ctx context.Context, cmd *cli.Command, fn func(*App) error) error {
	cfg, err := e.config(platforms{wechat: true})
	if err != nil {
		return err
	}
	if cfg.WeChat.AppID == "" {
		return cmdline.EnvError(fmt.Errorf("WECHAT_APPID, WECHAT_SECRET, WECHAT_TOKEN and WECHAT_AES_KEY must be set"))
	}
	return withApp(ctx, cfg, e.logger(cmd, cfg, false), fn)
}

func (e *cliEnv) wechatMenu(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withWeChat(ctx, cmd, func(a *App) error {
		if err := a.wechat.CreateMenu(ctx); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "wechat menu created: Shop, Cart, My orders")
		return nil
	})
}

func (e *cliEnv) wechatQR(ctx context.Context, cmd *cli.Command) error {
	scene, err := oneArg(cmd, "SCENE")
	if err != nil {
		return err
	}
	return e.withWeChat(ctx, cmd, func(a *App) error {
		url, err := a.wechat.QRCode(ctx, scene, cmd.Bool("temporary"))
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, url)
		return nil
	})
}
