// Package app wires shopbot together: configuration from the environment,
// stores, the job queue, the conversation engine, the HTTP server and the
// subcommands. cmd/shopbot only calls Main.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
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
	PickupSecret   string         // SHOPBOT_PICKUP_SECRET (≥ 32 bytes) signs the buyers' pickup QR passes; default: generated once, kept in the database
	StaffKey       string         // SHOPBOT_STAFF_KEY (≥ 32 bytes) keys the staff page's login links, sessions and CSRF tokens; default: generated once, kept in the database
	ConsoleKey     string         // SHOPBOT_CONSOLE_KEY (≥ 32 bytes) keys the seller console's login links, sessions and CSRF tokens; default: generated once, kept in the database
	TimeZone       *time.Location // SHOPBOT_TIMEZONE, default Asia/Shanghai: the seller's zone (drop start times)
	// TrustedProxies (SHOPBOT_TRUSTED_PROXIES, CIDRs) are the proxies whose
	// X-Forwarded-For is believed for the client address; default none.
	TrustedProxies clientaddr.Resolver
	// LimitNewWebIDs is how many new web identities one client address
	// may get per minute (SHOPBOT_LIMIT_NEW_WEB_IDS, default 60; 0 = no
	// limit).
	LimitNewWebIDs int
	// QuestionLimits bound a buyer's messages to the sellers:
	// SHOPBOT_LIMIT_QUESTIONS_PER_HOUR (20) messages an hour,
	// SHOPBOT_LIMIT_NEW_QUESTIONS_PER_DAY (5) new conversations a day.
	QuestionLimits commerce.QuestionLimits
	Telegram       TelegramConfig
	WeChat         WeChatConfig
	GroupPosts     GroupPostsConfig
	// Pay is online payment: WeChat Pay and the payment time (app/payconfig.go).
	Pay PayConfig
	// MsgsPerSecond is how many chat messages one identity may send a
	// second (SHOPBOT_LIMIT_MSGS_PER_S, default 5; "off" = 0, no limit);
	// bursts of 4 seconds' worth (20 at the default) are let through.
	MsgsPerSecond float64
	// MetricsAddr is where /metrics is served, never on the public
	// listener (SHOPBOT_METRICS_ADDR, default 127.0.0.1:9090); "" (the
	// value "off") serves no metrics; port 0 picks a free port.
	MetricsAddr   string
	DefaultRegion string // SHOPBOT_DEFAULT_REGION, default CN: phone numbers without a country code are read there
	// Limits are the per-person limits: SHOPBOT_LIMIT_OPEN_ORDERS (3),
	// SHOPBOT_LIMIT_OPEN_UNITS (20), SHOPBOT_LIMIT_RESERVATIONS (3),
	// SHOPBOT_LIMIT_WAITLISTS (20); 0 turns one off.
	Limits commerce.PersonLimits
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
	// payReconcileEvery overrides how often the payments' reconciliation
	// runs (tests).
	payReconcileEvery time.Duration
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
	// PaymentToken (TELEGRAM_PAYMENT_PROVIDER_TOKEN) is the payment
	// provider's token of Telegram Payments; empty: no invoices.
	PaymentToken string
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
	return fmt.Sprintf("telegram{enabled:%v mode:%s endpoint:%q payments:%v}", c.Token != "", c.Mode, c.APIEndpoint, c.PaymentToken != "")
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
		MetricsAddr:     or(getenv("SHOPBOT_METRICS_ADDR"), "127.0.0.1:9090"),
		MsgsPerSecond:   5,
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
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	} else if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
		return c, fmt.Errorf("SHOPBOT_METRICS_ADDR %q: want HOST:PORT (port 0 picks a free one) or off", c.MetricsAddr)
	}
	if v := getenv("SHOPBOT_LIMIT_MSGS_PER_S"); v == "off" {
		c.MsgsPerSecond = 0
	} else if v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || !(n >= 0.01 && n <= 1000) {
			return c, fmt.Errorf("SHOPBOT_LIMIT_MSGS_PER_S %q: want a number of messages a second from 0.01 to 1000, or off", v)
		}
		c.MsgsPerSecond = n
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
	if err := checkAdmins(c.Admins); err != nil {
		return c, err
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
	if c.StaffKey = getenv("SHOPBOT_STAFF_KEY"); c.StaffKey != "" && len(c.StaffKey) < 32 {
		return c, fmt.Errorf("SHOPBOT_STAFF_KEY must be at least 32 bytes")
	}
	if c.StaffKey != "" && c.StaffKey == c.PickupSecret {
		return c, fmt.Errorf("SHOPBOT_STAFF_KEY must differ from SHOPBOT_PICKUP_SECRET (each is rotated on its own)")
	}
	if c.ConsoleKey = getenv("SHOPBOT_CONSOLE_KEY"); c.ConsoleKey != "" && len(c.ConsoleKey) < 32 {
		return c, fmt.Errorf("SHOPBOT_CONSOLE_KEY must be at least 32 bytes")
	}
	if c.TrustedProxies, err = clientaddr.Parse(getenv("SHOPBOT_TRUSTED_PROXIES")); err != nil {
		return c, fmt.Errorf("SHOPBOT_TRUSTED_PROXIES: %w", err)
	}
	zone := or(getenv("SHOPBOT_TIMEZONE"), "Asia/Shanghai")
	if c.TimeZone, err = time.LoadLocation(zone); err != nil || zone == "Local" {
		return c, fmt.Errorf("SHOPBOT_TIMEZONE %q: want an IANA zone such as Asia/Shanghai", zone)
	}
	if c.DefaultRegion, c.Limits, err = personsFromEnv(getenv); err != nil {
		return c, err
	}
	if v := getenv("SHOPBOT_SEED_DEMO"); v != "" {
		if c.SeedDemo, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("SHOPBOT_SEED_DEMO %q: want true or false", v)
		}
	}
	if c.GroupPosts, err = groupPostsConfig(getenv); err != nil {
		return c, err
	}
	if v := getenv("SHOPBOT_LIMIT_NEW_WEB_IDS"); v != "" {
		if c.LimitNewWebIDs, err = strconv.Atoi(v); err != nil || c.LimitNewWebIDs < 0 {
			return c, fmt.Errorf("SHOPBOT_LIMIT_NEW_WEB_IDS %q: want a whole number of new web identities per address and minute (0 = no limit)", v)
		}
	}
	if c.QuestionLimits, err = questionLimitsFromEnv(getenv); err != nil {
		return c, err
	}
	if c.Pay, err = payFromEnv(getenv, c.PublicURL, getenv("SHOPBOT_PUBLIC_URL") != ""); err != nil {
		return c, err
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
		PaymentToken:  getenv("TELEGRAM_PAYMENT_PROVIDER_TOKEN"),
	}
	if c.Token == "" {
		return c, nil
	}
	if sendOnly {
		c.Mode, c.WebhookSecret = "polling", ""
	}
	if c.WebhookSecret != "" && !validSecretToken(c.WebhookSecret) {
		return c, fmt.Errorf("TELEGRAM_WEBHOOK_SECRET must be %d–256 characters of A-Z a-z 0-9 _ - (e.g. openssl rand -hex 32)", telegram.MinWebhookSecret)
	}
	switch c.Mode {
	case "polling":
	case "webhook":
		if c.WebhookSecret == "" {
			return c, fmt.Errorf("TELEGRAM_WEBHOOK_SECRET is required in webhook mode: %d–256 characters of A-Z a-z 0-9 _ - (e.g. openssl rand -hex 32)", telegram.MinWebhookSecret)
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

// checkAdmins refuses seller identities that a platform does not vouch
// for: SHOPBOT_ADMINS names Telegram and WeChat identities only. A web
// identity is a browser's, and linking one to a seller grants it nothing:
// sellers on the web use the console through a login link.
func checkAdmins(admins []string) error {
	for _, a := range admins {
		ch, user, ok := strings.Cut(a, ":")
		if !ok || user == "" || (ch != "tg" && ch != "wx") || !commerce.ValidIdentity(a) {
			return fmt.Errorf("SHOPBOT_ADMINS: %q is not a tg: or wx: identity (e.g. tg:123456, wx:oAbc…); "+
				"web sellers sign in to the console with a login link instead", a)
		}
	}
	return nil
}

// personsFromEnv reads the phone numbers' region and the per-person
// limits; 0 turns a limit off.
func personsFromEnv(getenv func(string) string) (string, commerce.PersonLimits, error) {
	l := commerce.DefaultPersonLimits()
	region := strings.ToUpper(or(getenv("SHOPBOT_DEFAULT_REGION"), "CN"))
	if _, err := e164(region); err != nil {
		return region, l, fmt.Errorf("SHOPBOT_DEFAULT_REGION %q: want a two-letter country code such as CN", getenv("SHOPBOT_DEFAULT_REGION"))
	}
	for _, v := range []struct {
		name string
		to   *int
	}{
		{"SHOPBOT_LIMIT_OPEN_ORDERS", &l.OpenOrders},
		{"SHOPBOT_LIMIT_OPEN_UNITS", &l.OpenUnits},
		{"SHOPBOT_LIMIT_RESERVATIONS", &l.Reservations},
		{"SHOPBOT_LIMIT_WAITLISTS", &l.Waitlists},
	} {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100000 {
			return region, l, fmt.Errorf("%s %q: want a count, 0 for no limit", v.name, s)
		}
		if n == 0 {
			n = -1 // no limit (a zero field would be the default)
		}
		*v.to = n
	}
	return region, l, nil
}

// region is the phone numbers' default region (SHOPBOT_DEFAULT_REGION; CN when unset).
func (c Config) region() string { return or(c.DefaultRegion, "CN") }

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

// validSecretToken: a webhook secret Telegram accepts (1–256 of A-Z a-z
// 0-9 _ -) and long enough not to be guessed (telegram.MinWebhookSecret).
func validSecretToken(s string) bool {
	if len(s) < telegram.MinWebhookSecret || len(s) > 256 {
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

// msgBurst is the burst the message limit lets through: 4 seconds' worth
// of MsgsPerSecond, at least 1.
func (c Config) msgBurst() int { return max(1, int(math.Ceil(4*c.MsgsPerSecond))) }

// Postgres reports whether the database is Postgres (else SQLite).
func (c Config) Postgres() bool { return !strings.HasPrefix(c.DatabaseURL, "sqlite:") }

// SQLitePath is the file of a sqlite: URL.
func (c Config) SQLitePath() string { return strings.TrimPrefix(c.DatabaseURL, "sqlite:") }
