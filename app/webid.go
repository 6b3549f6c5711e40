package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"shopbot/bot"
	"shopbot/bot/web"
	"shopbot/chatstate"
)

// The web chat's identities: the keys that sign their cookies, the sweep
// that removes idle ones, and `shopbot web rotate-key`.

// webKeysSetting is the settings row of the web identity keys, newest
// first: "3:<base64>,2:<base64>". The first replica to start writes key 1;
// a rotation adds the next and keeps the one before, so cookies signed
// with it still verify (and are signed again on the next visit).
const webKeysSetting = "web_identity_keys"

// WebRetention is how long a web identity may be idle before the sweep
// removes it (unless it ordered) and its conversation.
const WebRetention = 30 * 24 * time.Hour

func newWebKey(gen int) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return strconv.Itoa(gen) + ":" + base64.RawStdEncoding.EncodeToString(b[:])
}

// parseWebKeys reads the setting's value.
func parseWebKeys(v string) ([]web.Key, error) {
	var keys []web.Key
	for _, f := range strings.Split(v, ",") {
		g, s, ok := strings.Cut(f, ":")
		gen, err := strconv.Atoi(g)
		if !ok || err != nil || gen < 1 {
			return nil, errors.New("web identity keys: malformed setting")
		}
		secret, err := base64.RawStdEncoding.DecodeString(s)
		if err != nil || len(secret) < 32 {
			return nil, errors.New("web identity keys: malformed setting")
		}
		keys = append(keys, web.Key{Gen: gen, Secret: secret})
	}
	return keys, nil
}

// webKeys returns the web identity keys, writing the first one when the
// deployment has none yet (web.Options.Keys).
func (a *App) webKeys(ctx context.Context) ([]web.Key, error) {
	v, err := a.Store.InitSetting(ctx, webKeysSetting, newWebKey(1))
	if err != nil {
		return nil, err
	}
	return parseWebKeys(v)
}

// rotateWebKey adds the next web identity key and keeps the one before it;
// older keys are dropped (cookies they signed no longer verify). It
// returns the new key's number.
func (a *App) rotateWebKey(ctx context.Context) (int, error) {
	for {
		v, err := a.Store.InitSetting(ctx, webKeysSetting, newWebKey(1))
		if err != nil {
			return 0, err
		}
		keys, err := parseWebKeys(v)
		if err != nil {
			return 0, err
		}
		gen := keys[0].Gen + 1
		kept, _, _ := strings.Cut(v, ",")
		ok, err := a.Store.SwapSetting(ctx, webKeysSetting, v, newWebKey(gen)+","+kept)
		if err != nil {
			return 0, err
		}
		if ok {
			return gen, nil
		}
		// Another rotation won: rotate on top of it.
	}
}

// purgeWebIdentities is the retention sweep (jobs.Options.Retention): web
// identities idle WebRetention that never ordered go with their session,
// history, inbox and audience row; those that ordered lose only their
// history. With Redis, sessions and histories kept there expire by
// themselves after the same time.
func (a *App) purgeWebIdentities(ctx context.Context) (int64, error) {
	var purged int64
	for {
		now := a.Shop.Now()
		res, err := a.Store.PurgeIdleWebIdentities(ctx, chatstate.WebRetention{
			IdleSince: now.Add(-WebRetention), Now: now, Limit: 200,
			SessionKey: func(id string) string {
				return bot.SessionKey(bot.Message{Channel: bot.ChannelWeb, ChatID: id, UserID: id})
			},
			UserKey: func(id string) string { return bot.ChannelWeb + ":" + id },
		})
		purged += int64(res.Purged)
		if err != nil || res.Looked < 200 {
			return purged, err
		}
	}
}

// webCommand is "shopbot web rotate-key".
func (e *cliEnv) webCommand() *cli.Command {
	return &cli.Command{
		Name:  "web",
		Usage: "the web chat",
		Commands: []*cli.Command{
			{Name: "rotate-key", Usage: "sign web identity cookies with a new key; the previous one still verifies, older ones stop",
				Action: e.webRotateKey},
		},
	}
}

func (e *cliEnv) webRotateKey(ctx context.Context, cmd *cli.Command) error {
	if err := noArgs(cmd); err != nil {
		return err
	}
	return e.withApp(ctx, cmd, platforms{}, func(a *App) error {
		gen, err := a.rotateWebKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "web identity key %d signs new cookies within 5 minutes on every replica; key %d still verifies, older keys no longer do\n", gen, gen-1)
		return nil
	})
}
