// Package app wires shopbot together: configuration from the environment,
// stores, the job queue, the conversation engine, the HTTP server and the
// subcommands. cmd/shopbot only calls Main.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"shopbot/bot/telegram"
	"shopbot/commerce"
	"shopbot/internal/clientaddr"
	"shopbot/jobs"
)

// Config is the operator interface (see DESIGN.md).
type Config struct {
	HTTPAddr       string         // SHOPBOT_HTTP_ADDR
	PublicURL      string         // SHOPBOT_PUBLIC_URL
	DatabaseURL    string         // DATABASE_URL: postgres://… or sqlite:PATH
	RedisURL       string         // REDIS_URL; empty = embedded
	RedisPrefix    string         // SHOPBOT_REDIS_PREFIX, default "shopbot:" (several shops can share one Redis)
	Admins         []string       // SHOPBOT_ADMINS
	LogLevel       slog.Level     // SHOPBOT_LOG_LEVEL
	ReservationTTL time.Duration  // SHOPBOT_RESERVATION_TTL, default 15m
	MaxQtyPerLine  int            // SHOPBOT_MAX_QTY, default 10
	SeedDemo       bool           // SHOPBOT_SEED_DEMO, default true: seed the demo catalog into an empty database
	DBMaxConns     int32          // SHOPBOT_DB_MAX_CONNS (Postgres pool size), default 16
	PickupSecret   string         // SHOPBOT_PICKUP_SECRET (≥ 32 bytes) signs pickup QR tokens and staff logins; default: generated once, kept in the database
	TimeZone       *time.Location // SHOPBOT_TIMEZONE, default Asia/Shanghai: the seller's zone (drop start times)
	// TrustedProxies (SHOPBOT_TRUSTED_PROXIES, CIDRs) are the proxies whose
	// X-Forwarded-For is believed for the client address; default none.
	TrustedProxies clientaddr.Resolver
	// LimitNewWebIDs is how many new web identities one client address
	// may get per minute (SHOPBOT_LIMIT_NEW_WEB_IDS, default 60; 0 = no
	// limit).
	LimitNewWebIDs int
	Telegram       TelegramConfig
	WeChat         WeChatConfig
	GroupPosts     GroupPostsConfig
	// JobPollInterval is how often the queue looks for due jobs (tests lower it).
	JobPollInterval time.Duration
	ShutdownTimeout time.Duration // SHOPBOT_SHUTDOWN_TIMEOUT, default 20s
	// BroadcastLease is how long a broadcast's worker may go silent before
	// another process resumes it (SHOPBOT_BROADCAST_LEASE, default 30s).
	BroadcastLease time.Duration

	// clock replaces the wall clock of the shop, pickup and drop services
	// (tests move time forward).
	clock commerce.Clock

	// Tuning is set by benchmarks and tests, never by the environment.
	Tuning Tuning

	// telegramClock and telegramSleep replace the Telegram sender's clock
	// (tests run it on the shop's simulated time).
	telegramClock func() time.Time
	telegramSleep func(ctx context.Context, d time.Duration) error
	// broadcastProgressEvery overrides how often a broadcast's progress is
	// reported (tests).
	broadcastProgressEvery time.Duration
	// linkWeChat is web.Options.LinkWeChat (tests; the linking of persons
	// sets it).
	linkWeChat func(ctx context.Context, webIdentity, openID string) error
}

// Tuning overrides defaults that no environment variable sets:
// shopbot-bench measures with it, tests use it.
type Tuning struct {
	// TelegramLimits overrides the Telegram sender's flood limits (the
	// webhook benchmark measures without them; the broadcast benchmark
	// sets the fake Bot API's).
	TelegramLimits *telegram.SendLimits
	// BroadcastLanes overrides the broadcast fan-out's lanes per channel.
	BroadcastLanes map[string]jobs.Lane
}

// TelegramConfig enables the Telegram bot when Token is set.
type TelegramConfig struct {
	Token         string // TELEGRAM_TOKEN
	APIEndpoint   string // TELEGRAM_API_ENDPOINT, "%s" twice as in the library
	WebhookSecret string // TELEGRAM_WEBHOOK_SECRET, required in webhook mode
	Mode          string // TELEGRAM_MODE: webhook or polling
}

// WeChatConfig enables the WeChat Official Account when AppID is set.
type WeChatConfig struct {
	AppID, Secret, Token, AESKey string // WECHAT_APPID, WECHAT_SECRET, WECHAT_TOKEN, WECHAT_AES_KEY
	APIBase                      string // WECHAT_API_BASE
	OAuthBase                    string // WECHAT_OAUTH_BASE: WeChat's authorize page (the web page's sign-in), default https://open.weixin.qq.com
	Plaintext                    bool   // WECHAT_PLAINTEXT=true allows plaintext callbacks (never in production)
}

// String hides secrets so a config can be logged.
func (c TelegramConfig) String() string {
	return fmt.Sprintf("telegram{enabled:%v mode:%s endpoint:%q}", c.Token != "", c.Mode, c.APIEndpoint)
}

// String hides secrets so a config can be logged.
func (c WeChatConfig) String() string {
	return fmt.Sprintf("wechat{appid:%s safe_mode:%v api:%q oauth:%q}", c.AppID, !c.Plaintext, c.APIBase, c.OAuthBase)
}

// ConfigFromEnv reads the whole configuration, the chat platforms' too;
// getenv is os.Getenv in production. serve uses it.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c, err := CoreConfigFromEnv(getenv)
	if err != nil {
		return c, err
	}
	if c.Telegram, err = telegramFromEnv(getenv, c.PublicURL, false); err != nil {
		return c, err
	}
	if c.WeChat, err = weChatFromEnv(getenv); err != nil {
		return c, err
	}
	return c, nil
}

// CoreConfigFromEnv reads the configuration without the chat platforms:
// Telegram and WeChat stay off and their variables are neither read nor
// checked, so Open builds no adapter and calls no platform API. Commands
// that do not talk to a platform use it, and so do the benchmarks, which
// bring fake platforms of their own.
func CoreConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		HTTPAddr:        or(getenv("SHOPBOT_HTTP_ADDR"), "127.0.0.1:8080"),
		DatabaseURL:     or(getenv("DATABASE_URL"), "sqlite:shopbot.db"),
		RedisURL:        getenv("REDIS_URL"),
		RedisPrefix:     or(getenv("SHOPBOT_REDIS_PREFIX"), "shopbot:"),
		ReservationTTL:  15 * time.Minute,
		MaxQtyPerLine:   10,
		SeedDemo:        true,
		DBMaxConns:      16,
		JobPollInterval: time.Second,
		ShutdownTimeout: 20 * time.Second,
		BroadcastLease:  30 * time.Second,
		LimitNewWebIDs:  60,
	}
	c.PublicURL = strings.TrimRight(or(getenv("SHOPBOT_PUBLIC_URL"), "http://"+c.HTTPAddr), "/")
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("SHOPBOT_PUBLIC_URL must be an http(s) URL")
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return c, fmt.Errorf("DATABASE_URL must be postgres://… or sqlite:PATH")
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		return c, fmt.Errorf("REDIS_URL must start with redis:// or rediss://")
	}
	for _, a := range strings.Split(getenv("SHOPBOT_ADMINS"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.Admins = append(c.Admins, a)
		}
	}
	if v := getenv("SHOPBOT_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, fmt.Errorf("SHOPBOT_LOG_LEVEL %q: want debug, info, warn or error", v)
		}
	}
	var err error
	if c.ReservationTTL, err = duration(getenv, "SHOPBOT_RESERVATION_TTL", c.ReservationTTL); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = duration(getenv, "SHOPBOT_SHUTDOWN_TIMEOUT", c.ShutdownTimeout); err != nil {
		return c, err
	}
	if c.BroadcastLease, err = duration(getenv, "SHOPBOT_BROADCAST_LEASE", c.BroadcastLease); err != nil {
		return c, err
	}
	if v := getenv("SHOPBOT_MAX_QTY"); v != "" {
		if c.MaxQtyPerLine, err = strconv.Atoi(v); err != nil || c.MaxQtyPerLine < 1 || c.MaxQtyPerLine > 999 {
			return c, fmt.Errorf("SHOPBOT_MAX_QTY %q: want 1–999", v)
		}
	}
	if v := getenv("SHOPBOT_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return c, fmt.Errorf("SHOPBOT_DB_MAX_CONNS %q: want 1–1000", v)
		}
		c.DBMaxConns = int32(n)
	}
	if c.PickupSecret = getenv("SHOPBOT_PICKUP_SECRET"); c.PickupSecret != "" && len(c.PickupSecret) < 32 {
		return c, fmt.Errorf("SHOPBOT_PICKUP_SECRET must be at least 32 bytes")
	}
	zone := or(getenv("SHOPBOT_TIMEZONE"), "Asia/Shanghai")
	if c.TimeZone, err = time.LoadLocation(zone); err != nil || zone == "Local" {
		return c, fmt.Errorf("SHOPBOT_TIMEZONE %q: want an IANA zone such as Asia/Shanghai", zone)
	}
	if v := getenv("SHOPBOT_SEED_DEMO"); v != "" {
		if c.SeedDemo, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("SHOPBOT_SEED_DEMO %q: want true or false", v)
		}
	}
	if c.GroupPosts, err = groupPostsConfig(getenv); err != nil {
		return c, err
	}
	if c.TrustedProxies, err = clientaddr.Parse(getenv("SHOPBOT_TRUSTED_PROXIES")); err != nil {
		return c, fmt.Errorf("SHOPBOT_TRUSTED_PROXIES: %w", err)
	}
	if v := getenv("SHOPBOT_LIMIT_NEW_WEB_IDS"); v != "" {
		if c.LimitNewWebIDs, err = strconv.Atoi(v); err != nil || c.LimitNewWebIDs < 0 {
			return c, fmt.Errorf("SHOPBOT_LIMIT_NEW_WEB_IDS %q: want a whole number of new web identities per address and minute (0 = no limit)", v)
		}
	}
	c.Telegram.Mode = telegramMode(getenv, c.PublicURL)
	return c, nil
}

// telegramMode is TELEGRAM_MODE, by default webhook with an https public
// URL and polling otherwise.
func telegramMode(getenv func(string) string, publicURL string) string {
	if m := getenv("TELEGRAM_MODE"); m != "" {
		return m
	}
	if strings.HasPrefix(publicURL, "https://") {
		return "webhook"
	}
	return "polling"
}

// telegramFromEnv reads the Telegram settings. A command that only sends
// (sendOnly: drop post, broadcast send -wait) runs the adapter in polling
// mode without polling, so the webhook settings do not matter to it.
func telegramFromEnv(getenv func(string) string, publicURL string, sendOnly bool) (TelegramConfig, error) {
	c := TelegramConfig{
		Token:         getenv("TELEGRAM_TOKEN"),
		APIEndpoint:   getenv("TELEGRAM_API_ENDPOINT"),
		WebhookSecret: getenv("TELEGRAM_WEBHOOK_SECRET"),
		Mode:          telegramMode(getenv, publicURL),
	}
	if c.Token == "" {
		return c, nil
	}
	if sendOnly {
		c.Mode, c.WebhookSecret = "polling", ""
	}
	switch c.Mode {
	case "polling":
	case "webhook":
		if !validSecretToken(c.WebhookSecret) {
			return c, fmt.Errorf("TELEGRAM_WEBHOOK_SECRET must be 1–256 characters of A-Z a-z 0-9 _ - in webhook mode")
		}
	default:
		return c, fmt.Errorf("TELEGRAM_MODE %q: want webhook or polling", c.Mode)
	}
	return c, nil
}

// weChatFromEnv reads the WeChat Official Account settings.
func weChatFromEnv(getenv func(string) string) (WeChatConfig, error) {
	c := WeChatConfig{
		AppID: getenv("WECHAT_APPID"), Secret: getenv("WECHAT_SECRET"), Token: getenv("WECHAT_TOKEN"),
		AESKey: getenv("WECHAT_AES_KEY"), APIBase: getenv("WECHAT_API_BASE"),
		OAuthBase: or(getenv("WECHAT_OAUTH_BASE"), "https://open.weixin.qq.com"),
	}
	if u, err := url.Parse(c.OAuthBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return c, fmt.Errorf("WECHAT_OAUTH_BASE must be an http(s) URL")
	}
	if v := getenv("WECHAT_PLAINTEXT"); v != "" {
		var err error
		if c.Plaintext, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("WECHAT_PLAINTEXT %q: want true or false", v)
		}
	}
	if c.AppID != "" {
		if c.Token == "" || c.Secret == "" {
			return c, fmt.Errorf("WECHAT_APPID is set: WECHAT_SECRET and WECHAT_TOKEN are required too")
		}
		if c.AESKey == "" && !c.Plaintext {
			return c, fmt.Errorf("WECHAT_AES_KEY is required (safe mode); set WECHAT_PLAINTEXT=true only for local experiments")
		}
	}
	return c, nil
}

// zone is the seller's time zone (SHOPBOT_TIMEZONE; Asia/Shanghai when unset).
func (c Config) zone() *time.Location {
	if c.TimeZone != nil {
		return c.TimeZone
	}
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.UTC
}

func validSecretToken(s string) bool {
	if len(s) < 1 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s %q: want a positive duration such as 15m", name, v)
	}
	return d, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Postgres reports whether the database is Postgres (else SQLite).
func (c Config) Postgres() bool { return !strings.HasPrefix(c.DatabaseURL, "sqlite:") }

// SQLitePath is the file of a sqlite: URL.
func (c Config) SQLitePath() string { return strings.TrimPrefix(c.DatabaseURL, "sqlite:") }
