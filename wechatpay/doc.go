// Package wechatpay is a client of the WeChat Pay API v3 for a direct
// merchant (直连商户): JSAPI and Native prepay, order query and close,
// refunds and their query, the JSAPI page parameters, and the payment and
// refund notifications.
//
// It is infrastructure: it imports nothing of the project and knows no
// order or cart, only WeChat Pay's own messages.
//
// Every request is signed with the merchant's private key (the
// WECHATPAY2-SHA256-RSA2048 Authorization header) and every response and
// notification is verified with the WeChat Pay public key (the mode where
// Wechatpay-Serial is its PUB_KEY_ID_…); a response that does not verify,
// whatever its status, is an error and its body is never trusted.
// Platform certificates (the older mode) are not supported: a serial other
// than Config.PublicKeyID is ErrUnknownSerial.
//
// A notification handler calls Client.ParseNotification and answers with
// WriteAck, or WriteFail and a 4xx naming the sentinel error. To time the
// RSA part of that alone (shopbot-bench pay), use VerifySignature on
// ResponseMessage; BenchmarkParseNotification and BenchmarkVerifySignature
// measure both here.
//
// The fake server in wechatpay/wechatpaytest speaks the same protocol and
// checks every request the way WeChat Pay does.
package wechatpay
