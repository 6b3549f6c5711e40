package app

import (
	"context"
	"fmt"
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/internal/phone"
)

// e164 is the shop's phone normalizer: E.164 in SHOPBOT_DEFAULT_REGION,
// refusals as commerce.ErrInvalid.
func e164(region string) (commerce.PhoneNormalizer, error) {
	n, err := phone.New(region)
	if err != nil {
		return nil, fmt.Errorf("SHOPBOT_DEFAULT_REGION: %w", err)
	}
	return func(s string) (string, error) {
		p, err := n.Normalize(s)
		if err != nil {
			return "", fmt.Errorf("phone: %w: %w", commerce.ErrInvalid, err)
		}
		return p, nil
	}, nil
}

// phones is the shop's phone normalizer, once the phone numbers stored
// before E.164 are brought to it (once per region; see
// sqlstore.NormalizePhones).
func (a *App) phones(ctx context.Context) (commerce.PhoneNormalizer, error) {
	region := a.profileRegion(ctx)
	norm, err := e164(region)
	if err != nil {
		return nil, err
	}
	n, err := a.Store.NormalizePhones(ctx, region, norm)
	if err != nil {
		return nil, fmt.Errorf("normalize stored phone numbers: %w", err)
	}
	if n > 0 {
		a.log.Info("stored phone numbers normalized to E.164", "numbers", n, "region", region)
	}
	return a.regionPhones(norm, region), nil
}

// linkPages are the ways to use a link code in another chat: the web chat
// opened with it (the page sends "/start link_CODE"), the Telegram bot
// opened with it, and a QR code of the Telegram link (else the web one).
func (a *App) linkPages(code string) bot.LinkPages {
	p := bot.LinkPages{Web: a.cfg.PublicURL + "/?start=link_" + code, QR: "/link/" + code + "/qr.png"}
	if a.tg != nil {
		if l, err := a.tg.DeepLink("link_" + code); err == nil {
			p.Telegram = l
		}
	}
	return p
}

// linkQR serves GET /link/{code}/qr.png: the QR code of a link page. It
// draws any well-formed code without looking it up (the code is checked
// when it is entered) and is never cached: a code works once.
func (a *App) linkQR(w http.ResponseWriter, r *http.Request) {
	code, ok := commerce.ParseLinkCode(r.PathValue("code"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	pages := a.linkPages(code)
	target := pages.Telegram
	if target == "" {
		target = pages.Web
	}
	png, err := qrcode.Encode(target, qrcode.Medium, 384)
	if err != nil {
		http.Error(w, "qr code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}

// Persons is the service that links a buyer's identities: the web chat's
// WeChat sign-in links the page's identity with wx:<openid> through it
// (Persons.Link), and lists a person's web identities for their history
// (Persons.Identities).
func (a *App) Persons() *commerce.Persons { return a.persons }
