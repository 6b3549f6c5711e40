// Package web is the web chat: the channel that works with no platform
// tokens. It serves the chat page, the JSON chat API and product images.
// Who is asking comes from a cookie the server issued (identity.go); the
// recent conversation is kept on the server (history.go); inside WeChat's
// browser the page can sign in with WeChat (wechatlogin.go).
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"shopbot/bot"
	"shopbot/chatstate"
	"shopbot/commerce"
	"shopbot/templates"
)

// MaxBody is the largest accepted /api/chat request.
const MaxBody = 64 << 10

// Options configures the web chat.
type Options struct {
	Router *bot.Router
	Log    *slog.Logger
	// Texts are the words of the chat and drop pages; nil takes the
	// Router's, or the embedded set without a Router.
	Texts *templates.Set
	// Image renders a product image key as PNG; nil serves no images.
	Image func(key string) ([]byte, error)
	// Upload returns a picture a seller uploaded (file is its key, e.g.
	// "up-….jpg"; commerce.ValidImageKey) with its content type; nil
	// serves none. They come from the database on every request and are
	// not kept in memory: a key names its content, so browsers and proxies
	// cache them for good.
	Upload func(ctx context.Context, file string) (data []byte, contentType string, err error)
	// Inbox holds notices for web users (the web has no push); the page
	// fetches them from GET /api/inbox. Nil disables the route.
	Inbox Inbox
	// QR renders the QR code PNG of a pickup pass token, or fails for a token
	// that does not verify; nil disables /qr/.
	QR func(token string) ([]byte, error)

	// Keys returns the keys that sign web identity cookies, newest first:
	// the first signs, the others still verify. Nil: one random key of this
	// process (tests; a restart forgets every identity).
	Keys func(ctx context.Context) ([]Key, error)
	// Secure marks the cookies Secure (the public URL is https).
	Secure bool
	// Now is the clock (cookie expiry, the new-identity limit's windows);
	// default time.Now.
	Now func() time.Time
	// ClientAddr is the address new identities are counted on (the
	// X-Forwarded-For of trusted proxies); default the direct peer.
	ClientAddr func(*http.Request) netip.Addr
	// NewIdentities limits new web identities per client address (an IPv6
	// address counts by its /64); nil: no limit.
	NewIdentities chatstate.WindowLimiter
	// Visitors records the identities that write (for the retention
	// sweep); nil records nothing.
	Visitors Visitors
	// History keeps each identity's recent conversation (GET
	// /api/history); nil keeps none.
	History chatstate.History
	// WeChat enables signing in with WeChat inside WeChat's browser; nil
	// turns it off.
	WeChat *WeChatLogin
	// LinkWeChat is called after a verified WeChat sign-in: from then on
	// the web identity is the same buyer as wx:<openID>. Nil: nothing is
	// linked (the sign-in is still verified).
	LinkWeChat func(ctx context.Context, webIdentity, openID string) error
}

// Inbox is the queue of notices waiting for web-chat users.
type Inbox interface {
	// Pull returns and removes up to limit queued payloads (JSON []bot.Reply).
	Pull(ctx context.Context, userKey string, limit int) ([][]byte, error)
}

// Handler serves GET /, POST /api/chat and GET /img/{key}.
type Handler struct {
	o      Options
	pages  pages
	ids    *identities
	seen   seenCache
	images sync.Map // key → []byte
}

// New builds the handler. It panics if the embedded pages or texts do not
// parse, which their tests rule out.
func New(o Options) *Handler {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Texts == nil && o.Router != nil {
		o.Texts = o.Router.Texts()
	}
	if o.Texts == nil {
		o.Texts = templates.MustLoad()
	}
	p, err := parsePages(o.Texts)
	if err != nil {
		panic(err)
	}
	if o.Keys == nil {
		o.Keys = processKeys()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientAddr == nil {
		o.ClientAddr = peerAddr
	}
	if o.WeChat != nil && o.WeChat.AuthorizeBase == "" {
		wx := *o.WeChat
		wx.AuthorizeBase = DefaultWeChatAuthorizeBase
		o.WeChat = &wx
	}
	ids := &identities{load: o.Keys, now: o.Now, secure: o.Secure, addr: o.ClientAddr, limit: o.NewIdentities}
	return &Handler{o: o, pages: p, ids: ids}
}

// Register adds the web chat's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.page)
	mux.HandleFunc("POST /api/chat", h.chat)
	mux.HandleFunc("GET /img/{file}", h.image)
	mux.HandleFunc("GET /api/history", h.history)
	if h.o.Inbox != nil {
		mux.HandleFunc("GET /api/inbox", h.inbox)
	}
	if h.o.WeChat != nil {
		mux.HandleFunc("GET "+WeChatLoginPath, h.wechatLogin)
		mux.HandleFunc("GET "+WeChatCallbackPath, h.wechatCallback)
	}
	if h.o.QR != nil {
		mux.HandleFunc("GET /qr/{file}", h.qr)
	}
}

// inbox answers GET /api/inbox with the notices queued for the caller's
// identity (its cookie; any ?user= is ignored) and keeps them in its
// history. Without an identity there is nothing queued.
func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) {
	id, _, ok := h.ids.fromRequest(r)
	if !ok {
		writeJSON(w, http.StatusOK, ChatResponse{Replies: []bot.Reply{}})
		return
	}
	payloads, err := h.o.Inbox.Pull(r.Context(), userKey(id), 20)
	if err != nil {
		h.o.Log.ErrorContext(r.Context(), "web inbox", "user", h.o.Router.LogID(id), "err", h.o.Router.ScrubError(err, id))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "try again later"})
		return
	}
	replies := []bot.Reply{}
	for _, p := range payloads {
		var rs []bot.Reply
		if err := json.Unmarshal(p, &rs); err != nil {
			h.o.Log.ErrorContext(r.Context(), "web inbox: unreadable notice dropped", "err", err)
			continue
		}
		replies = append(replies, rs...)
	}
	h.record(r, id, ChatRequest{}, replies)
	writeJSON(w, http.StatusOK, ChatResponse{Replies: replies})
}

// qr serves /qr/{token}.png: the QR code of a pickup pass. The token is the
// secret (signed, unguessable); anything that does not verify is a 404.
func (h *Handler) qr(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok || len(token) > 512 {
		http.NotFound(w, r)
		return
	}
	png, err := h.o.QR(token)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(png)
}

// page serves the chat page in the language of ?lang= or the browser. A
// first visit gets its web identity cookie (and nothing is stored); a
// visit in WeChat's browser signs in with WeChat first, once.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r)
	var err error
	if id, _, ok := h.ids.fromRequest(r); ok {
		// A returning visitor: the cookie lives 400 days from the last
		// visit, signed with the newest key.
		err = h.ids.setCookie(r.Context(), w, id)
	} else {
		_, err = h.ids.issue(w, r)
	}
	if err != nil {
		h.identityRefused(w, r, lang, err)
		return
	}
	if h.wantsWeChatLogin(r) {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, WeChatLoginPath+"?lang="+lang, http.StatusFound)
		return
	}
	var b bytes.Buffer
	if err := h.pages.chat[lang].Execute(&b, struct{ Lang string }{lang}); err != nil {
		h.o.Log.ErrorContext(r.Context(), "chat page template", "err", err)
		http.Error(w, "try again later", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", lang)
	hd.Set("Vary", "Accept-Language")
	hd.Set("Cache-Control", "no-store") // it sets a cookie
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
	hd.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}

// notice answers a page of one title and one line in the reader's language
// with a link back to the shop.
func (h *Handler) notice(w http.ResponseWriter, r *http.Request, lang string, status int, title, text string) {
	var b bytes.Buffer
	if err := h.pages.notice[lang].Execute(&b, struct{ Lang, Title, Text string }{lang, title, text}); err != nil {
		h.o.Log.ErrorContext(r.Context(), "notice page template", "err", err)
		http.Error(w, h.o.Texts.Text(lang, text, nil), status)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", lang)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// identityRefused answers a page request that got no identity: too many
// new ones from this address (429), or the keys could not be read (503).
func (h *Handler) identityRefused(w http.ResponseWriter, r *http.Request, lang string, err error) {
	if errors.Is(err, ErrTooManyNew) {
		w.Header().Set("Retry-After", "60")
		h.notice(w, r, lang, http.StatusTooManyRequests, "webchat_title", "webchat_too_many_new")
		return
	}
	h.o.Log.ErrorContext(r.Context(), "web identity keys", "err", err)
	h.notice(w, r, lang, http.StatusServiceUnavailable, "webchat_title", "webchat_unavailable")
}

// ChatRequest is the body of POST /api/chat. Who is asking comes from the
// identity cookie, never from the body.
type ChatRequest struct {
	User   string `json:"user,omitempty"`   // ignored (pages before server-issued identities sent their own id); at most 64 bytes
	Text   string `json:"text,omitempty"`   // typed text
	Action string `json:"action,omitempty"` // a button's action
	Lang   string `json:"lang,omitempty"`   // navigator.language
	ID     string `json:"id,omitempty"`     // client message id: a resend with the same id is answered once
	Name   string `json:"name,omitempty"`   // display name, optional
	// Quiet: the page said Text on the buyer's behalf (the link it was
	// opened with, "/start link_…"); it is not shown, nor kept in the
	// history, as the buyer's message.
	Quiet bool `json:"quiet,omitempty"`
}

// ChatResponse is the answer of POST /api/chat.
type ChatResponse struct {
	Replies   []bot.Reply `json:"replies"`
	Duplicate bool        `json:"duplicate,omitempty"`
}

var msgIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Limits on the request's fields.
const (
	maxText = 4096
	maxName = 64
)

// ParseChatRequest reads and validates a request body. It returns the HTTP
// status and a message for the client on failure.
func ParseChatRequest(body io.Reader) (ChatRequest, int, string) {
	var req ChatRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, "request body over 64 KiB"
		}
		return req, http.StatusBadRequest, "malformed JSON"
	}
	// Only whitespace may follow the object (dec.More would let "}" or "]" pass).
	if _, err := dec.Token(); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, http.StatusRequestEntityTooLarge, "request body over 64 KiB"
		}
		return req, http.StatusBadRequest, "one JSON object expected"
	}
	switch {
	case len(req.User) > 64:
		return req, http.StatusBadRequest, "user over 64 bytes (it is ignored: the cookie says who is asking)"
	case req.ID != "" && !msgIDRe.MatchString(req.ID):
		return req, http.StatusBadRequest, "id must be 1–64 characters of A-Z a-z 0-9 _ -"
	case (req.Text == "") == (req.Action == ""):
		return req, http.StatusBadRequest, "exactly one of text and action is required"
	case len(req.Text) > maxText:
		return req, http.StatusRequestEntityTooLarge, "text over 4096 bytes"
	case len(req.Action) > bot.MaxActionLen:
		return req, http.StatusBadRequest, "action over 64 bytes"
	case len(req.Name) > maxName || len(req.Lang) > 64:
		return req, http.StatusBadRequest, "name or lang too long"
	}
	return req, 0, ""
}

func (h *Handler) chat(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "Content-Type must be application/json"})
		return
	}
	req, status, msg := ParseChatRequest(http.MaxBytesReader(w, r.Body, MaxBody))
	if status != 0 {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	// Who is asking: the cookie's identity, or a new one (a client that
	// never loaded the page); req.User plays no part.
	id, _, err := h.ids.ensure(w, r)
	if err != nil {
		lang := templates.Match(req.Lang)
		if lang == "" {
			lang = pageLang(r)
		}
		if errors.Is(err, ErrTooManyNew) {
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, refusal{Error: "too many new web identities from this address",
				Replies: []bot.Reply{{Text: h.o.Texts.Text(lang, "webchat_too_many_new", nil)}}})
			return
		}
		h.o.Log.ErrorContext(r.Context(), "web identity keys", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, refusal{Error: "try again later",
			Replies: []bot.Reply{{Text: h.o.Texts.Text(lang, "webchat_unavailable", nil)}}})
		return
	}
	if now := h.o.Now(); h.o.Visitors != nil && h.seen.fresh(id, now) {
		if err := h.o.Visitors.SeeWebIdentity(r.Context(), id, now); err != nil {
			h.seen.forget(id)
			h.o.Log.WarnContext(r.Context(), "web identity not recorded", "err", err)
		}
	}
	m := bot.Message{Channel: bot.ChannelWeb, ChatID: id, UserID: id, FirstName: req.Name,
		Text: req.Text, Action: req.Action, Lang: req.Lang}
	if req.ID != "" {
		m.UpdateID = id + ":" + req.ID
	}
	replies, err := h.o.Router.Handle(r.Context(), m)
	if replies == nil {
		replies = []bot.Reply{}
	}
	status = http.StatusOK
	switch {
	case errors.Is(err, bot.ErrDuplicate):
		writeJSON(w, http.StatusOK, ChatResponse{Replies: []bot.Reply{}, Duplicate: true})
		return
	case errors.Is(err, bot.ErrSlowDown):
		// Not handled: "slow down" for the first message of a flood,
		// nothing for the others.
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "1")
	case err != nil:
		// Failed on our side (the database down): 503 with the localized
		// "try again" the router made. A resend with the same id is
		// handled anew (its claim was released).
		status = http.StatusServiceUnavailable
		if !errors.Is(err, context.Canceled) {
			h.o.Log.ErrorContext(r.Context(), "web chat message failed", "user", h.o.Router.LogID(id), "err", err)
		}
	case err == nil:
		h.record(r, id, req, replies)
	}
	writeJSON(w, status, ChatResponse{Replies: replies})
}

// refusal is a chat request refused before the conversation: error is for
// developers, replies for the page to show.
type refusal struct {
	Error   string      `json:"error"`
	Replies []bot.Reply `json:"replies"`
}

func (h *Handler) image(w http.ResponseWriter, r *http.Request) {
	if file := r.PathValue("file"); strings.HasPrefix(file, commerce.ImageKeyPrefix) {
		h.upload(w, r, file)
		return
	}
	key, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok || h.o.Image == nil || len(key) > 128 {
		http.NotFound(w, r)
		return
	}
	var png []byte
	if v, ok := h.images.Load(key); ok {
		png = v.([]byte)
	} else {
		b, err := h.o.Image(key)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h.images.Store(key, b)
		png = b
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(png)
}

// upload serves a seller's picture from the database.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, file string) {
	if h.o.Upload == nil || !commerce.ValidImageKey(file) {
		http.NotFound(w, r)
		return
	}
	etag := `"` + file + `"`
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	data, ctype, err := h.o.Upload(r.Context(), file)
	if err != nil {
		w.Header().Del("Cache-Control")
		w.Header().Del("ETag")
		if !errors.Is(err, commerce.ErrNotFound) {
			h.o.Log.ErrorContext(r.Context(), "uploaded image", "key", file, "err", err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
