package wechat_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"shopbot/bot/wechat"
)

// WeChat's published example (Tencent's WXBizMsgCrypt samples and the
// encryption documentation): token "QDG6eK", EncodingAESKey
// "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", appid (receiveid)
// "wx5823bf96d3bd56c7".
const (
	sampleMsgSig    = "477715d11cdb4164915debcba66cb864d751f3e6"
	sampleTimestamp = "1409659813"
	sampleNonce     = "1372623149"
	sampleEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
	samplePlain     = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>"
	// The URL-verification sample: msg_signature over the encrypted echostr.
	sampleVerifySig   = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	sampleVerifyTS    = "1409659589"
	sampleVerifyNonce = "263014780"
	sampleVerifyEcho  = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	sampleVerifyPlain = "1616140317555161061"
)

func TestPublishedVectors(t *testing.T) {
	t.Parallel()
	// The library's helpers and our from-the-spec test helpers agree with
	// the published values.
	if got := util.Signature(token, sampleTimestamp, sampleNonce, sampleEncrypt); got != sampleMsgSig {
		t.Errorf("util.Signature = %s; want %s", got, sampleMsgSig)
	}
	if got := sign(token, sampleTimestamp, sampleNonce, sampleEncrypt); got != sampleMsgSig {
		t.Errorf("sign = %s; want %s", got, sampleMsgSig)
	}
	if got := util.Signature(token, sampleVerifyTS, sampleVerifyNonce, sampleVerifyEcho); got != sampleVerifySig {
		t.Errorf("verify signature = %s; want %s", got, sampleVerifySig)
	}
	for _, c := range []struct{ enc, plain string }{{sampleEncrypt, samplePlain}, {sampleVerifyEcho, sampleVerifyPlain}} {
		_, plain, err := util.DecryptMsg(appID, c.enc, aesKey)
		if err != nil || string(plain) != c.plain {
			t.Errorf("util.DecryptMsg = %q, %v; want %q", plain, err, c.plain)
		}
		if plain, err := wxDecrypt(c.enc); err != nil || plain != c.plain {
			t.Errorf("wxDecrypt = %q, %v; want %q", plain, err, c.plain)
		}
	}
}

// The published callback, posted to our handler at its own time, is
// accepted and answered with an encrypted reply to its sender.
func TestPublishedCallback(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.clock.Set(time.Unix(1409659813, 0))
	q := url.Values{"timestamp": {sampleTimestamp}, "nonce": {sampleNonce}, "msg_signature": {sampleMsgSig}, "encrypt_type": {"aes"}}
	body := "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[" + sampleEncrypt + "]]></Encrypt></xml>"
	r := h.open(h.do(http.MethodPost, q, []byte(body)))
	if r.ToUserName != "mycreate" || r.FromUserName != "wx5823bf96d3bd56c7" || r.Content == "" {
		t.Fatalf("reply = %+v", r)
	}
	if !strings.HasPrefix(r.Content, zh("search_none", map[string]any{"Ask": false})) { // "hello" is no command: a search that finds nothing
		t.Errorf("reply content = %q", r.Content)
	}
	if h.routed.Load() != 1 {
		t.Errorf("router handled %d messages; want 1", h.routed.Load())
	}

	// A minute outside the window, the same request is refused.
	h.clock.Set(time.Unix(1409659813, 0).Add(wechat.TimestampWindow + time.Minute))
	if rec := h.do(http.MethodPost, q, []byte(body)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("stale replay: status %d", rec.Code)
	}
}

// Our encrypted replies decrypt with the library too, and two replies to
// the same text differ (fresh random bytes and nonce).
func TestReplyEncryptionIsFresh(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var bodies []string
	for range 2 {
		rec := h.post(textXML("oUser1", "/help", h.msgID.Add(1), h.clock.Now().Unix()))
		bodies = append(bodies, rec.Body.String())
		var env struct {
			Encrypt string `xml:"Encrypt"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatal(err)
		}
		if _, plain, err := util.DecryptMsg(appID, env.Encrypt, aesKey); err != nil || !strings.Contains(string(plain), "oUser1") {
			t.Fatalf("library cannot open our reply: %v", err)
		}
	}
	if bodies[0] == bodies[1] {
		t.Fatal("two replies are byte-identical")
	}
}

// The root package of the library switches logrus to debug on stdout and
// logs decrypted messages; it (and logrus) must stay out of the build.
func TestLibraryRootPackageNotLinked(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "shopbot/bot/wechat").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case line == "github.com/silenceper/wechat/v2",
			strings.HasPrefix(line, "github.com/sirupsen/logrus"),
			strings.HasPrefix(line, "github.com/silenceper/wechat/v2/officialaccount/server"):
			t.Errorf("bot/wechat depends on %s", line)
		}
	}
}
