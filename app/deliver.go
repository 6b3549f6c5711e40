package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/wechat"
	"shopbot/commerce"
	"shopbot/jobs"
)

// deliverer sends notices through each platform's own sender.
type deliverer struct{ a *App }

// Deliver implements jobs.Deliverer.
func (d deliverer) Deliver(ctx context.Context, channel, chatID string, replies []bot.Reply) error {
	switch channel {
	case bot.ChannelWeb:
		payload, err := json.Marshal(replies)
		if err != nil {
			return err
		}
		return d.a.Store.Push(ctx, bot.ChannelWeb+":"+chatID, payload)
	case bot.ChannelTelegram:
		if d.a.tg == nil {
			return fmt.Errorf("telegram is not configured: %w", jobs.ErrUnreachable)
		}
		for _, r := range replies {
			r.Edit = false // a notice is a new message
			if r.Conversation != 0 {
				if err := d.sendQuestion(ctx, chatID, r); err != nil {
					return err
				}
				continue
			}
			if err := d.a.tg.SendReply(ctx, chatID, r); err != nil {
				if errors.Is(err, telegram.ErrBlocked) {
					return fmt.Errorf("%w: %w", jobs.ErrUnreachable, err)
				}
				return err
			}
		}
		return nil
	case bot.ChannelWeChat:
		if d.a.wechat == nil {
			return fmt.Errorf("wechat is not configured: %w", jobs.ErrUnreachable)
		}
		// WeChat notices are text (kf message in the 48-hour window, else
		// the template for "notice"); the buyer answers with the menu.
		texts := make([]string, 0, len(replies))
		for _, r := range replies {
			texts = append(texts, r.Text)
		}
		err := d.a.wechat.Notify(ctx, chatID, "notice", strings.Join(texts, "\n\n"), nil)
		if errors.Is(err, wechat.ErrNoTemplate) || errors.Is(err, wechat.ErrInvalidOpenID) {
			return fmt.Errorf("%w: %w", jobs.ErrUnreachable, err)
		}
		return err
	}
	return fmt.Errorf("channel %q: %w", channel, jobs.ErrUnreachable)
}

// Settings rows of the deployment's own keys, made when the environment
// does not set them. Each is its own row: one can be replaced without the
// other.
const (
	pickupKeySetting = "pickup_secret" // SHOPBOT_PICKUP_SECRET: the buyers' QR passes
	staffKeySetting  = "staff_key"     // SHOPBOT_STAFF_KEY: the staff page's links, sessions and CSRF tokens
)

// key is a key of the deployment: fromEnv when the environment sets it,
// else the random key kept in the settings row setting (the first replica
// to start creates it).
func (a *App) key(ctx context.Context, fromEnv, setting string) ([]byte, error) {
	if fromEnv != "" {
		return []byte(fromEnv), nil
	}
	v, err := a.Store.InitSetting(ctx, setting, newKey())
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// newKey is 32 random bytes, hex-encoded.
func newKey() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// pickupQR renders the QR code of a pickup pass token that verifies. The
// code holds the staff-page URL, so a phone camera opens it ready to check.
func (a *App) pickupQR(secret []byte) func(token string) ([]byte, error) {
	return func(token string) ([]byte, error) {
		if _, err := commerce.VerifyPickupToken(secret, token, a.pickup.Now()); err != nil {
			return nil, err
		}
		return qrcode.Encode(a.cfg.PublicURL+"/staff?t="+token, qrcode.Medium, 384)
	}
}
