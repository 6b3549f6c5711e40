package app

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"shopbot/commerce"
	"shopbot/wechatpay"
	"shopbot/wechatpay/wechatpaytest"
)

// TestWeChatPayerCutsDescription: a description past WeChat Pay's limit
// (a long Chinese product name) is cut by the adapter at a character
// boundary, and the transaction is made.
func TestWeChatPayerCutsDescription(t *testing.T) {
	fake := wechatpaytest.New(t, wechatpaytest.Options{})
	payer := newWeChatPayer(fake.Client(), "https://shop.example")
	long := strings.Repeat("韩国玻尿酸精华液", 10) + " · K7Q2M9" // 250 bytes
	if _, err := payer.Prepay(context.Background(), commerce.Prepay{TradeType: commerce.TradeNative, OutTradeNo: "K7Q2M9P1",
		Description: long, Amount: commerce.CNY(12900)}); err != nil {
		t.Fatalf("Prepay with a %d-byte description: %v", len(long), err)
	}
	o, ok := fake.Order("K7Q2M9P1")
	if !ok || len(o.Description) > wechatpay.MaxDescriptionBytes || !utf8.ValidString(o.Description) ||
		!strings.HasPrefix(long, strings.TrimSuffix(o.Description, "…")) {
		t.Fatalf("description at WeChat Pay: %q (%d bytes)", o.Description, len(o.Description))
	}
}
