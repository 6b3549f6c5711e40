package wechatpay

import (
	"errors"
	"fmt"
	"net/http"
)

// Why a response or a notification was not trusted. A notification handler
// answers 4xx on any of them (WeChat Pay delivers again) and logs which.
var (
	// ErrBadSignature: the Wechatpay-Signature header is missing or does not
	// verify with the WeChat Pay public key over the message as received.
	ErrBadSignature = errors.New("wechatpay: signature does not verify")
	// ErrStale: Wechatpay-Timestamp is missing, malformed, or 5 minutes or
	// more away from the clock.
	ErrStale = errors.New("wechatpay: timestamp outside the 5-minute window")
	// ErrUnknownSerial: Wechatpay-Serial is not Config.PublicKeyID.
	ErrUnknownSerial = errors.New("wechatpay: unknown Wechatpay-Serial")
	// ErrDecrypt: a notification's resource does not decrypt with the
	// APIv3 key (wrong key, tampered ciphertext, nonce or associated data).
	ErrDecrypt = errors.New("wechatpay: resource does not decrypt")
	// ErrMalformed: a body is not the JSON it should be, too large, or of an
	// unknown algorithm.
	ErrMalformed = errors.New("wechatpay: malformed message")
	// ErrWrongMerchant: a verified, decrypted resource names another
	// mchid or appid than the Config's.
	ErrWrongMerchant = errors.New("wechatpay: resource is for another merchant")
)

// Codes of APIError that callers act on (WeChat Pay's documentation lists
// them per endpoint).
const (
	CodeOrderPaid         = "ORDERPAID"           // close or prepay of a paid order
	CodeOrderClosed       = "ORDER_CLOSED"        // prepay of a closed order
	CodeOrderNotExist     = "ORDER_NOT_EXIST"     // query of an unknown out_trade_no
	CodeOrderNotExistV2   = "ORDERNOTEXIST"       // the same, in older answers
	CodeNotFound          = "NOT_FOUND"           // generic 404
	CodeResourceNotExists = "RESOURCE_NOT_EXISTS" // refund query of an unknown out_refund_no
	CodeSystemError       = "SYSTEM_ERROR"        // retry with the same parameters
	CodeFrequencyLimited  = "FREQUENCY_LIMITED"   // retry later
	CodeSignError         = "SIGN_ERROR"          // our request signature was refused
	CodeParamError        = "PARAM_ERROR"
	CodeInvalidRequest    = "INVALID_REQUEST"
	CodeNotEnough         = "NOT_ENOUGH" // refund: the merchant's balance is short
)

// APIError is a verified 4xx or 5xx answer of WeChat Pay with its JSON body
// {"code":…,"message":…}. Use errors.As to read it.
type APIError struct {
	Status  int    // HTTP status
	Code    string // e.g. ORDERPAID, SYSTEM_ERROR
	Message string // WeChat Pay's words (Chinese), for logs
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechatpay: %d %s: %s", e.Status, e.Code, e.Message)
}

// Temporary: the call may succeed if made again with the same parameters
// (a 5xx, SYSTEM_ERROR, FREQUENCY_LIMITED, or a 429).
func (e *APIError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests ||
		e.Code == CodeSystemError || e.Code == CodeFrequencyLimited
}

// IsCode reports whether err is an *APIError with one of the codes.
func IsCode(err error, codes ...string) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// IsNotFound reports whether err is WeChat Pay saying the order or refund
// does not exist (a 404, or one of its not-found codes).
func IsNotFound(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	return e.Status == http.StatusNotFound ||
		IsCode(err, CodeOrderNotExist, CodeOrderNotExistV2, CodeNotFound, CodeResourceNotExists)
}

// Reason is a short word for why a response or notification was refused,
// for a log line or a metric: "unknown_serial", "stale", "bad_signature",
// "decrypt", "malformed", "wrong_merchant", or "other".
func Reason(err error) string {
	for _, r := range []struct {
		err  error
		word string
	}{
		{ErrUnknownSerial, "unknown_serial"}, {ErrStale, "stale"}, {ErrBadSignature, "bad_signature"},
		{ErrDecrypt, "decrypt"}, {ErrMalformed, "malformed"}, {ErrWrongMerchant, "wrong_merchant"},
	} {
		if errors.Is(err, r.err) {
			return r.word
		}
	}
	return "other"
}
