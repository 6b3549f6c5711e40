package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"shopbot/bot"
)

var (
	timestampRe = regexp.MustCompile(`^[0-9]{1,12}$`)
	nonceRe     = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
	echoRe      = regexp.MustCompile(`^[A-Za-z0-9_=+/.-]{1,128}$`)
)

// fail answers a refused callback: a status, no detail, one counter. Nothing
// about the request is logged.
func (a *Adapter) fail(w http.ResponseWriter, status int, event string) {
	a.o.OnEvent(event)
	http.Error(w, http.StatusText(status), status)
}

// fresh reports whether a callback timestamp is within TimestampWindow of
// our clock.
func (a *Adapter) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := a.o.Clock().Sub(time.Unix(sec, 0))
	return d <= TimestampWindow && d >= -TimestampWindow
}

// verifyURL answers WeChat's URL verification: signature = sha1 of the
// sorted token, timestamp and nonce; the echostr is echoed back.
func (a *Adapter) verifyURL(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce, sig, echo := q.Get("timestamp"), q.Get("nonce"), q.Get("signature"), q.Get("echostr")
	if !timestampRe.MatchString(ts) || !nonceRe.MatchString(nonce) || !echoRe.MatchString(echo) {
		a.fail(w, http.StatusBadRequest, EventBadRequest)
		return
	}
	if !a.fresh(ts) {
		a.fail(w, http.StatusUnauthorized, EventStale)
		return
	}
	if !signatureOK(sig, a.o.Token, ts, nonce) {
		a.fail(w, http.StatusUnauthorized, EventBadSignature)
		return
	}
	a.o.OnEvent(EventVerified)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.WriteString(w, echo)
}

// callback handles POST /wechat: verify, decrypt, parse, then hand the
// message to the router and answer within the reply budget.
func (a *Adapter) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !timestampRe.MatchString(ts) || !nonceRe.MatchString(nonce) {
		a.fail(w, http.StatusBadRequest, EventBadRequest)
		return
	}
	var safe bool
	switch q.Get("encrypt_type") {
	case "aes":
		if a.aesKey == nil {
			a.fail(w, http.StatusBadRequest, EventBadRequest)
			return
		}
		safe = true
	case "", "raw":
		if !a.o.Plaintext {
			a.fail(w, http.StatusForbidden, EventPlaintext)
			return
		}
	default:
		a.fail(w, http.StatusBadRequest, EventBadRequest)
		return
	}
	if !a.fresh(ts) {
		a.fail(w, http.StatusUnauthorized, EventStale)
		return
	}
	if r.ContentLength > MaxBody {
		a.fail(w, http.StatusRequestEntityTooLarge, EventTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.fail(w, http.StatusRequestEntityTooLarge, EventTooLarge)
			return
		}
		a.fail(w, http.StatusBadRequest, EventBadRequest)
		return
	}
	inner := body
	if safe {
		env, err := parseEnvelope(body)
		if err != nil {
			a.fail(w, http.StatusBadRequest, EventBadRequest)
			return
		}
		if !signatureOK(q.Get("msg_signature"), a.o.Token, ts, nonce, env.Encrypt) {
			a.fail(w, http.StatusUnauthorized, EventBadSignature)
			return
		}
		inner, err = a.decrypt(env.Encrypt)
		switch {
		case errors.Is(err, errWrongApp):
			a.fail(w, http.StatusForbidden, EventWrongAppID)
			return
		case err != nil:
			a.fail(w, http.StatusBadRequest, EventBadCrypto)
			return
		}
	} else if !signatureOK(q.Get("signature"), a.o.Token, ts, nonce) {
		a.fail(w, http.StatusUnauthorized, EventBadSignature)
		return
	}
	mix, err := parseMessage(inner)
	if err != nil || !openIDRe.MatchString(string(mix.FromUserName)) || len(mix.ToUserName) > 64 {
		a.fail(w, http.StatusBadRequest, EventBadRequest)
		return
	}
	a.dispatch(w, r, mix, safe)
}

// Kinds of inbound callbacks.
const (
	kindIgnore      = iota // acknowledge only
	kindRouter             // a bot.Message for the router
	kindFixed              // answered with a fixed WeChat-only text
	kindUnsubscribe        // forget the user
	kindLocation           // pass to OnLocation (and thank for a sent location)
)

type inbound struct {
	kind     int
	msg      bot.Message
	event    string // counted with OnEvent
	quota    int    // customer-service messages this interaction allows
	fixed    string // text key for kindFixed and kindLocation ("" = no reply)
	lat, lng float64
	picURL   string // an image message's picture, downloaded into msg.Photo
}

// classify turns a WeChat message or event into what to do with it. safe
// tells whether the message body was covered by the signature (safe mode).
func (a *Adapter) classify(m *message.MixMessage, safe bool) inbound {
	openID := string(m.FromUserName)
	msg := bot.Message{Channel: bot.ChannelWeChat, ChatID: openID, UserID: openID}
	in := inbound{kind: kindRouter, event: EventMessage, quota: a.o.KFQuota}
	switch m.MsgType {
	case message.MsgTypeText:
		msg.Text = m.Content
		if m.MsgID != 0 {
			msg.UpdateID = "m:" + strconv.FormatInt(m.MsgID, 10)
		} else {
			msg.UpdateID = hashID("t", openID, strconv.FormatInt(m.CreateTime, 10), m.Content)
		}
	case message.MsgTypeImage:
		u, ok := picURL(m.PicURL)
		if !ok || !safe {
			return inbound{kind: kindFixed, event: EventUnsupported, quota: a.o.KFQuota, fixed: "image"}
		}
		in.picURL = u
		if m.MsgID != 0 {
			msg.UpdateID = "m:" + strconv.FormatInt(m.MsgID, 10)
		} else {
			msg.UpdateID = hashID("i", openID, strconv.FormatInt(m.CreateTime, 10), m.PicURL)
		}
	case message.MsgTypeVoice:
		return inbound{kind: kindFixed, event: EventUnsupported, quota: a.o.KFQuota, fixed: "voice"}
	case message.MsgTypeLocation:
		return inbound{kind: kindLocation, event: EventLocation, quota: a.o.KFQuota, fixed: "location",
			lat: m.LocationX, lng: m.LocationY}
	case message.MsgTypeVideo, message.MsgTypeShortVideo, message.MsgTypeLink, "file":
		return inbound{kind: kindFixed, event: EventUnsupported, quota: a.o.KFQuota, fixed: "unsupported"}
	case message.MsgTypeEvent:
		in.quota = a.o.KFQuotaEvent
		msg.UpdateID = hashID("e", openID, strconv.FormatInt(m.CreateTime, 10), string(m.Event), m.EventKey)
		switch m.Event {
		case message.EventSubscribe:
			in.event = EventSubscribe
			msg.Text = startCommand(strings.TrimPrefix(m.EventKey, "qrscene_"))
		case message.EventScan:
			msg.Text = startCommand(m.EventKey)
		case message.EventClick:
			msg.Text = menuCommands[m.EventKey]
			if msg.Text == "" {
				msg.Text = "/start"
			}
		case message.EventUnsubscribe:
			return inbound{kind: kindUnsubscribe, event: EventUnsubscribe}
		case message.EventLocation:
			lat, err1 := strconv.ParseFloat(m.Latitude, 64)
			lng, err2 := strconv.ParseFloat(m.Longitude, 64)
			if err1 != nil || err2 != nil {
				return inbound{kind: kindIgnore, event: EventIgnored}
			}
			return inbound{kind: kindLocation, event: EventLocation, lat: lat, lng: lng}
		default: // VIEW (the link opens by itself), template/mass-send reports, unknown events
			return inbound{kind: kindIgnore, event: EventIgnored}
		}
	default:
		return inbound{kind: kindIgnore, event: EventIgnored}
	}
	in.msg = msg
	return in
}

// startCommand opens a QR scene ("p_12", "c_3", …) like a deep link.
func startCommand(scene string) string {
	if sceneRe.MatchString(scene) {
		return "/start " + scene
	}
	return "/start"
}

// hashID derives a bounded update id from the fields that identify an event.
func hashID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// dispatch acts on a verified callback.
func (a *Adapter) dispatch(w http.ResponseWriter, r *http.Request, m *message.MixMessage, safe bool) {
	ctx := r.Context()
	openID := string(m.FromUserName)
	in := a.classify(m, safe)
	a.o.OnEvent(in.event)
	if in.quota > 0 {
		if err := a.o.Windows.OpenWindow(ctx, openID, a.o.Clock(), in.quota); err != nil {
			a.o.Log.WarnContext(ctx, "wechat: window store failed", "err", a.o.Router.ScrubError(err, openID))
		}
	}
	switch in.kind {
	case kindIgnore:
		a.success(w)
		return
	case kindUnsubscribe:
		_ = a.o.Choices.ForgetChoices(ctx, openID)
		_ = a.o.Windows.CloseWindow(ctx, openID)
		a.success(w)
		return
	case kindLocation:
		if a.o.OnLocation != nil {
			a.o.OnLocation(ctx, openID, in.lat, in.lng)
		}
		if in.fixed == "" {
			a.success(w)
			return
		}
		fallthrough
	case kindFixed:
		a.writePassive(w, safe, passiveText(openID, string(m.ToUserName), a.say(a.userLang(ctx, openID), in.fixed), a.o.Clock()))
		return
	}

	deadline := time.Now().Add(a.o.ReplyBudget)
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.o.HandleTimeout)
	var state atomic.Int32 // 0 running, 1 answered in time, 2 late: delivered by kf
	done := make(chan result, 1)
	a.goBackground(func() {
		defer cancel()
		var res result
		if in.picURL != "" {
			res = a.handleImage(hctx, in, m)
		} else {
			res = a.handle(hctx, in.msg, m)
		}
		if state.CompareAndSwap(0, 1) {
			done <- res
			return
		}
		if !res.dup && !res.out.empty() {
			a.sendAll(hctx, res.out.kfMessages(openID))
		}
	})
	timer := time.NewTimer(a.o.ReplyBudget)
	defer timer.Stop()
	select {
	case out := <-done:
		a.answer(w, m, safe, in.msg.UpdateID, out, deadline)
	case <-timer.C:
		if state.CompareAndSwap(0, 2) {
			a.o.OnEvent(EventLate)
			a.success(w)
			return
		}
		a.answer(w, m, safe, in.msg.UpdateID, <-done, deadline)
	}
}

// result is what handle produced: the rendered answer, or a duplicate.
type result struct {
	out rendered
	dup bool
}

// handle runs one message through the router under the user's lock: typed
// numbers and msgmenu taps become the actions they stand for, and the new
// options are remembered.
func (a *Adapter) handle(ctx context.Context, msg bot.Message, m *message.MixMessage) result {
	unlock, err := a.locks.Lock(ctx, "wx:"+msg.UserID, time.Minute)
	if err != nil {
		return result{}
	}
	defer unlock()
	prev, have, err := a.o.Choices.LoadChoices(ctx, msg.UserID)
	if err != nil {
		a.o.Log.WarnContext(ctx, "wechat: choice store failed", "err", a.o.Router.ScrubError(err, msg.UserID))
	}
	resolveChoice(&msg, m, prev, have)
	replies, err := a.o.Router.Handle(ctx, msg)
	switch {
	case errors.Is(err, bot.ErrDuplicate):
		a.o.OnEvent(EventDuplicate)
		return result{dup: true}
	case errors.Is(err, bot.ErrSlowDown):
		// Over the sender's limit: not handled. The first of a flood is
		// told to slow down; the options shown before stay valid.
		a.o.OnEvent(EventLimited)
		if len(replies) == 0 {
			return result{}
		}
		return result{out: a.render(replies, prev.Lang)}
	case err != nil:
		// Failed on our side: the router's localized "try again" is the
		// passive reply (see the package comment).
		a.o.OnEvent(EventRouterError)
		a.o.Log.ErrorContext(ctx, "wechat: router failed", "user", a.o.Router.LogID(msg.UserID), "err", err)
	}
	if len(replies) == 0 {
		return result{}
	}
	out := a.render(replies, prev.Lang)
	saved, err := a.o.Choices.SaveChoices(ctx, msg.UserID, out.actions(), out.lang, ChoicesTTL)
	if err != nil {
		a.o.Log.WarnContext(ctx, "wechat: choice store failed", "err", a.o.Router.ScrubError(err, msg.UserID))
	}
	out.gen = saved.Gen
	return result{out: out}
}

// resolveChoice maps a msgmenu tap or a typed option number to its action.
// A tap on an outdated menu becomes an action the router answers as stale;
// a number without current options stays text.
func resolveChoice(msg *bot.Message, m *message.MixMessage, c Choices, have bool) {
	if m.MsgType != message.MsgTypeText {
		return
	}
	if m.BizMsgMenuID != 0 {
		gen, n := m.BizMsgMenuID/100, int(m.BizMsgMenuID%100)
		msg.Text, msg.Action = "", staleAction
		if have && gen == c.Gen && n >= 1 && n <= len(c.Actions) {
			msg.Action = c.Actions[n-1]
		}
		return
	}
	if n, ok := choiceNumber(msg.Text); ok && have && n <= len(c.Actions) {
		msg.Text, msg.Action = "", c.Actions[n-1]
	}
}

// answer writes the passive reply: the last text chunk. Product cards and
// earlier chunks go first as customer-service messages, synchronously while
// the budget allows (so they arrive before the reply), else afterwards.
func (a *Adapter) answer(w http.ResponseWriter, m *message.MixMessage, safe bool, updateID string, res result, deadline time.Time) {
	openID, out := string(m.FromUserName), res.out
	if res.dup { // repeat the answer in case WeChat lost it
		if inner := a.replies.get(updateID); inner != nil {
			a.writePassive(w, safe, inner)
			return
		}
		a.success(w)
		return
	}
	texts := out.numbered()
	if len(texts) == 0 {
		if len(out.cards) > 0 {
			a.goBackground(func() { a.sendAll(context.Background(), out.kfMessages(openID)) })
		}
		a.success(w)
		return
	}
	var pre []*message.CustomerMessage
	for _, c := range out.cards {
		pre = append(pre, newsMessage(openID, c))
	}
	for _, t := range texts[:len(texts)-1] {
		pre = append(pre, message.NewCustomerTextMessage(openID, t))
	}
	if len(pre) > 0 {
		if left := time.Until(deadline) - 200*time.Millisecond; left >= 300*time.Millisecond {
			ctx, cancel := context.WithTimeout(context.Background(), left)
			a.sendAll(ctx, pre)
			cancel()
		} else {
			a.goBackground(func() {
				ctx, cancel := context.WithTimeout(context.Background(), a.o.HandleTimeout)
				defer cancel()
				a.sendAll(ctx, pre)
			})
		}
	}
	inner := passiveText(openID, string(m.ToUserName), texts[len(texts)-1], a.o.Clock())
	a.replies.put(updateID, inner)
	a.writePassive(w, safe, inner)
}

// userLang is the locale of the replies last shown to openID.
func (a *Adapter) userLang(ctx context.Context, openID string) string {
	if c, ok, _ := a.o.Choices.LoadChoices(ctx, openID); ok && c.Lang != "" {
		return c.Lang
	}
	return ""
}

// writePassive sends a passive reply, encrypted in safe mode.
func (a *Adapter) writePassive(w http.ResponseWriter, safe bool, inner []byte) {
	body := inner
	if safe {
		var err error
		if body, err = a.encryptReply(inner, a.o.Clock()); err != nil {
			a.o.Log.Error("wechat: encrypting a reply failed", "err", err)
			a.success(w)
			return
		}
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(body)
}

// success acknowledges a callback without a passive reply.
func (a *Adapter) success(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "success")
}
