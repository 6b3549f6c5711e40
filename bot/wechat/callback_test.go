package wechat_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"shopbot/bot/wechat"
)

func TestVerifyURL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := strconv.FormatInt(h.clock.Now().Unix(), 10)
	stale := strconv.FormatInt(h.clock.Now().Add(-wechat.TimestampWindow-time.Second).Unix(), 10)
	for _, c := range []struct {
		name           string
		ts, sig, echo  string
		status         int
		event, wantOut string
	}{
		{"valid", now, sign(token, now, "263014780"), sampleVerifyPlain, http.StatusOK, wechat.EventVerified, sampleVerifyPlain},
		{"tampered", now, sign(token, now, "263014781"), sampleVerifyPlain, http.StatusUnauthorized, wechat.EventBadSignature, ""},
		{"other token", now, sign("other", now, "263014780"), sampleVerifyPlain, http.StatusUnauthorized, wechat.EventBadSignature, ""},
		{"stale", stale, sign(token, stale, "263014780"), sampleVerifyPlain, http.StatusUnauthorized, wechat.EventStale, ""},
		{"no echostr", now, sign(token, now, "263014780"), "", http.StatusBadRequest, wechat.EventBadRequest, ""},
		{"markup echostr", now, sign(token, now, "263014780"), "<script>alert(1)</script>", http.StatusBadRequest, wechat.EventBadRequest, ""},
	} {
		before := h.ev.get(c.event)
		q := url.Values{"signature": {c.sig}, "timestamp": {c.ts}, "nonce": {"263014780"}, "echostr": {c.echo}}
		rec := h.do(http.MethodGet, q, nil)
		if rec.Code != c.status || h.ev.get(c.event) != before+1 {
			t.Errorf("%s: status %d, %s counted %d; want %d once", c.name, rec.Code, c.event, h.ev.get(c.event)-before, c.status)
		}
		if c.wantOut != "" && (rec.Body.String() != c.wantOut || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain")) {
			t.Errorf("%s: body %q (%s)", c.name, rec.Body, rec.Header().Get("Content-Type"))
		}
	}
}

// Every refused callback: its status, one counter, nothing processed, no
// API call, and nothing of the body in the logs.
func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := h.clock.Now()
	good := textXML("oUserGood", "/shop", 42, now.Unix())
	enc := wxEncrypt(good, appID)
	signed := func(enc string) (url.Values, []byte) { return h.query(enc), envelopeXML(enc) }
	inner := func(xml string) (url.Values, []byte) { return signed(wxEncrypt(xml, appID)) }
	// Entities outside CDATA sections, where a parser would expand them.
	bare := func(content string) string {
		return strings.Replace(textXML("oUser", "", 1, now.Unix()), "<Content><![CDATA[]]></Content>", "<Content>"+content+"</Content>", 1)
	}
	withDoctype := `<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + bare("&xxe;")
	laughs := `<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` + bare("&b;")
	huge := textXML("oUser", strings.Repeat("大", 7000), 1, now.Unix()) // 21 KB of text
	var many strings.Builder
	many.WriteString("<xml><FromUserName>oUser</FromUserName><MsgType>text</MsgType>")
	for i := range 200 {
		many.WriteString("<E" + strconv.Itoa(i) + ">x</E" + strconv.Itoa(i) + ">")
	}
	many.WriteString("</xml>")
	// random(16) + a length far beyond the plaintext + msg + appid
	var overlong bytes.Buffer
	overlong.Write(make([]byte, 16))
	_ = binary.Write(&overlong, binary.BigEndian, uint32(0x7ffffff0))
	overlong.WriteString(good + appID)
	notBlocks := make([]byte, 40)
	_, _ = rand.Read(notBlocks)

	cases := []struct {
		name   string
		build  func() (url.Values, []byte)
		status int
		event  string
	}{
		{"tampered msg_signature", func() (url.Values, []byte) {
			q, b := signed(enc)
			s := q.Get("msg_signature")
			q.Set("msg_signature", s[:39]+string("10"[s[39]&1]))
			return q, b
		}, http.StatusUnauthorized, wechat.EventBadSignature},
		{"signature of another body", func() (url.Values, []byte) {
			q, _ := signed(enc)
			return q, envelopeXML(wxEncrypt(textXML("oAttacker", "/orders", 43, now.Unix()), appID))
		}, http.StatusUnauthorized, wechat.EventBadSignature},
		{"no msg_signature", func() (url.Values, []byte) {
			q, b := signed(enc)
			q.Del("msg_signature")
			return q, b
		}, http.StatusUnauthorized, wechat.EventBadSignature},
		{"plain signature only", func() (url.Values, []byte) {
			q, b := signed(enc)
			q.Set("msg_signature", q.Get("signature"))
			return q, b
		}, http.StatusUnauthorized, wechat.EventBadSignature},
		{"wrong appid", func() (url.Values, []byte) { return signed(wxEncrypt(good, "wx0000000000000000")) },
			http.StatusForbidden, wechat.EventWrongAppID},
		{"timestamp 6 min old", func() (url.Values, []byte) {
			return h.queryAt(enc, now.Add(-6*time.Minute)), envelopeXML(enc)
		}, http.StatusUnauthorized, wechat.EventStale},
		{"timestamp 6 min ahead", func() (url.Values, []byte) {
			return h.queryAt(enc, now.Add(6*time.Minute)), envelopeXML(enc)
		}, http.StatusUnauthorized, wechat.EventStale},
		{"timestamp not a number", func() (url.Values, []byte) {
			q, b := signed(enc)
			q.Set("timestamp", "yesterday")
			return q, b
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"no nonce", func() (url.Values, []byte) {
			q, b := signed(enc)
			q.Del("nonce")
			return q, b
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"invalid base64", func() (url.Values, []byte) { return signed("not*base64!") }, http.StatusBadRequest, wechat.EventBadCrypto},
		{"not whole AES blocks", func() (url.Values, []byte) { return signed(base64.StdEncoding.EncodeToString(notBlocks)) },
			http.StatusBadRequest, wechat.EventBadCrypto},
		{"padding byte 33", func() (url.Values, []byte) { return signed(wxEncryptRaw(good, appID, 33)) }, http.StatusBadRequest, wechat.EventBadCrypto},
		{"padding byte 200", func() (url.Values, []byte) { return signed(wxEncryptRaw(good, appID, 200)) }, http.StatusBadRequest, wechat.EventBadCrypto},
		{"length beyond plaintext", func() (url.Values, []byte) { return signed(wxEncryptPlain(overlong.Bytes(), 0)) },
			http.StatusBadRequest, wechat.EventBadCrypto},
		{"duplicated Encrypt", func() (url.Values, []byte) {
			other := wxEncrypt(textXML("oAttacker", "/orders", 44, now.Unix()), appID)
			q := h.query(enc) // signed over the first, the decoder would keep the last
			return q, []byte("<xml><ToUserName>gh</ToUserName><Encrypt>" + enc + "</Encrypt><Encrypt>" + other + "</Encrypt></xml>")
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"DOCTYPE in the envelope", func() (url.Values, []byte) {
			q, b := signed(enc)
			return q, append([]byte(`<!DOCTYPE xml [<!ENTITY e "x">]>`), b...)
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"duplicated FromUserName", func() (url.Values, []byte) {
			return inner(strings.Replace(good, "<CreateTime>", "<FromUserName>oOther</FromUserName><CreateTime>", 1))
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"duplicated Content", func() (url.Values, []byte) {
			return inner(strings.Replace(good, "<MsgId>", "<Content>/orders</Content><MsgId>", 1))
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"huge element", func() (url.Values, []byte) { return inner(huge) }, http.StatusBadRequest, wechat.EventBadRequest},
		{"too many elements", func() (url.Values, []byte) { return inner(many.String()) }, http.StatusBadRequest, wechat.EventBadRequest},
		{"external entity", func() (url.Values, []byte) { return inner(withDoctype) }, http.StatusBadRequest, wechat.EventBadRequest},
		{"entity expansion", func() (url.Values, []byte) { return inner(laughs) }, http.StatusBadRequest, wechat.EventBadRequest},
		{"undefined entity", func() (url.Values, []byte) {
			return inner(bare("&nbsp;"))
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"GBK declaration", func() (url.Values, []byte) { return inner(`<?xml version="1.0" encoding="GBK"?>` + good) },
			http.StatusBadRequest, wechat.EventBadRequest},
		{"processing instruction", func() (url.Values, []byte) { return inner(`<?php echo 1; ?>` + good) },
			http.StatusBadRequest, wechat.EventBadRequest},
		{"two roots", func() (url.Values, []byte) { return inner(good + good) }, http.StatusBadRequest, wechat.EventBadRequest},
		{"root not xml", func() (url.Values, []byte) {
			return inner(strings.ReplaceAll(good, "xml>", "msg>"))
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"invalid openid", func() (url.Values, []byte) { return inner(textXML("o user<script>", "/shop", 45, now.Unix())) },
			http.StatusBadRequest, wechat.EventBadRequest},
		{"MsgId not a number", func() (url.Values, []byte) {
			return inner(strings.Replace(good, "<MsgId>42", "<MsgId>4x2", 1))
		}, http.StatusBadRequest, wechat.EventBadRequest},
		{"empty body", func() (url.Values, []byte) { q, _ := signed(enc); return q, nil }, http.StatusBadRequest, wechat.EventBadRequest},
		{"oversized body", func() (url.Values, []byte) {
			q, _ := signed(enc)
			return q, []byte("<xml><Encrypt>" + strings.Repeat("A", wechat.MaxBody) + "</Encrypt></xml>")
		}, http.StatusRequestEntityTooLarge, wechat.EventTooLarge},
		{"plaintext refused", func() (url.Values, []byte) {
			q, _ := signed(enc)
			q.Del("encrypt_type")
			q.Del("msg_signature")
			return q, []byte(good)
		}, http.StatusForbidden, wechat.EventPlaintext},
		{"unknown encrypt_type", func() (url.Values, []byte) {
			q, b := signed(enc)
			q.Set("encrypt_type", "des")
			return q, b
		}, http.StatusBadRequest, wechat.EventBadRequest},
	}
	for _, c := range cases {
		before := h.ev.snapshot()
		q, body := c.build()
		rec := h.do(http.MethodPost, q, body)
		after := h.ev.snapshot()
		if rec.Code != c.status {
			t.Errorf("%s: status %d; want %d", c.name, rec.Code, c.status)
		}
		for name, n := range after {
			if want := before[name] + map[bool]int{true: 1}[name == c.event]; n != want {
				t.Errorf("%s: event %s counted %d→%d", c.name, name, before[name], n)
			}
		}
		if after[c.event] != before[c.event]+1 {
			t.Errorf("%s: %s not counted", c.name, c.event)
		}
	}

	// An oversized body whose length is not announced is cut off too.
	req := httptest.NewRequest(http.MethodPost, "/wechat?"+h.query(enc).Encode(),
		strings.NewReader("<xml><Encrypt>"+strings.Repeat("A", 2*wechat.MaxBody)+"</Encrypt></xml>"))
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversized body: status %d", rec.Code)
	}

	h.wait()
	if h.routed.Load() != 0 || len(h.api.KF()) != 0 {
		t.Fatalf("refused callbacks reached the router (%d) or the API (%d)", h.routed.Load(), len(h.api.KF()))
	}
	if logs := h.logs.String(); logs != "" {
		t.Fatalf("refusals were logged: %s", logs)
	}
	// The good request itself still works afterwards.
	if r := h.open(h.do(http.MethodPost, h.query(enc), envelopeXML(enc))); !strings.HasPrefix(r.Content, zh("categories", nil)) {
		t.Fatalf("good request: %q", r.Content)
	}
}

// A message delivered twice (WeChat's retry, or a replay within the
// timestamp window) is processed once; the retry gets the same answer.
func TestReplayProcessedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	msg := textXML("oReplay", "/shop", 123456789, h.clock.Now().Unix())
	enc := wxEncrypt(msg, appID)
	q, body := h.query(enc), envelopeXML(enc)
	first := h.open(h.do(http.MethodPost, q, body))
	h.clock.Advance(5 * time.Second)
	again := h.open(h.do(http.MethodPost, q, body))                            // the very same request
	third := h.open(h.post(msg))                                               // re-encrypted, re-signed: same MsgId
	other := h.open(h.post(strings.Replace(msg, "123456789", "123456790", 1))) // a new MsgId
	if first.Content == "" || again.Content != first.Content || third.Content != first.Content {
		t.Fatalf("retry answers differ:\n%q\n%q\n%q", first.Content, again.Content, third.Content)
	}
	if other.Content == "" || h.routed.Load() != 2 || h.ev.get(wechat.EventDuplicate) != 2 {
		t.Fatalf("routed %d, duplicates %d; want 2 and 2", h.routed.Load(), h.ev.get(wechat.EventDuplicate))
	}
	// Once the short answer cache forgot it, a late replay is acknowledged
	// with "success" and still not processed.
	h.clock.Advance(time.Minute)
	if r := h.open(h.post(msg)); r.Content != "" {
		t.Fatalf("late duplicate answered %q", r.Content)
	}
	if h.routed.Load() != 2 {
		t.Fatalf("late duplicate processed")
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	products, _ := h.store.Products(t.Context(), commerceFilterAll())
	var serum, tin = productBySKU(t, products, "COS-001"), productBySKU(t, products, "BAB-001")
	cats, _ := h.store.Categories(t.Context())

	welcome := h.event("oEv1", "subscribe", "")
	if !strings.HasPrefix(welcome, zh("welcome", map[string]any{"Name": ""})) || len(options(welcome)) != 5 {
		t.Fatalf("subscribe: %q", welcome)
	}
	if h.ev.get(wechat.EventSubscribe) != 1 {
		t.Fatal("subscribe not counted")
	}

	// Subscribing through a product's QR code opens the product: the card
	// goes out as a news message before the passive text.
	card := h.event("oEv2", "subscribe", "qrscene_p_"+strconv.FormatInt(serum.ID, 10))
	if !strings.HasPrefix(card, serum.Title.In("zh-CN")) {
		t.Fatalf("subscribe with scene: %q", card)
	}
	kf := h.api.KF()
	if len(kf) != 1 || kf[0]["msgtype"] != "news" || kf[0]["touser"] != "oEv2" {
		t.Fatalf("product card: %v", kf)
	}
	article := kf[0]["news"].(map[string]any)["articles"].([]any)[0].(map[string]any)
	if article["picurl"] != publicURL+"/img/demo:COS-001.png" || article["title"] != serum.Title.In("zh-CN") {
		t.Fatalf("card article: %v", article)
	}

	// A follower scanning a category's or a product's code.
	if got := h.event("oEv1", "SCAN", "c_"+strconv.FormatInt(cats[0].ID, 10)); !strings.HasPrefix(got, cats[0].Title.In("zh-CN")) {
		t.Fatalf("SCAN category: %q", got)
	}
	if got := h.event("oEv1", "SCAN", "p_"+strconv.FormatInt(tin.ID, 10)); !strings.HasPrefix(got, tin.Title.In("zh-CN")) {
		t.Fatalf("SCAN product: %q", got)
	}
	if got := h.event("oEv1", "SCAN", "no such scene!"); !strings.HasPrefix(got, zh("welcome", map[string]any{"Name": ""})) {
		t.Fatalf("SCAN with a bad scene: %q", got)
	}

	// Menu clicks.
	for key, want := range map[string]string{"SHOP": zh("categories", nil), "CART": zh("cart_empty", nil), "ORDERS": zh("orders_empty", nil)} {
		if got := h.event("oEv1", "CLICK", key); !strings.HasPrefix(got, want) {
			t.Errorf("CLICK %s: %q", key, got)
		}
	}

	// Acknowledged without a reply.
	routed := h.routed.Load()
	for _, ev := range []struct{ event, key string }{{"VIEW", "https://shop.example.com/"}, {"TEMPLATESENDJOBFINISH", ""}, {"weapp_audit_success", ""}} {
		if got := h.event("oEv1", ev.event, ev.key); got != "" {
			t.Errorf("%s answered %q", ev.event, got)
		}
	}
	loc := strings.Replace(eventXML("oEv1", "LOCATION", "", h.clock.Now().Unix()), "</xml>",
		"<Latitude>31.2304</Latitude><Longitude>121.4737</Longitude><Precision>65.0</Precision></xml>", 1)
	if r := h.open(h.post(loc)); r.Content != "" {
		t.Errorf("LOCATION answered %q", r.Content)
	}
	h.locMu.Lock()
	if len(h.locations) != 1 || h.locations[0] != "oEv1 31.2304 121.4737" {
		t.Errorf("locations: %v", h.locations)
	}
	h.locMu.Unlock()
	unknownType := strings.Replace(textXML("oEv1", "x", 99, h.clock.Now().Unix()), "[text]", "[miniprogrampage]", 1)
	if r := h.open(h.post(unknownType)); r.Content != "" {
		t.Errorf("unknown message type answered %q", r.Content)
	}
	if h.routed.Load() != routed {
		t.Errorf("ignored events reached the router")
	}

	// Media the bot cannot read get a fixed answer, in the conversation's language.
	for typ, want := range map[string]string{"image": "暂时无法识别图片", "voice": "暂不支持语音", "video": "暂不支持此类消息"} {
		x := strings.Replace(textXML("oEv1", "", 100, h.clock.Now().Unix()), "[text]", "["+typ+"]", 1)
		if r := h.open(h.post(x)); !strings.HasPrefix(r.Content, want) {
			t.Errorf("%s: %q", typ, r.Content)
		}
	}
	h.send("oEv1", "/lang en")
	if r := h.open(h.post(strings.Replace(textXML("oEv1", "", 101, h.clock.Now().Unix()), "[text]", "[voice]", 1))); !strings.HasPrefix(r.Content, "Voice messages") {
		t.Errorf("voice after /lang en: %q", r.Content)
	}

	// The same event delivered twice is handled once.
	ev := eventXML("oEv3", "CLICK", "SHOP", h.clock.Now().Unix())
	routed = h.routed.Load()
	h.open(h.post(ev))
	h.open(h.post(ev))
	if h.routed.Load() != routed+1 {
		t.Errorf("repeated event routed %d times", h.routed.Load()-routed)
	}

	// Unsubscribing forgets the numbered options.
	h.event("oEv1", "CLICK", "SHOP")
	if got := h.event("oEv1", "unsubscribe", ""); got != "" {
		t.Errorf("unsubscribe answered %q", got)
	}
	if got := h.send("oEv1", "1"); strings.HasPrefix(got, cats[0].Title.In("en")) {
		t.Errorf("option 1 still mapped after unsubscribe: %q", got)
	}
}

// Plaintext callbacks work only when explicitly enabled, signed with the
// plain signature, and get plaintext replies.
func TestPlaintextOptIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *wechat.Options) { o.Plaintext, o.AESKey = true, "" })
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	q := url.Values{"timestamp": {ts}, "nonce": {"77"}, "signature": {sign(token, ts, "77")}}
	rec := h.do(http.MethodPost, q, []byte(textXML("oPlain", "/help", 1, h.clock.Now().Unix())))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<ToUserName><![CDATA[oPlain]]></ToUserName>") {
		t.Fatalf("plaintext: %d %s", rec.Code, rec.Body)
	}
	q.Set("signature", sign("nottoken", ts, "77"))
	if rec := h.do(http.MethodPost, q, []byte(textXML("oPlain", "/help", 2, h.clock.Now().Unix()))); rec.Code != http.StatusUnauthorized {
		t.Fatalf("bad plaintext signature: %d", rec.Code)
	}
	q.Set("encrypt_type", "aes") // safe mode without a key configured
	if rec := h.do(http.MethodPost, q, []byte("<xml/>")); rec.Code != http.StatusBadRequest {
		t.Fatalf("aes without key: %d", rec.Code)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	base := h.opts
	for name, mod := range map[string]func(*wechat.Options){
		"no router":       func(o *wechat.Options) { o.Router = nil },
		"no token":        func(o *wechat.Options) { o.Token = "" },
		"no secret":       func(o *wechat.Options) { o.AppSecret = "" },
		"no key":          func(o *wechat.Options) { o.AESKey = "" },
		"short key":       func(o *wechat.Options) { o.AESKey = aesKey[:42] },
		"bad key":         func(o *wechat.Options) { o.AESKey = strings.Repeat("!", 43) },
		"relative base":   func(o *wechat.Options) { o.APIBase = "/api" },
		"bad public URL":  func(o *wechat.Options) { o.PublicURL = "ftp://x" },
		"query in base":   func(o *wechat.Options) { o.APIBase = "https://api.weixin.qq.com/?x=1" },
		"no appid":        func(o *wechat.Options) { o.AppID = "" },
		"plaintext safe?": func(o *wechat.Options) { o.AESKey = ""; o.Plaintext = false },
	} {
		o := base
		mod(&o)
		if _, err := wechat.New(o); err == nil {
			t.Errorf("%s: New accepted it", name)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error shows the secret", name)
		}
	}
}
