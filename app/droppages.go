package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/commerce"
	"shopbot/demo"
	"shopbot/poster"
	"shopbot/templates"
)

// dropPages serves the shareable drop pages (web.DropPages).
type dropPages struct{ a *App }

func (p dropPages) load(ctx context.Context, code string) (commerce.Drop, commerce.Product, error) {
	d, err := p.a.Store.DropByCode(ctx, code)
	if err != nil {
		return d, commerce.Product{}, err
	}
	prod, err := p.a.Store.Product(ctx, d.ProductID)
	return d, prod, err
}

func (p dropPages) pageURL(code string) string { return p.a.cfg.PublicURL + "/d/" + code }

// botURL opens the drop in the Telegram bot; "" when Telegram is off.
func (p dropPages) botURL(code string) string {
	if p.a.tg == nil || p.a.tg.Username() == "" {
		return ""
	}
	return "https://t.me/" + p.a.tg.Username() + "?start=d_" + code
}

// qrTarget is what the drop's QR code opens: the drop in the bot when
// Telegram is on (one scan to the buy button), else its page.
func (p dropPages) qrTarget(code string) string {
	if u := p.botURL(code); u != "" {
		return u
	}
	return p.pageURL(code)
}

// links are the drop's shareable links shown to the seller (bot.Options.DropLinks).
func (p dropPages) links(code string) bot.DropLinks {
	return bot.DropLinks{Page: p.pageURL(code), Poster: p.pageURL(code) + "/poster.png", Bot: p.botURL(code)}
}

// zone is where a drop's times are shown: its own zone, else the seller's.
func (p dropPages) zone(d commerce.Drop) *time.Location {
	if d.TimeZone != "" {
		if loc, err := time.LoadLocation(d.TimeZone); err == nil {
			return loc
		}
	}
	return p.a.cfg.zone()
}

// DropPage implements web.DropPages.
func (p dropPages) DropPage(ctx context.Context, code, lang string) (web.DropPageData, error) {
	d, prod, err := p.load(ctx, code)
	if err != nil {
		return web.DropPageData{}, err
	}
	loc := p.zone(d)
	data := web.DropPageData{
		Code: d.Code, Title: prod.Title.In(lang), Description: prod.Description.In(lang),
		PageURL: p.pageURL(d.Code), QRURL: p.pageURL(d.Code) + "/qr.png", BotURL: p.a.cfg.PublicURL + "/",
		Price: d.Price, StartsAt: d.StartsAt.In(loc), Left: d.Left, Units: d.Units, Lang: lang,
		Cancelled: !d.CancelledAt.IsZero(),
	}
	if prod.Image != "" {
		data.ImageURL = p.a.Router.ImageURL(prod.Image)
		if strings.HasPrefix(data.ImageURL, "/") {
			data.ImageURL = p.a.cfg.PublicURL + data.ImageURL
		}
	}
	if p.a.tg != nil && p.a.tg.Username() != "" {
		data.BotURL = "https://t.me/" + p.a.tg.Username()
	}
	return data, nil
}

// qr draws the QR code of the drop's page (scanning opens it; from there the
// buyer continues in the chat).
func (p dropPages) qr(ctx context.Context, code string) ([]byte, error) {
	if !commerce.ValidDropCode(code) {
		return nil, commerce.ErrNotFound
	}
	if _, err := p.a.Store.DropByCode(ctx, code); err != nil {
		return nil, err
	}
	return qrcode.Encode(p.qrTarget(code), qrcode.Medium, 320)
}

// poster draws the drop's poster for Moments in the buyer's language.
func (p dropPages) poster(ctx context.Context, code, lang string) ([]byte, error) {
	d, prod, err := p.load(ctx, code)
	if err != nil {
		return nil, err
	}
	if !d.CancelledAt.IsZero() {
		// Nothing to advertise: the page says the drop was called off.
		return nil, fmt.Errorf("drop %s was cancelled: %w", code, commerce.ErrNotFound)
	}
	if lang == "" {
		lang = templates.Default
	}
	loc := p.zone(d)
	qr, err := qrcode.Encode(p.qrTarget(d.Code), qrcode.Medium, 320)
	if err != nil {
		return nil, err
	}
	texts := p.a.Router.Texts()
	pp := poster.Poster{
		Title:    prod.Title.In(lang),
		Price:    templates.FormatMoney(lang, d.Price),
		Subtitle: texts.Text(lang, "poster_subtitle", map[string]any{"Upcoming": p.a.drops.Now().Before(d.StartsAt), "Start": d.StartsAt.In(loc), "Units": d.Units}),
		Footer:   texts.Text(lang, "poster_footer", nil),
		QR:       qr,
	}
	if strings.HasPrefix(prod.Image, demo.ImagePrefix) {
		if img, err := demo.RenderImage(prod.Image, 640); err == nil {
			pp.Image = img
		}
	}
	b, err := poster.Render(pp)
	if err != nil {
		return nil, fmt.Errorf("drop %s poster: %w", code, err)
	}
	return b, nil
}
