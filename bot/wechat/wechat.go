// Package wechat is the WeChat Official Account adapter: it verifies and
// decrypts callbacks (safe/AES mode by default), turns them into bot.Message,
// renders bot.Reply in WeChat's idiom (numbered options, msgmenu, news cards,
// passive replies within a time budget, customer-service messages after it)
// and calls the Official Account API (stable access token, customer-service
// and template messages, custom menu, parametric QR codes).
//
// From github.com/silenceper/wechat/v2 it uses only the crypto helpers
// (util.Signature, util.AESDecryptMsg, util.EncryptMsg), the message and
// request types, and the cache interface. The callback handler and the HTTP
// calls are its own: the library's server has no timestamp window, no body
// limit and compares signatures in variable time, and its API clients use
// process-global HTTP settings and take no context. The library's root
// package (which switches logrus to debug on stdout) is never imported.
//
// A message that fails on our side (the database down) is answered with
// the router's localized "try again" as the passive reply (HTTP 200), and
// its de-duplication claim is released. WeChat redelivers a callback only
// when no answer came within 5 s (three tries in all); it documents no
// redelivery for an error status, and after its tries it shows the user
// its own Chinese-only "this account cannot serve you now" — so a 5xx
// would swap our words in the user's language for the platform's, for a
// redelivery that is not promised. When our answer is lost (the
// connection broke), WeChat's own retry arrives and, the claim released,
// is handled anew.
package wechat

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"shopbot/bot"
	"shopbot/chatstate"
	"shopbot/templates"
)

// Defaults.
const (
	DefaultAPIBase     = "https://api.weixin.qq.com"
	DefaultQRImageBase = "https://mp.weixin.qq.com"
	// DefaultReplyBudget is how long a callback waits for the router before
	// answering "success" and delivering the replies as customer-service
	// messages; WeChat gives up (and retries) after 5 s.
	DefaultReplyBudget = 4 * time.Second
	// DefaultHandleTimeout bounds a flow that overran the budget and runs on
	// in the background.
	DefaultHandleTimeout = 30 * time.Second
	// MaxBody is the largest callback body accepted (413 beyond).
	MaxBody = 64 << 10
	// TimestampWindow is how far a callback's timestamp may be from our clock.
	TimestampWindow = 5 * time.Minute
	// KFWindow is how long after a user's interaction customer-service
	// messages may be sent.
	KFWindow = 48 * time.Hour
	// ChoicesTTL is how long numbered options stay valid.
	ChoicesTTL = KFWindow
)

// Options configures an Adapter.
type Options struct {
	AppID     string // wx…; decrypted callbacks must carry it
	AppSecret string // for the stable access token; never logged
	Token     string // the callback token configured in the Official Account
	AESKey    string // EncodingAESKey (43 characters); required unless Plaintext
	// APIBase is the Official Account API root, default DefaultAPIBase; tests
	// point it at an httptest fake.
	APIBase string
	// QRImageBase serves showqrcode, default DefaultQRImageBase.
	QRImageBase string
	// PublicURL is this service's public base URL; Reply.Image is relative to
	// it. Without it product cards are sent as text only.
	PublicURL string
	// Plaintext accepts unencrypted callbacks (signature over token,
	// timestamp and nonce only, which does not cover the body). Off by
	// default: use safe mode in production.
	Plaintext bool

	Router     *bot.Router
	Log        *slog.Logger
	HTTPClient *http.Client     // default: 10 s timeout
	Clock      func() time.Time // default time.Now
	// TokenCache holds the access token shared by all replicas (Redis in
	// production); default an in-memory cache.
	TokenCache TokenCache
	// Choices remembers each user's numbered options; default in memory.
	Choices ChoiceStore
	// Windows tracks each user's customer-service window; default in memory.
	Windows WindowStore
	// Templates maps a notification kind to a template id (Notify outside
	// the customer-service window).
	Templates map[string]string
	// OnEvent counts outcomes (the Event… names); it must not block.
	OnEvent func(name string)
	// OnLocation receives the location a user reports (LOCATION event or a
	// location message), for pickup-point suggestions. Optional; it is
	// called inside the callback, so it must return quickly.
	OnLocation func(ctx context.Context, openID string, lat, lng float64)

	ReplyBudget   time.Duration // default DefaultReplyBudget
	HandleTimeout time.Duration // default DefaultHandleTimeout
	// KFQuota is how many customer-service messages a user's own message
	// allows within KFWindow, and KFQuotaEvent the same after a menu click,
	// follow or scan (WeChat allows fewer). Defaults 5 and 3.
	KFQuota, KFQuotaEvent int
}

// Event names reported through Options.OnEvent.
const (
	EventVerified      = "verified"          // URL verification answered
	EventBadRequest    = "bad_request"       // malformed parameters or XML
	EventBadSignature  = "bad_signature"     // signature or msg_signature mismatch
	EventStale         = "stale_timestamp"   // timestamp outside TimestampWindow
	EventTooLarge      = "too_large"         // body over MaxBody
	EventBadCrypto     = "bad_crypto"        // invalid base64, AES block or padding
	EventWrongAppID    = "wrong_appid"       // decrypted message for another app
	EventPlaintext     = "plaintext_refused" // unencrypted callback, Plaintext off
	EventMessage       = "message"           // handed to the router
	EventDuplicate     = "duplicate"         // redelivery of a handled update
	EventIgnored       = "ignored"           // VIEW, unknown events and types
	EventUnsupported   = "unsupported"       // voice, video… (and unreadable images) answered with a fixed text
	EventImageFailed   = "image_failed"      // an image message whose picture could not be downloaded (fixed text)
	EventSubscribe     = "subscribe"
	EventUnsubscribe   = "unsubscribe"
	EventLocation      = "location"
	EventLate          = "late_reply" // router overran the budget: kf delivery
	EventKFSent        = "kf_sent"    // customer-service message sent
	EventKFFailed      = "kf_failed"  // customer-service message refused or failed
	EventKFQuota       = "kf_quota"   // not sent: window closed or quota used up
	EventTemplateSent  = "template_sent"
	EventTemplateFail  = "template_failed"
	EventTokenRefresh  = "token_refresh"  // access token fetched
	EventTokenRejected = "token_rejected" // 40001/42001: refreshed and retried
	EventRouterError   = "router_error"
	EventLimited       = "limited" // a message over its sender's limit, not handled
)

// Adapter is the WeChat Official Account channel. It is safe for concurrent use.
type Adapter struct {
	o       Options
	texts   *templates.Set // the router's: WeChat-only words (wechat.txt)
	aesKey  []byte         // decoded EncodingAESKey; nil in plaintext-only mode
	api     *apiClient
	locks   *chatstate.LocalLocker
	replies *replyCache
	bg      sync.WaitGroup
}

// New validates o and builds an Adapter.
func New(o Options) (*Adapter, error) {
	if o.Router == nil {
		return nil, errors.New("wechat: Router is required")
	}
	if o.AppID == "" || o.AppSecret == "" || o.Token == "" {
		return nil, errors.New("wechat: AppID, AppSecret and Token are required")
	}
	a := &Adapter{locks: chatstate.NewLocalLocker(), texts: o.Router.Texts()}
	if a.texts == nil {
		return nil, errors.New("wechat: the Router has no Texts")
	}
	switch {
	case o.AESKey != "":
		key, err := decodeAESKey(o.AESKey)
		if err != nil {
			return nil, err
		}
		a.aesKey = key
	case !o.Plaintext:
		return nil, errors.New("wechat: AESKey is required (safe mode) unless Plaintext is set")
	}
	var err error
	if o.APIBase, err = baseURL(o.APIBase, DefaultAPIBase); err != nil {
		return nil, fmt.Errorf("wechat: APIBase: %w", err)
	}
	if o.QRImageBase, err = baseURL(o.QRImageBase, DefaultQRImageBase); err != nil {
		return nil, fmt.Errorf("wechat: QRImageBase: %w", err)
	}
	if o.PublicURL != "" {
		if o.PublicURL, err = baseURL(o.PublicURL, ""); err != nil {
			return nil, fmt.Errorf("wechat: PublicURL: %w", err)
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.TokenCache == nil {
		o.TokenCache = NewMemoryTokenCache(o.Clock)
	}
	if o.Choices == nil {
		o.Choices = NewMemoryChoices(o.Clock)
	}
	if o.Windows == nil {
		o.Windows = NewMemoryWindows(o.Clock)
	}
	if o.OnEvent == nil {
		o.OnEvent = func(string) {}
	}
	if o.ReplyBudget <= 0 {
		o.ReplyBudget = DefaultReplyBudget
	}
	if o.HandleTimeout <= 0 {
		o.HandleTimeout = DefaultHandleTimeout
	}
	if o.KFQuota <= 0 {
		o.KFQuota = 5
	}
	if o.KFQuotaEvent <= 0 {
		o.KFQuotaEvent = 3
	}
	a.o = o
	a.replies = newReplyCache(o.Clock)
	a.api = &apiClient{
		base: o.APIBase, appID: o.AppID, secret: o.AppSecret,
		http: o.HTTPClient, cache: o.TokenCache, log: o.Log, event: o.OnEvent,
	}
	return a, nil
}

// Register adds GET /wechat (URL verification) and POST /wechat (callbacks).
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /wechat", a.verifyURL)
	mux.HandleFunc("POST /wechat", a.callback)
}

// Shutdown waits until replies still being delivered in the background
// (flows that overran the reply budget) are sent, or ctx ends.
func (a *Adapter) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { a.bg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// decodeAESKey decodes an EncodingAESKey: base64 of 43 characters plus "=".
func decodeAESKey(s string) ([]byte, error) {
	if len(s) != 43 {
		return nil, errors.New("wechat: AESKey must be 43 characters")
	}
	key, err := base64.StdEncoding.DecodeString(s + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wechat: AESKey is not a valid EncodingAESKey")
	}
	return key, nil
}

// baseURL validates an http(s) base URL and strips a trailing slash.
func baseURL(s, def string) (string, error) {
	if s == "" {
		s = def
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("must be an absolute http(s) URL")
	}
	return strings.TrimRight(s, "/"), nil
}

// goBackground runs f in a goroutine that Shutdown waits for.
func (a *Adapter) goBackground(f func()) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		f()
	}()
}
