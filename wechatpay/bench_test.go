package wechatpay

import (
	"testing"
)

// BenchmarkVerifySignature is the RSA verification of a notification alone
// (what shopbot-bench pay sets beside whole notifications).
func BenchmarkVerifySignature(b *testing.B) {
	k := loadTestKeys(b)
	n := newNotifier(k)
	body := n.body(b, EventTransactionSuccess, n.seal(b, []byte(paidResource), "transaction"))
	h := n.sign(b, body)
	msg := ResponseMessage(h.Get(HeaderTimestamp), h.Get(HeaderNonce), body)
	for b.Loop() {
		if err := VerifySignature(&k.wechat.PublicKey, msg, h.Get(HeaderSignature)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNotification is a whole notification: verify, decrypt,
// parse, check the merchant.
func BenchmarkParseNotification(b *testing.B) {
	k := loadTestKeys(b)
	c := testClient(b, k, "")
	n := newNotifier(k)
	body := n.body(b, EventTransactionSuccess, n.seal(b, []byte(paidResource), "transaction"))
	h := n.sign(b, body)
	for b.Loop() {
		if _, err := c.ParseNotificationBody(h, body); err != nil {
			b.Fatal(err)
		}
	}
}
