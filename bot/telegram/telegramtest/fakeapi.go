// Package telegramtest is the Telegram side of the adapter's tests and of
// the benchmarks: an httptest fake of the Bot API that records what it is
// sent and checks it the way Telegram does (HTML entities, lengths,
// keyboards, edits, flood limits), builders for the updates Telegram
// delivers, and drivers that measure the webhook handler (Bench) and the
// rate-limited sender (BenchSender). It never reaches the network.
//
// It is written from the Bot API documentation, independently of the
// library the adapter uses, and does not import the adapter, so the
// adapter's own tests can use it.
//
// # Flood limits
//
// The fake counts violations of Telegram's flood limits (Bot API FAQ): at
// most 30 messages per second overall, 1 per second to one private chat, 20
// per minute to one group (a negative chat id). Sends and edits count; other
// methods do not. The windows are sliding: a violation is any run of N+1
// consecutive messages (globally, or to one chat) spanning less than Per
// minus a tolerance. Times are taken from the fake's clock (time.Now unless
// Options.Clock is set) when a request arrives, before anything else is
// done with it. A sender that waits for its slot and then makes the request
// is seen at its slot plus the request's latency, never earlier; the run's
// first request may be late by that latency and its last one on time, so
// the measured span can fall short of the real one by the latency. The
// default tolerance, DefaultTolerance (50 ms), absorbs that on a loaded
// machine; with a simulated clock use a negative Tolerance (exact windows).
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of the fake.
const (
	// Token is the bot token NewFakeAPI accepts; any other gets 401.
	Token = "123456789:AAE-telegramtest_TOKEN"
	// BotID and BotUsername are what getMe answers.
	BotID       = 4242
	BotUsername = "ShopTestBot"
	// DefaultTolerance is subtracted from every window before a run of
	// messages counts as a violation (see the package doc).
	DefaultTolerance = 50 * time.Millisecond
)

// Telegram's size limits, in UTF-16 code units after entity parsing.
const (
	MaxTextLen    = 4096
	MaxCaptionLen = 1024
)

// Limit is a sliding-window flood limit: at most N messages in any window of
// length Per. N ≤ 0 means not checked.
type Limit struct {
	N   int
	Per time.Duration
}

// Limits are the flood limits the fake checks.
type Limits struct {
	Global  Limit // all chats together
	Private Limit // per private chat (positive chat id)
	Group   Limit // per group, supergroup or channel (negative chat id)
}

// DefaultLimits are Telegram's (Bot API FAQ).
var DefaultLimits = Limits{
	Global:  Limit{N: 30, Per: time.Second},
	Private: Limit{N: 1, Per: time.Second},
	Group:   Limit{N: 20, Per: time.Minute},
}

// Options configures NewFakeAPIWith. Zero fields take the defaults.
type Options struct {
	Token string           // the only token accepted; default Token
	Clock func() time.Time // when requests arrive; default time.Now
	// Limits are checked per field: a zero Limit is the default one, a
	// negative N turns that check off.
	Limits Limits
	// Tolerance shortens every window for the violation count; default
	// DefaultTolerance, negative for exact windows (simulated clocks).
	Tolerance time.Duration
	// Lean keeps only send times (SendTimes, Violations): no Calls and no
	// message bodies, so benchmarks with 100,000 chats measure the sender,
	// not the fake. Edits then find no message to edit.
	Lean bool
	// InProcess opens no listening socket: the fake is reached only through
	// Client, which hands requests straight to ServeHTTP. Inside a
	// testing/synctest bubble this keeps every goroutine in the bubble, so
	// the bubble's fake clock can advance (a goroutine waiting on a socket
	// never counts as blocked). Endpoint and FileEndpoint then name a host
	// that only Client reaches.
	InProcess bool
}

// Call is one request the fake received.
type Call struct {
	Method string
	Params url.Values
	At     time.Time
	Status int // 200 or the error code answered
	// Upload is the file sent with the call as multipart/form-data (the
	// photo of sendPhoto), nil when none was.
	Upload []byte
}

// Fault is an error answered instead of handling a call (see Inject).
type Fault struct {
	Code       int
	Desc       string
	RetryAfter int  // parameters.retry_after, for 429
	NonJSON    bool // answer with a text/html body, like a proxy
}

// Message is a message the fake "sent" (and its later edits).
type Message struct {
	ID      int
	Chat    int64
	Text    string // plain, entities decoded
	Caption string
	// Photo is the photo as it was sent: its URL, or the file_id of a
	// picture sent before; for an upload, the file_id the fake gave it.
	Photo string
	// Uploaded: the photo's bytes came with the message (multipart).
	Uploaded bool
	Markup   [][]Button
	// Keyboard is the reply keyboard sent with the message, if any.
	Keyboard *Keyboard
	// RemoveKeyboard: the message carried remove_keyboard.
	RemoveKeyboard bool
	ReplyTo        int
	// Invoice is the invoice of a sendInvoice message (Text is empty then).
	Invoice *Invoice
}

// Button is an inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Keyboard is a reply keyboard (the custom keyboard replacing the user's).
type Keyboard struct {
	Rows    [][]KeyButton
	OneTime bool
	Resize  bool
}

// KeyButton is a reply keyboard button.
type KeyButton struct {
	Text            string `json:"text"`
	RequestContact  bool   `json:"request_contact,omitempty"`
	RequestLocation bool   `json:"request_location,omitempty"`
}

// FakeAPI is an httptest fake of the Bot API: getMe, setWebhook,
// deleteWebhook, setMyCommands, sendMessage, sendPhoto, editMessageText,
// editMessageCaption, editMessageReplyMarkup, deleteMessage, answerCallbackQuery,
// sendInvoice and answerPreCheckoutQuery (Telegram Payments, payments.go),
// getUpdates (long polling over updates queued with PushUpdate, at most
// "limit" — 1 to 100, default 100 — per call, as Telegram hands them out)
// and getFile, with file downloads from /file/bot<token>/<file_path> (files
// users "sent", added with AddFile). Requests may be form-encoded (as the
// library sends them), multipart (a photo uploaded with sendPhoto) or JSON.
//
// Like Telegram, it answers 400 "message is not modified" to an edit that
// would leave a message's text or caption and inline keyboard as they are,
// and a photo may be sent by URL, by uploading its bytes, or by the file_id
// Telegram gave a photo before (any other file_id is a 400). It is safe for
// concurrent use.
type FakeAPI struct {
	srv    *httptest.Server
	token  string
	now    func() time.Time
	limits Limits
	tol    time.Duration
	lean   bool

	mu       sync.Mutex
	calls    []Call
	nextMsg  int
	chats    map[int64]*chatState
	faults   map[string][]Fault
	updates  []queued
	updReady chan struct{}
	all      []time.Time // every message-producing call
	files    map[string]file
	// photos are the file_ids of photos the fake sent, reusable in sendPhoto.
	photos map[string]bool
	// answers are the answerPreCheckoutQuery calls answered, in order;
	// queries the pre-checkout queries issued (PreCheckoutUpdate) and when.
	answers []PreCheckoutAnswer
	queries map[string]time.Time
}

// file is one file users sent, as getFile describes it.
type file struct {
	path string
	data []byte
}

type chatState struct {
	msgs     []*Message // in sending order (= id order)
	keyboard *Keyboard  // the reply keyboard shown now
	sends    []time.Time
}

type queued struct {
	id  int64
	raw json.RawMessage
}

// NewFakeAPI starts a fake accepting Token with the default clock, limits
// and tolerance. Close stops it.
func NewFakeAPI() *FakeAPI { return NewFakeAPIWith(Options{}) }

// NewFakeAPIWith starts a fake configured by o. Close stops it.
func NewFakeAPIWith(o Options) *FakeAPI {
	if o.Token == "" {
		o.Token = Token
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	switch {
	case o.Tolerance == 0:
		o.Tolerance = DefaultTolerance
	case o.Tolerance < 0:
		o.Tolerance = 0
	}
	o.Limits.Global = o.Limits.Global.or(DefaultLimits.Global)
	o.Limits.Private = o.Limits.Private.or(DefaultLimits.Private)
	o.Limits.Group = o.Limits.Group.or(DefaultLimits.Group)
	f := &FakeAPI{
		token: o.Token, now: o.Clock, limits: o.Limits, tol: o.Tolerance, lean: o.Lean,
		chats: map[int64]*chatState{}, faults: map[string][]Fault{}, updReady: make(chan struct{}, 1),
		files: map[string]file{}, photos: map[string]bool{},
	}
	if !o.InProcess {
		f.srv = httptest.NewServer(f)
	}
	return f
}

func (l Limit) or(def Limit) Limit {
	switch {
	case l.N == 0:
		return def
	case l.N < 0:
		return Limit{}
	case l.Per <= 0:
		l.Per = def.Per
	}
	return l
}

// inProcessURL is the base URL of an InProcess fake; only Client reaches it.
const inProcessURL = "http://telegramtest.invalid"

// URL is the fake's base URL.
func (f *FakeAPI) URL() string {
	if f.srv == nil {
		return inProcessURL
	}
	return f.srv.URL
}

// Client is an HTTP client that reaches the fake: over its listener, or
// straight into ServeHTTP for an InProcess fake.
func (f *FakeAPI) Client() *http.Client {
	if f.srv == nil {
		return &http.Client{Transport: inProcess{f}}
	}
	return f.srv.Client()
}

// inProcess is a RoundTripper that serves requests with the fake's
// ServeHTTP in the caller's goroutine.
type inProcess struct{ f *FakeAPI }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		// Closing the body also ends a client goroutine writing it through
		// a pipe (the library's multipart uploads) when it was not read.
		defer req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	if req.URL.Host != strings.TrimPrefix(inProcessURL, "http://") {
		return nil, fmt.Errorf("telegramtest: in-process fake asked for host %q", req.URL.Host)
	}
	rec := httptest.NewRecorder()
	t.f.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}

// Endpoint is the API endpoint pattern for the fake, with %s for the token
// and the method (TELEGRAM_API_ENDPOINT, Options.APIEndpoint).
func (f *FakeAPI) Endpoint() string { return f.URL() + "/bot%s/%s" }

// FileEndpoint is the file download pattern for the fake, with %s for the
// token and the file_path getFile answers (Telegram's /file/bot<token>/…).
func (f *FakeAPI) FileEndpoint() string { return f.URL() + "/file/bot%s/%s" }

// MaxFileSize is the largest file getFile lets a bot download (Bot API).
const MaxFileSize = 20 << 20

// FileMethod is the Call.Method recorded for a file download (and the
// method to Inject faults for); Params holds its "file_path".
const FileMethod = "file"

// AddFile stores a file as if a user had sent it and returns its file_id
// (for PhotoUpdate, DocumentUpdate); getFile and the file endpoint serve it.
func (f *FakeAPI) AddFile(data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.files) + 1
	id := "AgACAgfile" + strconv.Itoa(n)
	f.files[id] = file{path: "photos/file_" + strconv.Itoa(n) + ".jpg", data: append([]byte(nil), data...)}
	return id
}

// Close stops the server (idempotent; nothing to stop when InProcess).
func (f *FakeAPI) Close() {
	if f.srv != nil {
		f.srv.Close()
	}
}

// Limits are the flood limits the fake checks (N = 0: not checked).
func (f *FakeAPI) Limits() Limits { return f.limits }

// Inject queues faults answered, in order, to the next calls of method
// instead of handling them.
func (f *FakeAPI) Inject(method string, faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = append(f.faults[method], faults...)
}

// PushUpdate queues an update (JSON, e.g. from TextUpdate) for getUpdates.
func (f *FakeAPI) PushUpdate(update []byte) error {
	var u struct {
		UpdateID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(update, &u); err != nil || u.UpdateID <= 0 {
		return fmt.Errorf("telegramtest: not an update: %.80s", update)
	}
	f.mu.Lock()
	f.updates = append(f.updates, queued{u.UpdateID, append(json.RawMessage(nil), update...)})
	f.mu.Unlock()
	select {
	case f.updReady <- struct{}{}:
	default:
	}
	return nil
}

// Pending is the number of queued updates getUpdates has not had
// confirmed (by a later call with a higher offset).
func (f *FakeAPI) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.updates)
}

// Calls returns the calls of the given methods (all calls when none is
// given), in arrival order.
func (f *FakeAPI) Calls(methods ...string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if len(methods) == 0 {
			out = append(out, c)
			continue
		}
		for _, m := range methods {
			if c.Method == m {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// Count is the number of calls of method, answered or faulted.
func (f *FakeAPI) Count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// Chats returns the chats the fake sent messages to, ascending.
func (f *FakeAPI) Chats() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int64, 0, len(f.chats))
	for id, c := range f.chats {
		if len(c.msgs) > 0 {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Messages returns the messages sent to chat, in sending order, as edited
// since.
func (f *FakeAPI) Messages(chat int64) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chats[chat]
	if c == nil {
		return nil
	}
	out := make([]Message, len(c.msgs))
	for i, m := range c.msgs {
		out[i] = m.clone()
	}
	return out
}

// Message returns one message of chat.
func (f *FakeAPI) Message(chat int64, id int) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.find(chat, id); m != nil {
		return m.clone(), true
	}
	return Message{}, false
}

// Last returns the newest message of chat.
func (f *FakeAPI) Last(chat int64) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.chats[chat]; c != nil && len(c.msgs) > 0 {
		return c.msgs[len(c.msgs)-1].clone(), true
	}
	return Message{}, false
}

// ReplyKeyboard is the reply keyboard the chat shows now: the last one sent
// and not removed since (nil when none).
func (f *FakeAPI) ReplyKeyboard(chat int64) *Keyboard {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.chats[chat]; c != nil && c.keyboard != nil {
		return c.keyboard.clone()
	}
	return nil
}

// WithButton returns the newest message of chat with an inline button whose
// callback_data starts with prefix, and that data.
func (f *FakeAPI) WithButton(chat int64, prefix string) (Message, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.chats[chat]
	if c == nil {
		return Message{}, "", false
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		for _, row := range c.msgs[i].Markup {
			for _, b := range row {
				if b.CallbackData != "" && strings.HasPrefix(b.CallbackData, prefix) {
					return c.msgs[i].clone(), b.CallbackData, true
				}
			}
		}
	}
	return Message{}, "", false
}

// SendTimes returns when messages to chat were sent or edited.
func (f *FakeAPI) SendTimes(chat int64) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.chats[chat]; c != nil {
		return append([]time.Time(nil), c.sends...)
	}
	return nil
}

// Violations counts the flood-limit violations so far: runs of N+1
// consecutive messages closer than Per minus the tolerance, globally and
// per chat (see the package doc).
func (f *FakeAPI) Violations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := CountViolations(f.all, f.limits.Global, f.tol)
	for chat, c := range f.chats {
		l := f.limits.Private
		if chat < 0 {
			l = f.limits.Group
		}
		n += CountViolations(c.sends, l, f.tol)
	}
	return n
}

// CountViolations counts the runs of l.N+1 consecutive times in ts (any
// order) that span less than l.Per − tolerance.
func CountViolations(ts []time.Time, l Limit, tolerance time.Duration) int {
	if l.N <= 0 || len(ts) <= l.N {
		return 0
	}
	s := append([]time.Time(nil), ts...)
	sort.Slice(s, func(i, j int) bool { return s[i].Before(s[j]) })
	n := 0
	for i := 0; i+l.N < len(s); i++ {
		if s[i+l.N].Sub(s[i]) < l.Per-tolerance {
			n++
		}
	}
	return n
}

func (m *Message) clone() Message {
	out := *m
	out.Markup = cloneRows(m.Markup)
	if m.Invoice != nil {
		inv := *m.Invoice
		inv.Prices = append([]Price(nil), m.Invoice.Prices...)
		out.Invoice = &inv
	}
	if m.Keyboard != nil {
		out.Keyboard = m.Keyboard.clone()
	}
	return out
}

func (k *Keyboard) clone() *Keyboard {
	out := *k
	out.Rows = cloneRows(k.Rows)
	return &out
}

func cloneRows[T any](rows [][]T) [][]T {
	if rows == nil {
		return nil
	}
	out := make([][]T, len(rows))
	for i, r := range rows {
		out[i] = append([]T(nil), r...)
	}
	return out
}

// find returns a stored message; mu held.
func (f *FakeAPI) find(chat int64, id int) *Message {
	c := f.chats[chat]
	if c == nil {
		return nil
	}
	i := sort.Search(len(c.msgs), func(i int) bool { return c.msgs[i].ID >= id })
	if i < len(c.msgs) && c.msgs[i].ID == id {
		return c.msgs[i]
	}
	return nil
}

// remove deletes a message; false when there is none with that id.
func (f *FakeAPI) remove(chat int64, id int) bool {
	c := f.chats[chat]
	if c == nil {
		return false
	}
	for i, m := range c.msgs {
		if m.ID == id {
			c.msgs = append(c.msgs[:i], c.msgs[i+1:]...)
			return true
		}
	}
	return false
}

// DeleteMessage deletes a message as a user (a group admin) would: it
// disappears, and editing it fails like editing an unknown message.
func (f *FakeAPI) DeleteMessage(chat int64, id int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.remove(chat, id)
}

func (f *FakeAPI) chat(id int64) *chatState {
	c := f.chats[id]
	if c == nil {
		c = &chatState{}
		f.chats[id] = c
	}
	return c
}

// ServeHTTP answers /bot<token>/<method> and /file/bot<token>/<file_path>.
func (f *FakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := f.now() // first: the arrival time the flood check uses
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		f.serveFile(w, r, rest, at)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !ok || token != f.token {
		writeAPI(w, 401, "Unauthorized", nil, 0)
		return
	}
	p, upload, err := readParams(r)
	if err != nil {
		writeAPI(w, 400, "Bad Request: "+err.Error(), nil, 0)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Call{Method: method, Params: p, At: at, Status: 200, Upload: upload}
	if q := f.faults[method]; len(q) > 0 {
		ft := q[0]
		f.faults[method] = q[1:]
		c.Status = ft.Code
		f.calls = append(f.calls, c)
		if ft.NonJSON {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(ft.Code)
			fmt.Fprint(w, "<html>bad gateway</html>")
			return
		}
		writeAPI(w, ft.Code, ft.Desc, nil, ft.RetryAfter)
		return
	}
	result, code, desc := f.handle(method, p, upload, at, r)
	c.Status = code
	if !f.lean {
		f.calls = append(f.calls, c)
	}
	writeAPI(w, code, desc, result, 0)
}

// readParams reads form-encoded, multipart or JSON parameters; JSON values
// that are not strings are kept in their JSON form, as form clients send
// them. upload is the file sent in the multipart field "photo", if any.
func readParams(r *http.Request) (p url.Values, upload []byte, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var m map[string]json.RawMessage
		if err := json.NewDecoder(io.LimitReader(r.Body, 10<<20)).Decode(&m); err != nil {
			return nil, nil, fmt.Errorf("can't parse JSON: %v", err)
		}
		p := url.Values{}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				p.Set(k, s)
			} else {
				p.Set(k, string(raw))
			}
		}
		return p, nil, nil
	}
	if mt == "multipart/form-data" {
		if err := r.ParseMultipartForm(2 * MaxPhotoUpload); err != nil {
			return nil, nil, fmt.Errorf("unreadable form")
		}
		defer r.MultipartForm.RemoveAll()
		if fhs := r.MultipartForm.File["photo"]; len(fhs) > 0 {
			fl, err := fhs[0].Open()
			if err != nil {
				return nil, nil, fmt.Errorf("unreadable form")
			}
			defer fl.Close()
			if upload, err = io.ReadAll(fl); err != nil {
				return nil, nil, fmt.Errorf("unreadable form")
			}
			if upload == nil {
				upload = []byte{}
			}
		}
		return r.PostForm, upload, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, nil, fmt.Errorf("unreadable form")
	}
	return r.Form, nil, nil
}

// handle answers one call; mu is held.
func (f *FakeAPI) handle(method string, p url.Values, upload []byte, at time.Time, r *http.Request) (any, int, string) {
	switch method {
	case "getMe":
		return f.botUser(), 200, ""
	case "sendMessage", "sendPhoto":
		return f.send(method, p, upload, at)
	case "editMessageText", "editMessageCaption", "editMessageReplyMarkup":
		return f.edit(method, p, at)
	case "deleteMessage":
		chat, _ := strconv.ParseInt(p.Get("chat_id"), 10, 64)
		id, _ := strconv.Atoi(p.Get("message_id"))
		if !f.remove(chat, id) {
			return nil, 400, "Bad Request: message to delete not found"
		}
		return true, 200, ""
	case "sendInvoice":
		return f.sendInvoice(p, at)
	case "answerPreCheckoutQuery":
		return f.answerPreCheckout(p, at)
	case "answerCallbackQuery":
		if p.Get("callback_query_id") == "" {
			return nil, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
		}
		if utf16Len(p.Get("text")) > 200 {
			return nil, 400, "Bad Request: MESSAGE_TOO_LONG"
		}
		return true, 200, ""
	case "setWebhook":
		u, err := url.Parse(p.Get("url"))
		if p.Get("url") != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
			return nil, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
		}
		if s := p.Get("secret_token"); s != "" && !validSecret(s) {
			return nil, 400, "Bad Request: secret token contains unallowed characters"
		}
		return true, 200, ""
	case "deleteWebhook":
		return true, 200, ""
	case "setMyCommands":
		var cmds []struct {
			Command     string `json:"command"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal([]byte(p.Get("commands")), &cmds); err != nil || len(cmds) > 100 {
			return nil, 400, "Bad Request: can't parse commands JSON object"
		}
		for _, c := range cmds {
			if c.Command == "" || len(c.Command) > 32 || strings.ToLower(c.Command) != c.Command || c.Description == "" {
				return nil, 400, "Bad Request: BOT_COMMAND_INVALID"
			}
		}
		return true, 200, ""
	case "getUpdates":
		return f.getUpdates(p, r)
	case "getFile":
		fl, ok := f.files[p.Get("file_id")]
		switch {
		case !ok:
			return nil, 400, "Bad Request: invalid file_id"
		case len(fl.data) > MaxFileSize:
			return nil, 400, "Bad Request: file is too big"
		}
		return map[string]any{"file_id": p.Get("file_id"), "file_unique_id": "u" + p.Get("file_id"),
			"file_size": len(fl.data), "file_path": fl.path}, 200, ""
	}
	return nil, 404, "Not Found: method not found"
}

// serveFile answers a download of rest = "<token>/<file_path>" (GET only,
// as Telegram's file server), recorded as a FileMethod call.
func (f *FakeAPI) serveFile(w http.ResponseWriter, r *http.Request, rest string, at time.Time) {
	token, path, _ := strings.Cut(rest, "/")
	f.mu.Lock()
	c := Call{Method: FileMethod, Params: url.Values{"file_path": {path}}, At: at, Status: 200}
	var data []byte
	found := false
	for _, fl := range f.files {
		if fl.path == path {
			data, found = fl.data, true
		}
	}
	var ft *Fault
	if q := f.faults[FileMethod]; len(q) > 0 {
		ft, f.faults[FileMethod] = &q[0], q[1:]
	}
	switch {
	case ft != nil:
		c.Status = ft.Code
	case r.Method != http.MethodGet:
		c.Status = 405
	case token != f.token || !found:
		c.Status = 404
	}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	switch {
	case ft != nil && ft.NonJSON:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(ft.Code)
		fmt.Fprint(w, "<html>bad gateway</html>")
	case c.Status != 200:
		desc := "Not Found"
		if ft != nil {
			desc = ft.Desc
		}
		writeAPI(w, c.Status, desc, nil, 0)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	}
}

func (f *FakeAPI) botUser() map[string]any {
	return map[string]any{"id": BotID, "is_bot": true, "first_name": "Shop", "username": BotUsername}
}

// send handles sendMessage and sendPhoto; upload is the photo's bytes when
// they came as multipart/form-data.
func (f *FakeAPI) send(method string, p url.Values, upload []byte, at time.Time) (any, int, string) {
	chat, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil || chat == 0 {
		return nil, 400, "Bad Request: chat not found"
	}
	m := &Message{Chat: chat}
	var code int
	var desc string
	if method == "sendMessage" {
		if m.Text, code, desc = checkText(p.Get("text"), p.Get("parse_mode"), MaxTextLen, "text"); code != 0 {
			return nil, code, desc
		}
	} else {
		photo := p.Get("photo")
		switch {
		case upload != nil:
			if code, desc := checkPhoto(upload); code != 0 {
				return nil, code, desc
			}
		case strings.HasPrefix(photo, "https://") || strings.HasPrefix(photo, "http://"):
		case strings.Contains(photo, "://"):
			return nil, 400, "Bad Request: wrong HTTP URL specified"
		case !f.photos[photo]:
			return nil, 400, "Bad Request: wrong file identifier/HTTP URL specified"
		}
		if p.Get("caption") != "" {
			if m.Caption, code, desc = checkText(p.Get("caption"), p.Get("parse_mode"), MaxCaptionLen, "caption"); code != 0 {
				return nil, code, desc
			}
		}
		m.Photo, m.Uploaded = photo, upload != nil
	}
	mk, code, desc := parseMarkup(p.Get("reply_markup"), chat > 0)
	if code != 0 {
		return nil, code, desc
	}
	m.Markup, m.Keyboard, m.RemoveKeyboard = mk.inline, mk.keyboard, mk.remove
	m.ReplyTo, _ = strconv.Atoi(p.Get("reply_to_message_id"))
	f.nextMsg++
	m.ID = f.nextMsg
	if m.Uploaded {
		m.Photo = "AgACAgupload" + strconv.Itoa(m.ID)
	}
	if method == "sendPhoto" {
		f.photos[m.Photo] = true
		f.photos[photoFileID(m)] = true
	}
	c := f.chat(chat)
	if !f.lean {
		c.msgs = append(c.msgs, m)
	}
	switch {
	case mk.keyboard != nil:
		c.keyboard = mk.keyboard.clone()
	case mk.remove:
		c.keyboard = nil
	}
	f.recordSend(c, at)
	return f.result(m), 200, ""
}

func (f *FakeAPI) edit(method string, p url.Values, at time.Time) (any, int, string) {
	if p.Get("inline_message_id") != "" {
		return nil, 400, "Bad Request: message to edit not found"
	}
	chat, _ := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	id, _ := strconv.Atoi(p.Get("message_id"))
	m := f.find(chat, id)
	if m == nil {
		return nil, 400, "Bad Request: message to edit not found"
	}
	mk, code, desc := parseMarkup(p.Get("reply_markup"), chat > 0)
	switch {
	case code != 0:
		return nil, code, desc
	case mk.keyboard != nil || mk.remove:
		return nil, 400, "Bad Request: inline keyboard expected"
	}
	text := m.Text + m.Caption
	switch method {
	case "editMessageText":
		if m.Photo != "" {
			return nil, 400, "Bad Request: there is no text in the message to edit"
		}
		text, code, desc = checkText(p.Get("text"), p.Get("parse_mode"), MaxTextLen, "text")
	case "editMessageCaption":
		if m.Photo == "" {
			return nil, 400, "Bad Request: there is no caption in the message to edit"
		}
		text, code, desc = checkText(p.Get("caption"), p.Get("parse_mode"), MaxCaptionLen, "caption")
	}
	if code != 0 {
		return nil, code, desc
	}
	if text == m.Text+m.Caption && fmt.Sprint(mk.inline) == fmt.Sprint(m.Markup) {
		return nil, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
	}
	if m.Photo != "" {
		m.Caption = text
	} else {
		m.Text = text
	}
	m.Markup = mk.inline
	f.recordSend(f.chat(chat), at)
	return f.result(m), 200, ""
}

// MaxUpdatesPerCall is the most updates one getUpdates call hands out
// (its "limit", 1–100, default 100).
const MaxUpdatesPerCall = 100

func (f *FakeAPI) getUpdates(p url.Values, r *http.Request) (any, int, string) {
	offset, _ := strconv.ParseInt(p.Get("offset"), 10, 64)
	timeout, _ := strconv.Atoi(p.Get("timeout"))
	limit := MaxUpdatesPerCall
	if s := p.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, 400, "Bad Request: invalid limit"
		}
		limit = max(1, min(n, MaxUpdatesPerCall)) // Telegram clamps it
	}
	// Long polls are cut to 2 s so tests and shutdowns stay quick.
	deadline := time.Now().Add(min(time.Duration(timeout)*time.Second, 2*time.Second))
	for {
		out := []json.RawMessage{}
		keep := f.updates[:0]
		for _, u := range f.updates {
			if u.id >= offset { // getUpdates confirms everything below offset
				keep = append(keep, u)
			}
		}
		f.updates = keep
		sort.SliceStable(keep, func(i, j int) bool { return keep[i].id < keep[j].id })
		for _, u := range keep[:min(limit, len(keep))] {
			out = append(out, u.raw)
		}
		if len(out) > 0 || timeout <= 0 || !time.Now().Before(deadline) {
			return out, 200, ""
		}
		f.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-f.updReady:
		case <-r.Context().Done():
		case <-t.C:
		}
		t.Stop()
		f.mu.Lock()
		if r.Context().Err() != nil {
			return []json.RawMessage{}, 200, ""
		}
	}
}

// recordSend notes a message-producing call; mu held.
func (f *FakeAPI) recordSend(c *chatState, at time.Time) {
	c.sends = append(c.sends, at)
	f.all = append(f.all, at)
}

// result is the Message object Telegram answers for m.
func (f *FakeAPI) result(m *Message) map[string]any {
	chatType := "private"
	if m.Chat < 0 {
		chatType = "supergroup"
	}
	out := map[string]any{
		"message_id": m.ID, "date": 1,
		"chat": map[string]any{"id": m.Chat, "type": chatType},
		"from": f.botUser(),
	}
	if m.Photo != "" {
		out["photo"] = []map[string]any{
			{"file_id": photoFileID(m) + "-thumb", "file_unique_id": "t" + photoFileID(m), "width": 90, "height": 90},
			{"file_id": photoFileID(m), "file_unique_id": "u" + photoFileID(m), "width": 800, "height": 800},
		}
		if m.Caption != "" {
			out["caption"] = m.Caption
		}
	} else if inv := m.Invoice; inv != nil {
		var total int64
		for _, p := range inv.Prices {
			total += p.Amount
		}
		out["invoice"] = map[string]any{"title": inv.Title, "description": inv.Description,
			"start_parameter": inv.StartParameter, "currency": inv.Currency, "total_amount": total}
	} else {
		out["text"] = m.Text
	}
	if len(m.Markup) > 0 { // only inline keyboards are part of a Message
		out["reply_markup"] = map[string]any{"inline_keyboard": m.Markup}
	}
	return out
}

// photoFileID is the file_id Telegram answers for the photo of m: the one
// it was sent by, or for a photo sent by URL one of the fake's own.
func photoFileID(m *Message) string {
	if strings.Contains(m.Photo, "://") {
		return "AgACAgurl" + strconv.Itoa(m.ID)
	}
	return m.Photo
}

// MaxPhotoUpload is the largest photo sendPhoto accepts as an upload.
const MaxPhotoUpload = 10 << 20

// checkPhoto validates an uploaded photo as Telegram does: not empty, at
// most 10 MB, a picture it can read (JPEG, PNG, GIF or WebP).
func checkPhoto(b []byte) (int, string) {
	switch {
	case len(b) == 0:
		return 400, "Bad Request: file must be non-empty"
	case len(b) > MaxPhotoUpload:
		return 413, "Request Entity Too Large"
	}
	switch http.DetectContentType(b) {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return 0, ""
	}
	return 400, "Bad Request: IMAGE_PROCESS_FAILED"
}

// MessageJSON is m as Telegram's Message object (the "message" of a
// callback query pressing one of its buttons).
func (f *FakeAPI) MessageJSON(m Message) json.RawMessage {
	b, _ := json.Marshal(f.result(&m))
	return b
}

func writeAPI(w http.ResponseWriter, code int, desc string, result any, retryAfter int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	body := map[string]any{"ok": code == 200}
	if code == 200 {
		body["result"] = result
	} else {
		body["error_code"] = code
		body["description"] = desc
		if retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": retryAfter}
		}
	}
	_ = json.NewEncoder(w).Encode(body)
}

// checkText validates a text or caption as Telegram does and returns it
// as Telegram keeps it: entities decoded, surrounding white space trimmed.
func checkText(s, parseMode string, limit int, what string) (string, int, string) {
	plain := s
	switch parseMode {
	case "":
	case "HTML":
		var err error
		if plain, err = ParseHTML(s); err != nil {
			return "", 400, "Bad Request: can't parse entities: " + err.Error()
		}
	default:
		return "", 400, "Bad Request: unsupported parse_mode " + parseMode
	}
	switch {
	case strings.TrimSpace(plain) == "":
		return "", 400, "Bad Request: message " + what + " is empty"
	case utf16Len(plain) > limit:
		return "", 400, "Bad Request: message " + what + " is too long"
	}
	return strings.TrimSpace(plain), 0, ""
}

// ParseHTML decodes text sent with parse_mode HTML that must contain no
// tags (what the adapter sends): every <, > and & must be an entity (&lt;
// &gt; &amp; &quot; or numeric). It fails where Telegram would answer
// "can't parse entities".
func ParseHTML(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<', '>':
			return "", fmt.Errorf("unescaped %q at byte offset %d", c, i)
		case '&':
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				return "", fmt.Errorf("unterminated entity at byte offset %d", i)
			}
			ent := s[i+1 : i+j]
			switch {
			case ent == "lt":
				b.WriteByte('<')
			case ent == "gt":
				b.WriteByte('>')
			case ent == "amp":
				b.WriteByte('&')
			case ent == "quot":
				b.WriteByte('"')
			case strings.HasPrefix(ent, "#"):
				digits, base := ent[1:], 10
				if strings.HasPrefix(digits, "x") {
					digits, base = digits[1:], 16
				}
				n, err := strconv.ParseInt(digits, base, 32)
				if err != nil {
					return "", fmt.Errorf("bad numeric entity %q", ent)
				}
				b.WriteRune(rune(n))
			default:
				return "", fmt.Errorf("unsupported entity %q at byte offset %d", ent, i)
			}
			i += j + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

type markup struct {
	inline   [][]Button
	keyboard *Keyboard
	remove   bool
}

// parseMarkup validates reply_markup: an inline keyboard, a reply keyboard
// (request_contact and request_location only in private chats), or
// remove_keyboard.
func parseMarkup(raw string, private bool) (markup, int, string) {
	var mk markup
	if raw == "" {
		return mk, 0, ""
	}
	var m struct {
		InlineKeyboard *[][]Button     `json:"inline_keyboard"`
		Keyboard       *[][]KeyButton  `json:"keyboard"`
		OneTime        bool            `json:"one_time_keyboard"`
		Resize         bool            `json:"resize_keyboard"`
		RemoveKeyboard *bool           `json:"remove_keyboard"`
		ForceReply     json.RawMessage `json:"force_reply"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return mk, 400, "Bad Request: can't parse reply keyboard markup JSON object"
	}
	switch {
	case m.InlineKeyboard != nil:
		for _, row := range *m.InlineKeyboard {
			for _, b := range row {
				switch {
				case b.Text == "":
					return mk, 400, "Bad Request: text buttons are unallowed in the inline keyboard"
				case b.URL != "" && b.CallbackData != "":
					return mk, 400, "Bad Request: can't parse inline keyboard button: exactly one of the optional fields must be used"
				case b.URL != "":
					if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "tg") {
						return mk, 400, "Bad Request: inline keyboard button URL '" + b.URL + "' is invalid: unsupported URL protocol"
					}
				case len(b.CallbackData) < 1 || len(b.CallbackData) > 64:
					return mk, 400, "Bad Request: BUTTON_DATA_INVALID"
				}
			}
		}
		mk.inline = *m.InlineKeyboard
	case m.Keyboard != nil:
		if len(*m.Keyboard) == 0 {
			return mk, 400, "Bad Request: keyboard must be non-empty"
		}
		for _, row := range *m.Keyboard {
			for _, b := range row {
				switch {
				case strings.TrimSpace(b.Text) == "":
					return mk, 400, "Bad Request: keyboard button text must be non-empty"
				case (b.RequestContact || b.RequestLocation) && !private:
					// Telegram documents these buttons as private-chat only.
					return mk, 400, "Bad Request: request_contact and request_location buttons are available in private chats only"
				}
			}
		}
		mk.keyboard = &Keyboard{Rows: *m.Keyboard, OneTime: m.OneTime, Resize: m.Resize}
	case m.RemoveKeyboard != nil:
		if !*m.RemoveKeyboard {
			return mk, 400, "Bad Request: remove_keyboard must be true"
		}
		mk.remove = true
	case m.ForceReply != nil:
	default:
		return mk, 400, "Bad Request: object expected as reply markup"
	}
	return mk, 0, ""
}

func validSecret(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// utf16Len is the length Telegram measures: UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
