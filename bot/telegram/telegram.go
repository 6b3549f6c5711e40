// Package telegram is the Telegram adapter: Bot API updates in (webhook or
// long polling), bot.Router replies out (inline keyboards, message edits,
// photo cards), on go-telegram-bot-api v5.
//
// # Receiving
//
// The webhook (POST /telegram/webhook) checks X-Telegram-Bot-Api-Secret-Token
// in constant time (401 and only a counter otherwise), reads at most 1 MiB
// (413), parses exactly one JSON update (400), waits until a typed
// message's chat could take a reply (admit; when Telegram hangs up first
// the update is not routed and Telegram delivers it again), then processes
// it synchronously — the router under ProcessTimeout, the replies as soon
// as the rate limiter lets them out, detached from the request — and
// answers 200. Synchronous processing gives Telegram's own
// delivery (max_connections, default 40) as backpressure, needs no queue or
// background goroutines to drain at shutdown, and loses nothing when the
// process dies mid-update: Telegram redelivers anything not acknowledged and
// the router's de-duplication (update_id, "cb:"+callback id) makes a
// redelivery harmless. Once an update is parsed the answer is always 200:
// ignored updates, duplicates and messages over the sender's limit need
// nothing more, and when the router fails on our side (the database down)
// it has already produced a localized "try again" reply, which is sent
// instead of answering 5xx. A 5xx would make Telegram redeliver on its own
// schedule (backing off for up to 24 h), hold the chat's later updates
// behind this one, and slow its deliveries to the whole bot while errors
// go on: the user would hear nothing during an outage, and a failure that
// does not pass (a bug) would silence the chat. Telegram is asked to
// redeliver (503) only for an update that was not looked at: when it hung
// up before admit let it through — and for a successful payment the router
// could not record (money moved and Telegram cannot be asked about it
// later; see payments.go).
//
// # Payments
//
// Telegram Payments for physical goods (payments.go): a reply's Invoice
// goes out as sendInvoice with Options.PaymentProviderToken after the
// reply's text; a pre_checkout_query is answered inline from
// Router.PreCheckout within PreCheckoutTimeout (Telegram waits 10 s); a
// successful_payment is routed as a message with Paid.
//
// A photo (or a PNG/JPEG sent as a file) in a private chat is downloaded
// before routing — getFile, then the file endpoint beside APIEndpoint,
// within DownloadTimeout and bot.MaxPhotoBytes — and handed over as
// Message.Photo (staff photograph a buyer's pickup QR). A failed download
// is answered with the router's "try again" text.
//
// Long polling (Poll) is for development and single-replica setups: it
// deletes the webhook, then processes each getUpdates batch (chats in
// parallel, each chat in order) before confirming it with the next offset;
// a burst waits at Telegram, and at shutdown what was not started stays
// unconfirmed (see Poll).
//
// # Sending
//
// Everything goes through one Sender (see Sender and SendLimits): sends and
// edits reserve a slot in exact sliding windows (global, per chat) under a
// mutex and sleep until it, so concurrent senders never exceed a limit and
// one slow chat does not hold the others back. A waiter whose context ends
// gives its slot back. Replies wait for their slots however long the queue
// is — in a busy group up to a minute (20/min) — rather than being dropped.
//
// # Keyboards
//
// Router buttons become inline keyboards. Two replies are adapted to the
// chat. A reply with AskPhone in a private chat offers a one-time reply
// keyboard with a single request_contact button ("share my phone number",
// in the reply's language): on the reply's last message when it has no
// inline buttons, else on a short message right after it, since a message
// carries either kind of keyboard, not both. When the contact arrives, the
// replies remove that keyboard (see replyKeyboard). In groups, a checkout
// button (action "co") becomes a URL button to the bot's private chat
// (https://t.me/<bot>, no start payload; see forChat), because checkout
// only continues in private.
//
// # Testing and benchmarks
//
// Package telegramtest holds the fake Bot API these tests use, update
// builders and the drivers behind the benchmarks (also used by the app's
// bench command).
//
//	go test -run '^$' -bench . ./bot/telegram
//
// BenchmarkWebhook drives updates (texts and button presses of many users)
// through the webhook handler, a real router on SQLite and the fake Bot
// API, reporting updates/s and ack latency p50/p99. BenchmarkSender drives
// concurrent sends through the Sender on a simulated clock and reports the
// achieved rate as a fraction of the configured limit and the violations
// the fake Bot API saw (must be 0); TestSenderRealTime does the same for two
// seconds of real time at the default limits.
package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
)

// Modes of receiving updates.
const (
	ModeWebhook = "webhook"
	ModePolling = "polling"
)

// WebhookPath is where Register serves the webhook.
const WebhookPath = "/telegram/webhook"

// MaxWebhookBody is the largest accepted webhook request body.
const MaxWebhookBody = 1 << 20

// secretHeader carries setWebhook's secret_token on every delivery.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// AllowedUpdates are the update types requested from Telegram.
var AllowedUpdates = []string{"message", "channel_post", "callback_query", "my_chat_member", "pre_checkout_query"}

// Event names passed to Options.OnEvent (metrics counters).
const (
	EventUpdate        = "update"         // an authenticated, well-formed update
	EventUnauthorized  = "unauthorized"   // webhook call without the right secret
	EventBadRequest    = "bad_request"    // malformed or oversized webhook body
	EventIgnored       = "ignored"        // update not for the router (edited, sticker, group chatter …)
	EventDuplicate     = "duplicate"      // update the router had seen
	EventLimited       = "limited"        // update over its sender's message limit, not handled
	EventSendOK        = "send_ok"        // a Bot API request succeeded
	EventSendFailed    = "send_failed"    // a Bot API request finally failed (logged)
	EventRetry429      = "send_retry_429" // a 429 waited out
	EventRetry         = "send_retry"     // a 5xx or network error retried
	EventBlocked       = "blocked"        // 403 or my_chat_member: chat unreachable
	EventUnblocked     = "unblocked"      // my_chat_member: chat reachable again
	EventButtonDropped = "button_dropped" // button not representable (callback_data > 64 bytes …)
	EventEditFallback  = "edit_fallback"  // edit refused, new message sent
	EventEditUnchanged = "edit_unchanged" // edit left out or answered "not modified": the message already showed it
	EventPhotoFallback = "photo_fallback" // photo refused, text sent
	EventPhotoFailed   = "photo_failed"   // a photo sent to the bot could not be downloaded
	EventPanic         = "panic"          // processing an update panicked (recovered, logged)
)

// Options configures the adapter.
type Options struct {
	Token string
	// APIEndpoint is the Bot API URL pattern with %s for the token and the
	// method, as in the library; default tgbotapi.APIEndpoint.
	APIEndpoint string
	// WebhookSecret is setWebhook's secret_token (MinWebhookSecret–256 of
	// A-Z a-z 0-9 _ -); required in webhook mode. Without it every webhook call gets 401.
	WebhookSecret string
	// PublicURL is the public base URL: the webhook is registered under it
	// and reply images ("/img/…") are sent as photos by URL on it. When it
	// is empty or names a loopback/private host, Telegram cannot fetch
	// them: they are uploaded with ImageBytes, or left out without it.
	PublicURL string
	// ImageBytes returns the bytes and content type of a reply's
	// site-relative picture ("/img/…", "/qr/…", "/b/…"), as the site
	// serves it. Used when Telegram cannot fetch PublicURL: each picture is
	// then uploaded once and its file_id reused (see pictures.go).
	// Optional.
	ImageBytes func(ctx context.Context, url string) (data []byte, contentType string, err error)
	// Mode is ModeWebhook or ModePolling; default webhook when PublicURL is
	// https, else polling.
	Mode   string
	Router *bot.Router
	Log    *slog.Logger
	// HTTPClient talks to the Bot API; default a client without a global
	// timeout (each request gets its own deadline) that keeps up to 64 idle
	// connections to the API.
	HTTPClient *http.Client
	Limits     SendLimits
	// Clock and Sleep drive the Sender's rate limiting and retries; tests
	// inject fakes. Defaults time.Now and a context-aware timer.
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// OnEvent counts what happened (the Event… names).
	OnEvent func(name string)
	// OnReachable is told when a chat becomes unreachable (403, bot blocked
	// or removed) or reachable again (my_chat_member). Optional.
	OnReachable func(ctx context.Context, chatID int64, reachable bool)
	// ProcessTimeout bounds routing one update (the router, and the
	// download of a photo sent to the bot); default 10 s. Sending the
	// replies is not bounded by it: they wait for their rate-limiter slots
	// however long the queue in front of them is (each request has
	// RequestTimeout and bounded retries). It is also the time updates in
	// progress get to finish when polling stops.
	ProcessTimeout time.Duration
	// RequestTimeout bounds one Bot API request; default 30 s.
	RequestTimeout time.Duration
	// PollTimeout is getUpdates' long-poll timeout; default 30 s.
	PollTimeout time.Duration
	// DownloadTimeout bounds fetching a photo sent to the bot (getFile and
	// the file itself); default 8 s, within ProcessTimeout.
	DownloadTimeout time.Duration
	// PaymentProviderToken is the payment provider's token of Telegram
	// Payments (TELEGRAM_PAYMENT_PROVIDER_TOKEN): replies with an Invoice
	// are sent as invoices with it. Empty: they are sent as their text
	// only. A secret: never logged.
	PaymentProviderToken string
	// PreCheckoutTimeout bounds answering a pre-checkout query, the
	// router's check included; default 8 s (Telegram waits 10).
	PreCheckoutTimeout time.Duration
}

// Adapter connects one Telegram bot to the router.
type Adapter struct {
	o          Options
	bot        *tgbotapi.BotAPI // template: api(ctx) copies it per call
	http       *http.Client
	log        *slog.Logger
	secret     []byte
	publicBase string // "" = no photos
	// fileEndpoint is the file download pattern (token, file path); ""
	// when it cannot be derived from the API endpoint.
	fileEndpoint string
	username     string
	botID        int64
	mentionRe    *regexp.Regexp
	sender       *Sender
	pics         *pictures // file_ids of uploaded pictures
	noToken      sync.Once // logs the missing payment provider token once
}

// New checks the options and the token (the library calls getMe).
func New(ctx context.Context, o Options) (*Adapter, error) {
	if o.Token == "" {
		return nil, errors.New("telegram: token missing")
	}
	if o.Router == nil {
		return nil, errors.New("telegram: router missing")
	}
	if o.APIEndpoint == "" {
		o.APIEndpoint = tgbotapi.APIEndpoint
	}
	if strings.Count(o.APIEndpoint, "%s") != 2 || strings.Count(o.APIEndpoint, "%") != 2 {
		return nil, errors.New("telegram: API endpoint must contain %s twice (token, method)")
	}
	if o.Mode == "" {
		o.Mode = ModePolling
		if strings.HasPrefix(o.PublicURL, "https://") {
			o.Mode = ModeWebhook
		}
	}
	switch o.Mode {
	case ModeWebhook:
		if !secretRe.MatchString(o.WebhookSecret) {
			return nil, fmt.Errorf("telegram: webhook mode needs a webhook secret of %d–256 characters A-Z a-z 0-9 _ -", MinWebhookSecret)
		}
		if !strings.HasPrefix(o.PublicURL, "https://") {
			return nil, errors.New("telegram: webhook mode needs an https public URL")
		}
	case ModePolling:
		if o.WebhookSecret != "" && !secretRe.MatchString(o.WebhookSecret) {
			return nil, fmt.Errorf("telegram: webhook secret must be %d–256 characters A-Z a-z 0-9 _ -", MinWebhookSecret)
		}
	default:
		return nil, fmt.Errorf("telegram: mode %q is neither webhook nor polling", o.Mode)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		// Replies and jobs send in parallel: keep their connections instead
		// of the default transport's 2 idle ones per host, so a burst does
		// not dial (and TLS-handshake) anew for every request.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		o.HTTPClient = &http.Client{Transport: t}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.ProcessTimeout <= 0 {
		o.ProcessTimeout = 10 * time.Second
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 30 * time.Second
	}
	if o.DownloadTimeout <= 0 {
		o.DownloadTimeout = 8 * time.Second
	}
	if o.PreCheckoutTimeout <= 0 {
		o.PreCheckoutTimeout = defaultPreCheckoutTimeout
	}
	o.Limits = o.Limits.withDefaults()
	a := &Adapter{o: o, http: o.HTTPClient, log: o.Log, secret: []byte(o.WebhookSecret), publicBase: publicPhotoBase(o.PublicURL),
		fileEndpoint: fileEndpointFor(o.APIEndpoint), pics: newPictures()}
	if a.fileEndpoint == "" {
		o.Log.WarnContext(ctx, "telegram: API endpoint does not end in /bot%s/%s; photos sent to the bot will not be read")
	}
	botScrub, payScrub := tokenScrubber(o.Token).scrub, tokenScrubber(o.PaymentProviderToken).scrub
	scrub := func(err error) error { return payScrub(botScrub(err)) }

	gctx, cancel := context.WithTimeout(ctx, o.RequestTimeout)
	defer cancel()
	api, err := tgbotapi.NewBotAPIWithClient(o.Token, o.APIEndpoint, ctxClient{ctx: gctx, c: o.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("telegram getMe: %w", scrub(err))
	}
	api.Debug = false // the library's debug log prints request params
	a.bot, a.username, a.botID = api, api.Self.UserName, api.Self.ID
	if !usernameRe.MatchString(a.username) {
		return nil, errors.New("telegram getMe: bot has no valid username")
	}
	a.mentionRe = regexp.MustCompile(`(?i)@` + regexp.QuoteMeta(a.username) + `\b`)
	a.sender = &Sender{
		api: a.api, lim: newLimiter(o.Limits), cfg: o.Limits, now: o.Clock, sleep: o.Sleep,
		log: o.Log, event: a.event, reach: o.OnReachable, scrub: scrub, timeout: o.RequestTimeout, logChat: a.logChat,
	}
	return a, nil
}

// logChat is how logs name a chat: a group or channel (a negative id) by
// its id, a private chat — whose id is its user's — by the router's LogID
// of it, so no Telegram user id is written to the logs.
func (a *Adapter) logChat(id int64) string {
	if id < 0 {
		return strconv.FormatInt(id, 10)
	}
	return a.o.Router.LogID(strconv.FormatInt(id, 10))
}

// api returns the client bound to ctx (see ctxClient).
func (a *Adapter) api(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.bot
	b.Client = ctxClient{ctx: ctx, c: a.http}
	return &b
}

func (a *Adapter) event(name string) {
	if a.o.OnEvent != nil {
		a.o.OnEvent(name)
	}
}

// Mode is ModeWebhook or ModePolling.
func (a *Adapter) Mode() string { return a.o.Mode }

// Username is the bot's @username (without "@"), from getMe.
func (a *Adapter) Username() string { return a.username }

// DeepLink is DeepLink for this bot.
func (a *Adapter) DeepLink(payload string) (string, error) { return DeepLink(a.username, payload) }

// Sender is the adapter's rate-limited sender, for background jobs.
func (a *Adapter) Sender() *Sender { return a.sender }

// Register adds POST /telegram/webhook to mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+WebhookPath, a.webhook)
}

func (a *Adapter) webhook(w http.ResponseWriter, r *http.Request) {
	got := r.Header.Get(secretHeader)
	if len(a.secret) == 0 || subtle.ConstantTimeCompare([]byte(got), a.secret) != 1 {
		a.event(EventUnauthorized)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	u, status := decodeUpdate(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if status != 0 {
		a.event(EventBadRequest)
		http.Error(w, http.StatusText(status), status)
		return
	}
	if a.admit(r.Context(), &u) != nil {
		// Telegram hung up while the chat's earlier replies were still
		// queued: the update was not routed, and is delivered again.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if a.process(context.WithoutCancel(r.Context()), &u) {
		// A payment the router could not record: Telegram delivers it
		// again (see payments.go).
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// decodeUpdate reads exactly one JSON update; status is 413 for a body over
// the limit and 400 for anything else wrong.
func decodeUpdate(body io.Reader) (tgbotapi.Update, int) {
	var u tgbotapi.Update
	dec := json.NewDecoder(body)
	err := dec.Decode(&u)
	if err == nil {
		if extra := dec.Decode(&struct{}{}); extra != io.EOF {
			err = extra
			if err == nil {
				err = errors.New("more than one JSON value")
			}
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return u, http.StatusRequestEntityTooLarge
	case err != nil || u.UpdateID <= 0:
		return u, http.StatusBadRequest
	}
	return u, 0
}

// process handles one update: callback answered, converted, routed,
// replies rendered. Routing (the photo download included) runs under
// ProcessTimeout; the replies then wait for their rate-limiter slots as
// long as the queue in front of them takes, until ctx ends: a reply is not
// dropped because many others go first. It never panics (a panic is
// logged and counted): a poison update must not make Telegram redeliver it
// for a day. A pre-checkout query is answered inline (preCheckout).
// redeliver is true only for a successful payment the router failed to
// record (the database down): nothing was sent, and Telegram is to deliver
// it again.
func (a *Adapter) process(ctx context.Context, u *tgbotapi.Update) (redeliver bool) {
	defer func() {
		if p := recover(); p != nil {
			a.event(EventPanic)
			a.log.ErrorContext(ctx, "telegram update panicked", "update_id", u.UpdateID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	a.event(EventUpdate)
	if u.MyChatMember != nil {
		a.chatMember(ctx, u.MyChatMember)
		return false
	}
	if u.PreCheckoutQuery != nil {
		a.preCheckout(ctx, u.PreCheckoutQuery)
		return false
	}
	// A pressed button's spinner stops whatever happens (duplicates and
	// errors included): right after routing, with the reply's toast if it
	// has one, in parallel with sending the replies.
	var wg sync.WaitGroup
	defer wg.Wait()
	answer := func(string) {}
	if cb := u.CallbackQuery; cb != nil && cb.ID != "" {
		answered := false
		answer = func(toast string) {
			if !answered {
				answered = true
				wg.Go(func() { a.answerCallback(ctx, cb.ID, toast) })
			}
		}
		defer answer("")
	}
	in, why := a.convert(u)
	if why != "" {
		a.event(EventIgnored)
		a.log.DebugContext(ctx, "telegram update ignored", "update_id", u.UpdateID, "reason", why)
		return false
	}
	if in.msg.Paid != nil {
		a.event(EventPaymentReceived)
	}
	replies, routed, err := a.route(ctx, &in)
	if !routed {
		return false
	}
	switch {
	case errors.Is(err, bot.ErrDuplicate):
		a.event(EventDuplicate)
		return false
	case err != nil && in.msg.Paid != nil && !errors.Is(err, bot.ErrSlowDown):
		// Money moved and is not recorded: no "try again" to the buyer
		// (they must not pay twice); Telegram delivers it again.
		a.event(EventPaymentRetry)
		a.log.ErrorContext(ctx, "telegram payment not recorded; asking for redelivery", "update_id", u.UpdateID, "chat", a.logChat(in.chatID), "err", err)
		return true
	case errors.Is(err, bot.ErrSlowDown):
		// Over the sender's limit: not handled; the first of a flood is
		// told to slow down (sent below), the others get nothing.
		a.event(EventLimited)
	case err != nil:
		// Failed on our side: the router turned it into a localized "try
		// again" reply, sent below, and the update is acknowledged (see
		// the package comment for why Telegram is not asked to redeliver).
		a.log.ErrorContext(ctx, "telegram update failed", "update_id", u.UpdateID, "chat", a.logChat(in.chatID), "err", err)
	}
	answer(toastOf(replies))
	a.render(ctx, in, replies)
	return false
}

// route hands in to the router under ProcessTimeout, after downloading
// its photo. routed is false when the download failed (the user was told).
func (a *Adapter) route(ctx context.Context, in *incoming) (replies []bot.Reply, routed bool, err error) {
	rctx, cancel := context.WithTimeout(ctx, a.o.ProcessTimeout)
	defer cancel()
	if in.photo.fileID != "" && !a.withPhoto(rctx, ctx, in) {
		return nil, false, nil
	}
	replies, err = a.o.Router.Handle(rctx, in.msg)
	return replies, true, err
}

// toastOf is the first toast among replies (one notification per press).
func toastOf(replies []bot.Reply) string {
	for _, r := range replies {
		if r.Toast != "" {
			return r.Toast
		}
	}
	return ""
}

// maxToastLen is answerCallbackQuery's text limit, in characters.
const maxToastLen = 200

func (a *Adapter) answerCallback(ctx context.Context, id, toast string) {
	toast, _ = cutText(clean(toast), maxToastLen)
	c := tgbotapi.NewCallback(id, toast)
	// Tolerant: a redelivered callback is "query is too old" (400).
	_, _ = a.sender.run(ctx, call{method: "answerCallbackQuery", tolerant: true,
		do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(c) }})
}

// chatMember follows the bot's own membership: blocked/unblocked by a user,
// removed from/added to a group.
func (a *Adapter) chatMember(ctx context.Context, m *tgbotapi.ChatMemberUpdated) {
	reachable := false
	switch m.NewChatMember.Status {
	case "kicked", "left":
		a.event(EventBlocked)
	case "member", "administrator", "creator", "restricted":
		reachable = true
		a.event(EventUnblocked)
	default:
		a.event(EventIgnored)
		return
	}
	a.log.InfoContext(ctx, "telegram chat membership changed", "chat", a.logChat(m.Chat.ID), "status", m.NewChatMember.Status)
	if a.o.OnReachable != nil && m.Chat.ID != 0 {
		a.o.OnReachable(ctx, m.Chat.ID, reachable)
	}
}

// SetWebhook registers PublicURL + /telegram/webhook with the secret token
// and AllowedUpdates. The library predates secret_token, so the call is made
// with raw params.
func (a *Adapter) SetWebhook(ctx context.Context) error {
	if len(a.secret) == 0 {
		return errors.New("telegram: setWebhook needs a webhook secret")
	}
	base := strings.TrimRight(a.o.PublicURL, "/")
	if !strings.HasPrefix(base, "https://") {
		return errors.New("telegram: setWebhook needs an https public URL")
	}
	allowed, _ := json.Marshal(AllowedUpdates)
	_, err := a.sender.Call(ctx, "setWebhook", tgbotapi.Params{
		"url":             base + WebhookPath,
		"secret_token":    string(a.secret),
		"allowed_updates": string(allowed),
	})
	return err
}
