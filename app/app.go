package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"shopbot/admin"
	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/web"
	"shopbot/bot/wechat"
	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/demo"
	"shopbot/jobs"
	"shopbot/qrscan"
	"shopbot/staff"
	"shopbot/store/postgres"
	"shopbot/store/redis"
	"shopbot/store/sqlite"
	"shopbot/store/sqlstore"
	"shopbot/templates"
	"shopbot/wechatpay"
)

// App is one running shopbot process.
type App struct {
	cfg     Config
	log     *slog.Logger
	Store   *sqlstore.Store
	Shop    *commerce.Shop
	pickup  *commerce.Pickup
	drops   *commerce.DropService
	seller  *commerce.Seller
	setup   *commerce.ShopSetup
	persons *commerce.Persons
	desk    *commerce.OrderDesk // the seller's orders (app/orderdesk.go)
	posts   *bot.GroupPosts
	// questions: buyers' messages to the sellers and their answers (app/questions.go).
	questions *commerce.Questions
	secret    []byte // the pickup pass key: signs the buyers' QR passes (the staff key is the staff page's own)
	Router    *bot.Router
	staff     *staff.Page
	console   *admin.Console
	queue     *jobs.Queue
	wechat    *wechat.Adapter
	tg        *telegram.Adapter
	redis     goredis.UniversalClient // nil on the embedded default
	metrics   *metrics
	// metricsLn serves /metrics apart from the public listener (see
	// ListenMetrics); nil until listening, and with SHOPBOT_METRICS_ADDR=off.
	metricsLn net.Listener
	ready     []check
	closers   []func()
	handler   http.Handler
	// The web chat's history (Redis with a TTL, else the database) and
	// the limit of new web identities per client address (Redis, else
	// in-process; nil without a limit).
	webHistory chatstate.History
	newWebIDs  chatstate.WindowLimiter
	// Online payment (app/pay.go); wechatPay is nil without a WeChat Pay merchant.
	wechatPay *wechatpay.Client
	payments  *commerce.Payments
	payPages  *payPages
}

type check struct {
	name string
	ping func(ctx context.Context) error
}

// Open connects the stores, applies migrations, seeds the demo catalog into
// an empty database and builds the HTTP handler. It starts nothing.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (_ *App, err error) {
	a := &App{cfg: cfg, log: log, metrics: newMetrics()}
	defer func() {
		if err != nil {
			a.Close() // whatever was opened before the failure
		}
	}()
	if err := a.openDatabase(ctx); err != nil {
		return nil, err
	}
	a.openSetup()
	phone, err := a.phones(ctx)
	if err != nil {
		return nil, err
	}
	a.Shop = commerce.NewShop(commerce.ShopOptions{Store: a.Store, Clock: cfg.clock, ReservationTTL: cfg.ReservationTTL,
		MaxQtyPerLine: cfg.MaxQtyPerLine, Limits: cfg.Limits, Phone: phone})
	a.persons = commerce.NewPersons(commerce.PersonsOptions{Store: a.Store, Clock: cfg.clock})
	a.questions = commerce.NewQuestions(commerce.QuestionsOptions{Store: a.Store, Clock: cfg.clock, Limits: cfg.QuestionLimits})
	if a.secret, err = a.key(ctx, cfg.PickupSecret, pickupKeySetting); err != nil {
		return nil, err
	}
	if a.pickup, err = commerce.NewPickup(commerce.PickupOptions{Store: a.Store, Clock: cfg.clock, Secret: a.secret}); err != nil {
		return nil, err
	}
	a.seller = commerce.NewSeller(commerce.SellerOptions{Store: a.Store, Clock: cfg.clock, Shop: a.setup})
	a.desk = a.newOrderDesk()
	dropOpts := commerce.DropServiceOptions{Store: a.Store, Clock: cfg.clock, Log: log, Limits: cfg.Limits, Phone: phone}

	var sessions chatstate.SessionStore = a.Store
	var dedupe chatstate.Deduper = a.Store
	var locker chatstate.Locker = chatstate.NewLocalLocker()
	var sweep func(context.Context) (int64, error) = a.Store.Sweep
	var limiter chatstate.Limiter
	if cfg.MsgsPerSecond > 0 {
		limiter = chatstate.NewLocalLimiter(cfg.MsgsPerSecond, cfg.msgBurst(), nil)
	}
	a.webHistory = a.Store
	if cfg.LimitNewWebIDs > 0 {
		a.newWebIDs = chatstate.NewLocalWindowLimiter(cfg.LimitNewWebIDs, time.Minute, a.Shop.Now)
	}
	if cfg.RedisURL != "" {
		client, err := redis.Open(ctx, cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, func() { client.Close() })
		a.redis = client
		dropOpts.Gate = redis.NewGate(client, cfg.RedisPrefix)
		rs := redis.New(client, cfg.RedisPrefix)
		sessions, dedupe, locker, sweep = rs, rs, rs, a.Store.PruneInbox
		if cfg.MsgsPerSecond > 0 {
			limiter = redis.NewLimiter(client, cfg.RedisPrefix, cfg.MsgsPerSecond, cfg.msgBurst())
		}
		// The conversation is rebuildable state, like the session: Redis,
		// gone 30 idle days after its last message without a sweep.
		a.webHistory = rs.WebHistory(WebRetention)
		if cfg.LimitNewWebIDs > 0 {
			a.newWebIDs = rs.WindowLimiter("newwebid", cfg.LimitNewWebIDs, time.Minute, a.Shop.Now)
		}
		a.ready = append(a.ready, check{"redis", rs.Ping})
		log.Info("redis connected", "addr", redisAddr(client))
	}

	// Pictures of listings never published, and expired staff login links
	// and sessions, go with the periodic sweep.
	storeSweep := sweep
	sweep = func(ctx context.Context) (int64, error) {
		n, err := storeSweep(ctx)
		if err != nil {
			return n, err
		}
		m, err := a.seller.PruneImages(ctx)
		if m > 0 {
			log.InfoContext(ctx, "pruned unused uploaded pictures", "count", m)
		}
		if err != nil {
			return n + m, err
		}
		k, err := a.staff.Prune(ctx) // expired staff login links and sessions
		if err != nil {
			return n + m + k, err
		}
		l, err := a.persons.Prune(ctx) // spent link codes and old wrong guesses
		return n + m + k + l, err
	}

	dialect := "sqlite"
	if cfg.Postgres() {
		dialect = "postgres"
	}
	a.drops = commerce.NewDropService(dropOpts)
	if err := a.openPayments(); err != nil {
		return nil, err
	}
	riverLog := log
	if !log.Enabled(ctx, slog.LevelDebug) {
		riverLog = slog.New(quietHandler{log.Handler(), slog.LevelWarn})
	}
	if a.queue, err = jobs.New(ctx, jobs.Options{DB: a.Store.DB(), Dialect: dialect, Shop: a.Shop, Log: riverLog,
		Pickup: a.pickup, Drops: a.drops, Restock: true, Deliver: deliverer{a}, Admins: cfg.Admins, Desk: a.desk,
		Render: func(ctx context.Context, n bot.Notice) ([]bot.Reply, error) { return a.Router.RenderNotice(ctx, n) },
		Route:  func(ctx context.Context, n bot.Notice) (bot.Notice, error) { return a.Router.NoticeTarget(ctx, n) },
		Sweep:  sweep, PollInterval: cfg.JobPollInterval, Broadcast: a.broadcastOptions(),
		Retention: a.purgeWebIdentities, Payments: a.payments, ReconcileInterval: cfg.payReconcileEvery}); err != nil {
		return nil, err
	}
	a.Store.SetOnEvent(a.queue.OnEvent)

	if cfg.SeedDemo {
		if err := a.seedIfEmpty(ctx); err != nil {
			return nil, err
		}
		a.setup.Forget() // read before the seed wrote the demo's profile
	}
	texts, err := templates.Load()
	if err != nil {
		return nil, err
	}
	if err := a.openPayPages(texts); err != nil {
		return nil, err
	}
	if a.posts, err = a.newGroupPosts(locker, texts); err != nil {
		return nil, err
	}
	a.Router = bot.NewRouter(bot.Options{
		Shop: a.Shop, Pickup: a.pickup, Admins: cfg.Admins, Sessions: sessions, Dedupe: dedupe, Locker: locker, Texts: texts, Log: log,
		Events: a.metrics.event, DecodeQR: qrscan.Decode, Seller: a.seller, GroupPosts: a.posts, Audience: a.Store, Broadcasts: a.Store,
		Drops: a.drops, TimeZone: cfg.zone(), DropLinks: dropPages{a}.links, Persons: a.persons, LinkPages: a.linkPages,
		Questions: a.questions,
		LogKey:    bot.LogIDKey(a.secret), Limiter: limiter, Setup: a.setup, SetupWizard: !cfg.SeedDemo,
		Restock:     commerce.NewRestock(a.Store, cfg.clock, 0),
		ConsoleLink: a.consoleLink, Desk: a.desk,
		Payments: a.payments, PayPage: a.PayPage,
	})
	staffKey, err := a.key(ctx, cfg.StaffKey, staffKeySetting)
	if err != nil {
		return nil, err
	}
	if a.staff, err = staff.New(staff.Options{Pickup: a.pickup, Payments: a.payments, Texts: texts, Key: staffKey, Store: a.Store, Proxies: cfg.TrustedProxies,
		LogKey:    bot.LogIDKey(a.secret),
		PublicURL: cfg.PublicURL, Log: log, Secure: strings.HasPrefix(cfg.PublicURL, "https://")}); err != nil {
		return nil, err
	}
	if err := a.openConsole(ctx, texts); err != nil {
		return nil, err
	}
	if cfg.WeChat.AppID != "" {
		if err := a.openWeChat(); err != nil {
			return nil, err
		}
	}
	if cfg.Telegram.Token != "" {
		if err := a.openTelegram(ctx); err != nil {
			return nil, err
		}
	}
	a.handler = a.routes()
	return a, nil
}

func (a *App) openTelegram(ctx context.Context) error {
	c := a.cfg.Telegram
	var limits telegram.SendLimits
	if a.cfg.Tuning.TelegramLimits != nil {
		limits = *a.cfg.Tuning.TelegramLimits
	}
	tg, err := telegram.New(ctx, telegram.Options{Limits: limits, Clock: a.cfg.telegramClock, Sleep: a.cfg.telegramSleep,
		Token: c.Token, APIEndpoint: c.APIEndpoint, WebhookSecret: c.WebhookSecret, PublicURL: a.cfg.PublicURL,
		PaymentProviderToken: c.PaymentToken,
		Mode:                 c.Mode, Router: a.Router, Log: a.log, OnEvent: a.metrics.platformEvent("telegram"), ImageBytes: a.telegramImage,
		OnReachable: func(ctx context.Context, chatID int64, reachable bool) {
			a.log.InfoContext(ctx, "telegram chat reachability changed", "chat", a.logChat(chatID), "reachable", reachable)
			a.markReachable(ctx, chatID, reachable)
		},
	})
	if err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	a.tg = tg
	a.posts.SetPoster(bot.ChannelTelegram, tg)
	a.log.Info("telegram enabled", "bot", tg.Username(), "mode", tg.Mode())
	return nil
}

// startTelegram registers the webhook (or starts long polling) and the
// command menu. Polling runs until ctx ends; wait for the returned channel.
func (a *App) startTelegram(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if a.tg == nil {
		close(done)
		return done
	}
	if err := a.tg.SetCommands(ctx); err != nil {
		a.log.Warn("telegram setMyCommands failed", "err", err)
	}
	if a.tg.Mode() == telegram.ModeWebhook {
		if err := a.tg.SetWebhook(ctx); err != nil {
			a.log.Error("telegram setWebhook failed: updates will not arrive", "err", err)
		}
		close(done)
		return done
	}
	go func() {
		defer close(done)
		if err := a.tg.Poll(ctx); err != nil {
			a.log.Error("telegram polling stopped", "err", err)
		}
	}()
	return done
}

func (a *App) openWeChat() error {
	c := a.cfg.WeChat
	// With Redis, every replica shares the token, the numbered options a user
	// was shown and the customer-service windows.
	var cache wechat.TokenCache
	var choices wechat.ChoiceStore
	var windows wechat.WindowStore
	if a.redis != nil {
		cache = redis.NewWeChatCache(a.redis, a.cfg.RedisPrefix)
		choices = redis.NewWeChatChoices(a.redis, a.cfg.RedisPrefix, nil)
		windows = redis.NewWeChatWindows(a.redis, a.cfg.RedisPrefix, wechat.KFWindow)
	}
	w, err := wechat.New(wechat.Options{
		AppID: c.AppID, AppSecret: c.Secret, Token: c.Token, AESKey: c.AESKey, APIBase: c.APIBase,
		Plaintext: c.Plaintext, PublicURL: a.cfg.PublicURL, Router: a.Router, Log: a.log, TokenCache: cache,
		Choices: choices, Windows: windows,
		OnEvent: a.metrics.platformEvent("wechat"),
	})
	if err != nil {
		return fmt.Errorf("wechat: %w", err)
	}
	a.wechat = w
	a.log.Info("wechat enabled", "config", c.String())
	return nil
}

func redisAddr(c goredis.UniversalClient) string {
	if cl, ok := c.(*goredis.Client); ok {
		return cl.Options().Addr
	}
	return "cluster"
}

func (a *App) openDatabase(ctx context.Context) error {
	if a.cfg.Postgres() {
		db, err := postgres.Open(ctx, a.cfg.DatabaseURL, postgres.PoolOptions{MaxConns: a.cfg.DBMaxConns})
		if err != nil {
			return err
		}
		a.closers = append(a.closers, db.Close)
		if err := postgres.Migrate(ctx, db.SQL); err != nil {
			return err
		}
		a.Store = postgres.New(db.SQL, sqlstore.Options{})
		a.ready = append(a.ready, check{"database", db.Pool.Ping})
		a.log.Info("database ready", "kind", "postgres", "max_conns", db.Pool.Config().MaxConns)
		return nil
	}
	db, err := sqlite.Open(ctx, a.cfg.SQLitePath())
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() { db.Close() })
	if err := sqlite.Migrate(ctx, db); err != nil {
		return err
	}
	a.Store = sqlite.New(db, sqlstore.Options{})
	a.ready = append(a.ready, check{"database", db.PingContext})
	a.log.Info("database ready", "kind", "sqlite", "path", a.cfg.SQLitePath())
	return nil
}

func (a *App) seedIfEmpty(ctx context.Context) error {
	n, err := a.Store.CountProducts(ctx)
	if err != nil || n > 0 {
		return err
	}
	if err := demo.Seed(ctx, a.Store); err != nil {
		return fmt.Errorf("seed demo catalog: %w", err)
	}
	a.log.Info("seeded the demo catalog into the empty database", "products", len(demo.Products()))
	return nil
}

// Handler is the HTTP interface of the app.
func (a *App) Handler() http.Handler { return a.handler }

// Telegram is the Telegram adapter; nil when Telegram is off.
func (a *App) Telegram() *telegram.Adapter { return a.tg }

// Redis is the Redis client; nil on the embedded default.
func (a *App) Redis() goredis.UniversalClient { return a.redis }

// Jobs is the job queue; Serve starts and stops it, a command that works
// the queue itself (broadcast send -wait, the benchmarks) does so.
func (a *App) Jobs() *jobs.Queue { return a.queue }

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	wo := web.Options{Router: a.Router, Log: a.log, Inbox: a.Store, QR: a.pickupQR(a.secret),
		Image: func(key string) ([]byte, error) { return demo.RenderImage(key, 640) },
		Upload: func(ctx context.Context, file string) ([]byte, string, error) {
			img, err := a.seller.Image(ctx, file)
			return img.Data, img.ContentType, err
		},
		Keys: a.webKeys, Secure: strings.HasPrefix(a.cfg.PublicURL, "https://"), Now: a.Shop.Now,
		ClientAddr: a.cfg.TrustedProxies.Addr, Visitors: a.Store, History: a.webHistory,
		NewIdentities: a.newWebIDs, LinkWeChat: a.linkWeChat,
	}
	if a.wechat != nil {
		wo.WeChat = &web.WeChatLogin{AppID: a.wechat.AppID(), AuthorizeBase: a.cfg.WeChat.OAuthBase,
			CallbackURL: a.cfg.PublicURL + web.WeChatCallbackPath, Exchange: a.wechat.OAuthOpenID}
	}
	wh := web.New(wo)
	wh.Register(mux)
	pages := dropPages{a}
	wh.RegisterDrops(mux, pages, pages.poster)
	mux.HandleFunc("GET /d/{code}/qr.png", func(w http.ResponseWriter, r *http.Request) {
		png, err := pages.qr(r.Context(), r.PathValue("code"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(png)
	})
	a.staff.Register(mux)
	a.console.Register(mux)
	mux.HandleFunc("GET /b/{name}", a.broadcastImage)
	mux.HandleFunc("GET /link/{code}/qr.png", a.linkQR)
	a.registerPay(mux)
	if a.wechat != nil {
		a.wechat.Register(mux)
	}
	if a.tg != nil {
		a.tg.Register(mux)
	}
	return a.middleware(mux)
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{}
	code := http.StatusOK
	for _, c := range a.ready {
		if err := c.ping(ctx); err != nil {
			status[c.name] = "unreachable"
			code = http.StatusServiceUnavailable
			a.log.WarnContext(ctx, "readiness check failed", "check", c.name, "err", err)
		} else {
			status[c.name] = "ok"
		}
	}
	writeJSON(w, code, status)
}

// ListenMetrics opens the listener of /metrics at SHOPBOT_METRICS_ADDR
// (Config.MetricsAddr; port 0 picks a free port) and returns it, or nil
// when metrics are off. Serve serves /metrics on it, and opens it itself
// when it was not opened before; call it first to learn the address. The
// public listener never serves /metrics: the figures (orders, errors,
// traffic) are for the operator.
func (a *App) ListenMetrics() (net.Listener, error) {
	if a.metricsLn != nil || a.cfg.MetricsAddr == "" {
		return a.metricsLn, nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (SHOPBOT_METRICS_ADDR): %w", a.cfg.MetricsAddr, err)
	}
	a.metricsLn = ln
	return ln, nil
}

// metricsServer serves GET /metrics on ln.
func (a *App) metricsServer(ctx context.Context) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.handler())
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// Serve starts the job queue and serves HTTP on ln (and /metrics on the
// metrics listener, see ListenMetrics) until ctx ends, then shuts down
// gracefully: in-flight requests finish, running jobs finish, stores close.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	mln, err := a.ListenMetrics()
	if err != nil {
		return err
	}
	if err := a.queue.Start(ctx); err != nil {
		if mln != nil {
			mln.Close()
		}
		return fmt.Errorf("start jobs: %w", err)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	// What the start left behind (migrations, the demo's seed, parsed
	// templates' garbage) goes back to the OS before serving: a fresh
	// shop idles in less memory.
	debug.FreeOSMemory()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("shopbot is serving", "web_chat", "http://"+ln.Addr().String()+"/", "public_url", a.cfg.PublicURL)
	var msrv *http.Server
	if mln != nil {
		msrv = a.metricsServer(ctx)
		go func() { errc <- msrv.Serve(mln) }()
		a.log.Info("metrics are served apart from the public listener", "metrics", "http://"+mln.Addr().String()+"/metrics")
	} else {
		a.log.Info("metrics are off (SHOPBOT_METRICS_ADDR=off)")
	}
	pctx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	polling := a.startTelegram(pctx)
	posting := make(chan struct{})
	go func() {
		defer close(posting)
		a.posts.Run(pctx) // drop posts in groups follow their drops
	}()
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		a.log.Info("shutting down: finishing in-flight work")
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	stopPolling()
	select { // long polling finishes the batch in hand
	case <-polling:
	case <-sctx.Done():
	}
	select { // an edit in progress finishes
	case <-posting:
	case <-sctx.Done():
	}
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("http shutdown", "err", err)
	}
	if msrv != nil {
		if err := msrv.Shutdown(sctx); err != nil {
			a.log.Warn("metrics http shutdown", "err", err)
		}
	}
	if a.wechat != nil {
		if err := a.wechat.Shutdown(sctx); err != nil { // replies still being sent as kf messages
			a.log.Warn("wechat shutdown", "err", err)
		}
	}
	if err := a.queue.Stop(sctx); err != nil {
		a.log.Warn("job queue shutdown", "err", err)
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// Close releases every connection.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// linkWeChat makes a web identity that signed in with WeChat (OAuth, so
// the openid is WeChat's word) the same person as that WeChat follower:
// orders, limits and payments then see one buyer. Tests may replace it
// (Config.linkWeChat).
func (a *App) linkWeChat(ctx context.Context, webID, openID string) error {
	if a.cfg.linkWeChat != nil {
		return a.cfg.linkWeChat(ctx, webID, openID)
	}
	_, err := a.persons.Link(ctx, commerce.Identity(bot.ChannelWeb+":"+webID), commerce.Identity(bot.ChannelWeChat+":"+openID))
	return err
}
