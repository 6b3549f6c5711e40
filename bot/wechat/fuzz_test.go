package wechat_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"shopbot/bot/wechat"
	"shopbot/bot/wechat/wechattest"
)

// FuzzCallback drives the handler with arbitrary input at three depths:
// mode 0 posts query and body as given (seeded with valid signed requests),
// mode 1 encrypts and signs data as the decrypted message (so the fuzzer
// reaches the XML parser, the event mapping and the router), mode 2 is the
// GET verification. The handler must never panic nor answer 5xx, and a 200
// to an encrypted callback is "success" or a reply that verifies.
func FuzzCallback(f *testing.F) {
	h := newHarness(f)
	now := h.clock.Now().Unix()
	seedInner := []string{
		textXML("oFuzz", "/start", 1, now),
		textXML("oFuzz", "1", 2, now),
		eventXML("oFuzz", "subscribe", "qrscene_p_1", now),
		eventXML("oFuzz", "SCAN", "c_2", now),
		eventXML("oFuzz", "CLICK", "CART", now),
		eventXML("oFuzz", "LOCATION", "", now),
		strings.Replace(textXML("oFuzz", "逛商城", 3, now), "</xml>", "<bizmsgmenuid>101</bizmsgmenuid></xml>", 1),
		strings.Replace(textXML("oFuzz", "", 4, now), "[text]", "[image]", 1),
		`<!DOCTYPE xml [<!ENTITY a "b">]><xml><FromUserName>oFuzz</FromUserName><Content>&a;</Content></xml>`,
		"<xml><FromUserName>x</FromUserName><FromUserName>y</FromUserName></xml>",
		"",
	}
	for _, in := range seedInner {
		enc := wxEncrypt(in, appID)
		f.Add(uint8(0), h.query(enc).Encode(), envelopeXML(enc))
		f.Add(uint8(1), "", []byte(in))
	}
	f.Add(uint8(0), "timestamp=1&nonce=1&encrypt_type=aes&msg_signature=00", []byte("<xml><Encrypt>AAAA</Encrypt></xml>"))
	f.Add(uint8(2), fmt.Sprintf("signature=%s&timestamp=%d&nonce=5&echostr=123", sign(token, fmt.Sprint(now), "5"), now), []byte(nil))

	f.Fuzz(func(t *testing.T, mode uint8, query string, data []byte) {
		var rec *httptest.ResponseRecorder
		switch mode % 3 {
		case 0:
			req := httptest.NewRequest(http.MethodPost, "/wechat", bytes.NewReader(data))
			req.URL.RawQuery = query
			rec = httptest.NewRecorder()
			h.mux.ServeHTTP(rec, req)
		case 1:
			rec = h.post(string(data))
		default:
			req := httptest.NewRequest(http.MethodGet, "/wechat", nil)
			req.URL.RawQuery = query
			rec = httptest.NewRecorder()
			h.mux.ServeHTTP(rec, req)
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d", rec.Code)
		}
		if mode%3 == 1 && rec.Code == http.StatusOK && rec.Body.String() != "success" {
			var env struct {
				Encrypt      string `xml:"Encrypt"`
				MsgSignature string `xml:"MsgSignature"`
				TimeStamp    string `xml:"TimeStamp"`
				Nonce        string `xml:"Nonce"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.MsgSignature != sign(token, env.TimeStamp, env.Nonce, env.Encrypt) {
				t.Fatalf("reply does not verify: %v", err)
			}
			if _, err := wxDecrypt(env.Encrypt); err != nil {
				t.Fatalf("reply does not decrypt: %v", err)
			}
		}
	})
}

// BenchmarkCallback posts encrypted callbacks concurrently through the
// handler (real router on SQLite, fake API) and reports messages per second
// and the p50/p99/max time to answer; "deferred" counts answers that
// overran the reply budget and went out as customer-service messages.
func BenchmarkCallback(b *testing.B) {
	h := newHarness(b, func(o *wechat.Options) { o.KFQuota = 1 << 20 })
	b.ResetTimer()
	res := wechattest.Bench(b.Context(), h.mux, client, wechattest.BenchOptions{
		Messages: b.N, Concurrency: 2 * runtime.GOMAXPROCS(0), At: h.clock.Now, FirstMsgID: h.msgID.Add(int64(b.N)),
	})
	b.StopTimer()
	if res.Failed > 0 {
		b.Fatalf("%d callbacks failed", res.Failed)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(res.PerSecond, "msgs/s")
	b.ReportMetric(ms(res.P50), "p50-ms")
	b.ReportMetric(ms(res.P99), "p99-ms")
	b.ReportMetric(ms(res.Max), "max-ms")
	b.ReportMetric(float64(res.Deferred), "deferred")
}
