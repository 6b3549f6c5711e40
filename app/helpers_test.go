package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"shopbot/bot/wechat/wechattest"
	"shopbot/commerce"
)

// audienceFirstChat numbers the Telegram users seedAudience makes;
// audienceSeen marks them (first_seen = 1 ms).
const (
	audienceFirstChat = 9_000_000_000
	audienceSeen      = 1
)

// seedAudience replaces the seeded Telegram users with n fresh ones (chats
// audienceFirstChat…), 500 rows per statement.
func seedAudience(ctx context.Context, a *App, n int) error {
	db := a.Store.DB()
	if _, err := db.ExecContext(ctx, `DELETE FROM chat_users WHERE first_seen = $1`, audienceSeen); err != nil {
		return err
	}
	langs := []string{"en", "ru", "zh-CN"}
	for from := 0; from < n; from += 500 {
		to := min(n, from+500)
		var q strings.Builder
		q.WriteString(`INSERT INTO chat_users (channel, user_id, chat_id, lang, first_seen, last_seen) VALUES `)
		args := make([]any, 0, 3*(to-from))
		for i := from; i < to; i++ {
			if i > from {
				q.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&q, "('tg', $%d, $%d, $%d, %d, %d)", k+1, k+2, k+3, audienceSeen, audienceSeen)
			id := strconv.FormatInt(audienceFirstChat+int64(i), 10)
			args = append(args, id, id, langs[i%len(langs)])
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("seed audience: %w", err)
		}
	}
	return nil
}

// rushProduct returns a product to put in a drop, creating one in an empty catalog.
func rushProduct(ctx context.Context, a *App) (commerce.Product, error) {
	ps, err := a.Store.Products(ctx, commerce.ProductFilter{WithHidden: true, Limit: 1})
	if err != nil || len(ps) > 0 {
		if err != nil {
			return commerce.Product{}, err
		}
		return ps[0], nil
	}
	c, err := a.Store.UpsertCategory(ctx, commerce.Category{Slug: "rush", Title: commerce.Text{"en": "Rush"}})
	if err != nil {
		return commerce.Product{}, err
	}
	return a.Store.UpsertProduct(ctx, commerce.Product{SKU: "RUSH-DROP", CategoryID: c.ID, Title: commerce.Text{"en": "Rush drop"},
		Description: commerce.Text{"en": "rush"}, Price: commerce.CNY(100), Origin: commerce.OriginDutyPaid, Active: true})
}

// fakeWeChat points cfg at an in-process fake of the WeChat API with fresh
// credentials, and returns the client that signs callbacks for it.
func fakeWeChat(cfg *Config) (wechattest.Client, func()) {
	var key [32]byte
	_, _ = rand.Read(key[:])
	c := wechattest.Client{AppID: "wxtest00000000001", Token: "testtoken", GhID: "gh_test",
		AESKey: strings.TrimRight(base64.StdEncoding.EncodeToString(key[:]), "=")}
	api := wechattest.NewFakeAPI(c.AppID, "testsecret")
	cfg.WeChat = WeChatConfig{AppID: c.AppID, Secret: "testsecret", Token: c.Token, AESKey: c.AESKey, APIBase: api.URL()}
	return c, api.Close
}
