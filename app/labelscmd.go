package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/cmdline"
	"shopbot/labels"
	"shopbot/templates"
)

const labelsDescription = `Each label has a QR code that opens the product in the bot (--qr, default: the
first configured of telegram, wechat, web): the Telegram bot (https://t.me/BOT?start=p_ID,
needs TELEGRAM_TOKEN), the WeChat account (a permanent parametric QR code with the
scene p_ID, made through WeChat's API: needs WECHAT_APPID), or the web chat
(SHOPBOT_PUBLIC_URL/?start=p_ID). Names are in
the shop's default language (--lang to choose). Sizes: small (24 a page), medium
(12), large (8), on A4. A PNG is one page: with more labels, FILE-2.png, FILE-3.png
… follow. Hidden products are left out unless named with --sku.`

// labelsCommand is "shopbot labels": a printable sheet of QR labels.
func (e *cliEnv) labelsCommand() *cli.Command {
	return &cli.Command{
		Name:        "labels",
		Usage:       "print QR labels of products (name, price, SKU) on A4, as PDF or PNG",
		Description: labelsDescription,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "sku", Usage: "only these products: `SKU,SKU…` (IDs work too)"},
			&cli.StringFlag{Name: "category", Usage: "only the products of the category `ID|SLUG|NAME`"},
			&cli.StringFlag{Name: "format", Value: labels.FormatPDF, Usage: "`FORMAT`: pdf or png"},
			&cli.StringFlag{Name: "out", Usage: "write to `FILE` (default labels.pdf or labels.png)"},
			&cli.StringFlag{Name: "size", Value: labels.DefaultLayout, Usage: "label `SIZE`: small, medium or large"},
			&cli.StringFlag{Name: "lang", Usage: "names in `LANG` (zh-CN, en or ru; default: the shop's default language)"},
			&cli.StringFlag{Name: "qr", Usage: "the QR codes open the product in `CHAT`: telegram, wechat or web"},
		},
		Action: e.labels,
	}
}

func (e *cliEnv) labels(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	format, size, lang := cmd.String("format"), cmd.String("size"), cmd.String("lang")
	if format != labels.FormatPDF && format != labels.FormatPNG {
		return cmdline.Usagef("--format %q: pdf or png", format)
	}
	if _, ok := labels.LayoutByName(size); !ok {
		return cmdline.Usagef("--size %q: small, medium or large", size)
	}
	if lang != "" && templates.Match(lang) != lang {
		return cmdline.Usagef("--lang %q: zh-CN, en or ru", lang)
	}
	out := cmd.String("out")
	if out == "" {
		out = "labels." + format
	}
	var skus []string
	for _, s := range strings.Split(cmd.String("sku"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			skus = append(skus, s)
		}
	}
	target := cmd.String("qr")
	if target == "" {
		switch {
		case e.getenv("TELEGRAM_TOKEN") != "":
			target = "telegram"
		case e.getenv("WECHAT_APPID") != "":
			target = "wechat"
		default:
			target = "web"
		}
	}
	p := platforms{telegram: target == "telegram", wechat: target == "wechat"}
	switch {
	case target != "telegram" && target != "wechat" && target != "web":
		return cmdline.Usagef("--qr %q: telegram, wechat or web", target)
	case target == "telegram" && e.getenv("TELEGRAM_TOKEN") == "":
		return cmdline.EnvError(errors.New("labels --qr telegram needs TELEGRAM_TOKEN"))
	case target == "wechat" && e.getenv("WECHAT_APPID") == "":
		return cmdline.EnvError(errors.New("labels --qr wechat needs WECHAT_APPID (and its secret and token)"))
	}
	return e.withApp(ctx, cmd, p, func(a *App) error {
		products, err := labelProducts(ctx, a, skus, cmd.String("category"))
		if err != nil {
			return err
		}
		if lang == "" {
			lang = a.defaultLang(ctx)
		}
		list := make([]labels.Label, len(products))
		for i, pr := range products {
			link, err := a.productLink(ctx, target, pr.ID)
			if err != nil {
				return fmt.Errorf("the QR code of product %d: %w", pr.ID, err)
			}
			list[i] = labels.Label{Name: pr.Title.In(lang), Price: templates.FormatMoney(lang, pr.Price), SKU: pr.SKU, URL: link}
		}
		files, err := writeLabels(out, list, labels.Options{Layout: size, Format: format})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d labels (%s) in %s; QR codes open %s\n", len(list), size, strings.Join(files, ", "),
			strings.SplitN(list[0].URL, "?", 2)[0])
		return nil
	})
}

// labelProducts are the products named by --sku (in that order), or of
// --category, or every visible one.
func labelProducts(ctx context.Context, a *App, skus []string, category string) ([]commerce.Product, error) {
	var out []commerce.Product
	if len(skus) > 0 {
		var missing []string
		for _, ref := range skus {
			p, err := findProduct(ctx, a, ref)
			if errors.Is(err, errNoProduct) {
				missing = append(missing, ref)
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%w %s (see shopbot product list --all); no labels written", errNoProduct, strings.Join(quoteAll(missing), ", "))
		}
	}
	var catID int64
	if category != "" {
		c, err := findCategory(ctx, a, category)
		if err != nil {
			return nil, err
		}
		catID = c.ID
	}
	if len(skus) > 0 {
		if catID == 0 {
			return out, nil
		}
		var in []commerce.Product
		for _, p := range out {
			if p.CategoryID == catID {
				in = append(in, p)
			}
		}
		out = in
	} else {
		for offset := 0; ; offset += 500 {
			page, err := a.Store.Products(ctx, commerce.ProductFilter{CategoryID: catID, Offset: offset, Limit: 500})
			if err != nil {
				return nil, err
			}
			out = append(out, page...)
			if len(page) < 500 {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, cmdline.NotDonef("no products to label; no file written")
	}
	if len(out) > labels.MaxLabels {
		return nil, cmdline.Usagef("%d products: at most %d labels at once (use --category or --sku)", len(out), labels.MaxLabels)
	}
	return out, nil
}

// productLink opens a product in a chat: the Telegram bot's deep link, the
// WeChat account's parametric QR code (scene p_<id>, which the account
// opens as /start p_<id>), or the web chat with the same start payload.
func (a *App) productLink(ctx context.Context, target string, id int64) (string, error) {
	payload := string(bot.LinkProduct) + "_" + strconv.FormatInt(id, 10)
	switch {
	case target == "telegram" && a.tg != nil && a.tg.Username() != "":
		return "https://t.me/" + a.tg.Username() + "?start=" + payload, nil
	case target == "wechat" && a.wechat != nil:
		return a.wechat.QRContent(ctx, payload)
	case target == "web":
		return strings.TrimRight(a.cfg.PublicURL, "/") + "/?start=" + url.QueryEscape(payload), nil
	}
	return "", fmt.Errorf("%s is not configured", target)
}

// defaultLang is the shop's default language (the built-in default when
// the profile cannot be read).
func (a *App) defaultLang(ctx context.Context) string {
	if a.setup != nil {
		if p, _, err := a.setup.Profile(ctx); err == nil && templates.Match(p.DefaultLang) != "" {
			return templates.Match(p.DefaultLang)
		}
	}
	return templates.Default
}

// writeLabels writes the sheet to out: one PDF, or one PNG a page
// (out, then out-2.png …). It returns the files written.
func writeLabels(out string, list []labels.Label, o labels.Options) ([]string, error) {
	names := []string{out}
	if o.Format == labels.FormatPNG {
		l, _ := labels.LayoutByName(o.Layout)
		ext := filepath.Ext(out)
		for p := 2; p <= l.PageCount(len(list)); p++ {
			names = append(names, strings.TrimSuffix(out, ext)+"-"+strconv.Itoa(p)+cmp.Or(ext, ".png"))
		}
	}
	for i, name := range names {
		o.Page = i + 1
		if err := writeFile(name, func(w io.Writer) error { return labels.Write(w, list, o) }); err != nil {
			return names[:i], err
		}
	}
	return names, nil
}

// writeFile writes a file whole or not at all (a temporary file renamed).
func writeFile(name string, fill func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".labels-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
