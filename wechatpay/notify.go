package wechatpay

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// MaxNotificationBytes bounds a notification's body; WeChat Pay's are a
// few kilobytes.
const MaxNotificationBytes = 64 << 10

// Event types of notifications.
const (
	EventTransactionSuccess = "TRANSACTION.SUCCESS"
	EventRefundSuccess      = "REFUND.SUCCESS"
	EventRefundAbnormal     = "REFUND.ABNORMAL"
	EventRefundClosed       = "REFUND.CLOSED"
)

// Notification is a verified, decrypted notification of WeChat Pay.
// Exactly one of Transaction (TRANSACTION.*) and Refund (REFUND.*) is set;
// for another event type both are nil and Resource holds the plaintext.
type Notification struct {
	ID           string // the notification's id: the same event delivered again has the same id
	CreateTime   time.Time
	EventType    string
	ResourceType string
	Summary      string
	Transaction  *Transaction
	Refund       *RefundNotice
	Resource     json.RawMessage // the decrypted resource, whatever the event
}

// RefundNotice is the resource of a REFUND.* notification.
type RefundNotice struct {
	MchID               string         `json:"mchid"`
	OutTradeNo          string         `json:"out_trade_no"`
	TransactionID       string         `json:"transaction_id"`
	OutRefundNo         string         `json:"out_refund_no"`
	RefundID            string         `json:"refund_id"`
	RefundStatus        string         `json:"refund_status"` // RefundSuccess, RefundAbnormal, RefundClosed
	SuccessTime         time.Time      `json:"success_time"`
	UserReceivedAccount string         `json:"user_received_account"`
	Amount              RefundedAmount `json:"amount"`
}

// UnmarshalJSON reads success_time as WeChat Pay writes it.
func (n *RefundNotice) UnmarshalJSON(b []byte) error {
	type plain RefundNotice
	var w struct {
		plain
		SuccessTime string `json:"success_time"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	st, err := parseWireTime("success_time", w.SuccessTime)
	if err != nil {
		return err
	}
	*n = RefundNotice(w.plain)
	n.SuccessTime = st
	return nil
}

// notificationWire is the body WeChat Pay posts.
type notificationWire struct {
	ID           string `json:"id"`
	CreateTime   string `json:"create_time"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	Summary      string `json:"summary"`
	Resource     struct {
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
		OriginalType   string `json:"original_type"`
	} `json:"resource"`
}

// ParseNotification reads a notification request (at most
// MaxNotificationBytes of body) and returns it verified and decrypted; see
// ParseNotificationBody for its errors.
func (c *Client) ParseNotification(r *http.Request) (*Notification, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxNotificationBytes+1))
	if err != nil {
		return nil, fmt.Errorf("wechatpay: notification: reading the body: %w", err)
	}
	if len(body) > MaxNotificationBytes {
		return nil, fmt.Errorf("wechatpay: notification over %d bytes: %w", MaxNotificationBytes, ErrMalformed)
	}
	return c.ParseNotificationBody(r.Header, body)
}

// ParseNotificationBody verifies a notification's signature headers over
// body, decrypts its resource with the APIv3 key and checks that it is for
// this merchant. Errors, each wrapped with the reason: ErrUnknownSerial,
// ErrStale, ErrBadSignature (not from WeChat Pay, or altered), ErrMalformed
// (signed, but not a notification we can read), ErrDecrypt (not for our
// APIv3 key), ErrWrongMerchant (for another mchid or appid). Answer any of
// them with WriteFail and a 4xx: WeChat Pay delivers again later.
func (c *Client) ParseNotificationBody(h http.Header, body []byte) (*Notification, error) {
	if err := c.verify(h, body); err != nil {
		return nil, fmt.Errorf("wechatpay: notification: %w", err)
	}
	var w notificationWire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("wechatpay: notification: %w: %v", ErrMalformed, err)
	}
	created, err := parseWireTime("create_time", w.CreateTime)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: notification %s: %w", w.ID, err)
	}
	if w.ID == "" || w.EventType == "" || w.ResourceType != "encrypt-resource" {
		return nil, fmt.Errorf("wechatpay: notification %q of %q: %w: want an id, an event type and an encrypt-resource",
			w.ID, w.EventType, ErrMalformed)
	}
	plain, err := c.decryptResource(w.Resource.Algorithm, w.Resource.Ciphertext, w.Resource.Nonce, w.Resource.AssociatedData)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: notification %s: %w", w.ID, err)
	}
	n := &Notification{ID: w.ID, CreateTime: created, EventType: w.EventType, ResourceType: w.ResourceType,
		Summary: w.Summary, Resource: plain}
	if err := c.readResource(n); err != nil {
		return nil, fmt.Errorf("wechatpay: notification %s (%s): %w", w.ID, w.EventType, err)
	}
	return n, nil
}

// decryptResource opens an AEAD_AES_256_GCM resource: ciphertext is the
// base64 of the sealed text and its 16-byte tag, nonce 12 characters used
// as they are, the associated data as it is.
func (c *Client) decryptResource(algorithm, ciphertext, nonce, associatedData string) ([]byte, error) {
	if algorithm != "AEAD_AES_256_GCM" {
		return nil, fmt.Errorf("%w: algorithm %q", ErrMalformed, algorithm)
	}
	sealed, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%w: ciphertext is not base64", ErrMalformed)
	}
	block, err := aes.NewCipher(c.cfg.APIv3Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	if len(nonce) != gcm.NonceSize() {
		return nil, fmt.Errorf("%w: nonce of %d bytes", ErrMalformed, len(nonce))
	}
	if len(sealed) < gcm.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrMalformed, len(sealed))
	}
	plain, err := gcm.Open(nil, []byte(nonce), sealed, []byte(associatedData))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// readResource fills the Transaction or Refund of n from its plaintext and
// checks it is for this merchant.
func (c *Client) readResource(n *Notification) error {
	switch {
	case strings.HasPrefix(n.EventType, "TRANSACTION."):
		var t Transaction
		if err := json.Unmarshal(n.Resource, &t); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if t.MchID != c.cfg.MchID || t.AppID != c.cfg.AppID {
			return fmt.Errorf("%w: mchid %q, appid %q", ErrWrongMerchant, t.MchID, t.AppID)
		}
		if t.OutTradeNo == "" {
			return fmt.Errorf("%w: no out_trade_no", ErrMalformed)
		}
		if n.EventType == EventTransactionSuccess && t.TradeState != TradeSuccess {
			return fmt.Errorf("%w: trade_state %q in %s", ErrMalformed, t.TradeState, n.EventType)
		}
		n.Transaction = &t
	case strings.HasPrefix(n.EventType, "REFUND."):
		var r RefundNotice
		if err := json.Unmarshal(n.Resource, &r); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if r.MchID != c.cfg.MchID {
			return fmt.Errorf("%w: mchid %q", ErrWrongMerchant, r.MchID)
		}
		if r.OutRefundNo == "" {
			return fmt.Errorf("%w: no out_refund_no", ErrMalformed)
		}
		if want := strings.TrimPrefix(n.EventType, "REFUND."); r.RefundStatus != want {
			return fmt.Errorf("%w: refund_status %q in %s", ErrMalformed, r.RefundStatus, n.EventType)
		}
		n.Refund = &r
	default:
		var m struct {
			MchID *string `json:"mchid"`
		}
		if json.Unmarshal(n.Resource, &m) == nil && m.MchID != nil && *m.MchID != c.cfg.MchID {
			return fmt.Errorf("%w: mchid %q", ErrWrongMerchant, *m.MchID)
		}
	}
	return nil
}

// WriteAck answers a notification that was handled: 204, no body.
func WriteAck(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// WriteFail answers a notification that was not handled (status 4xx or
// 5xx), so WeChat Pay delivers it again: {"code":"FAIL","message":…}.
// message goes to WeChat Pay: give a reason, never a secret or personal
// data.
func WriteFail(w http.ResponseWriter, status int, message string) {
	b, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{"FAIL", message})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
