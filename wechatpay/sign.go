package wechatpay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AuthScheme is the Authorization scheme of API v3 requests.
const AuthScheme = "WECHATPAY2-SHA256-RSA2048"

// MaxSkew is how far a response's or notification's timestamp may be from
// the clock: a skew of MaxSkew or more is ErrStale.
const MaxSkew = 5 * time.Minute

// Headers WeChat Pay signs its responses and notifications with.
const (
	HeaderSerial    = "Wechatpay-Serial"
	HeaderSignature = "Wechatpay-Signature"
	HeaderTimestamp = "Wechatpay-Timestamp"
	HeaderNonce     = "Wechatpay-Nonce"
)

// RequestMessage is what a request's signature covers:
// "METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n", with uri exactly the
// request target sent (escaped path and query) and body empty for a GET.
func RequestMessage(method, uri string, timestamp int64, nonce string, body []byte) string {
	var b strings.Builder
	b.Grow(len(method) + len(uri) + len(nonce) + len(body) + 16)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(timestamp, 10))
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.Write(body)
	b.WriteByte('\n')
	return b.String()
}

// ResponseMessage is what a response's or notification's signature covers:
// "TIMESTAMP\nNONCE\nBODY\n", the timestamp and nonce as their headers
// carry them.
func ResponseMessage(timestamp, nonce string, body []byte) string {
	return timestamp + "\n" + nonce + "\n" + string(body) + "\n"
}

// Sign is the base64 SHA256withRSA (PKCS#1 v1.5) signature of message.
func Sign(key *rsa.PrivateKey, message string) (string, error) {
	sum := sha256.Sum256([]byte(message))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("wechatpay: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifySignature checks a base64 SHA256withRSA (PKCS#1 v1.5) signature of
// message: nil, or ErrBadSignature. It is the RSA part of verifying a
// notification, alone (shopbot-bench times it).
func VerifySignature(pub *rsa.PublicKey, message, signature string) error {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(sig) != pub.Size() {
		return ErrBadSignature
	}
	sum := sha256.Sum256([]byte(message))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return ErrBadSignature
	}
	return nil
}

// authorization is the Authorization header of a request.
func (c *Client) authorization(method, uri string, body []byte) (string, error) {
	ts := c.cfg.Clock().Unix()
	nonce := c.cfg.Nonce()
	sig, err := Sign(c.cfg.PrivateKey, RequestMessage(method, uri, ts, nonce, body))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`%s mchid="%s",nonce_str="%s",timestamp="%d",serial_no="%s",signature="%s"`,
		AuthScheme, c.cfg.MchID, nonce, ts, c.cfg.SerialNo, sig), nil
}

// verify checks the signature headers of a response or notification over
// body: ErrUnknownSerial, ErrStale, ErrBadSignature or nil. The cheap checks
// come first; nothing of the body is read before the signature verifies.
func (c *Client) verify(h http.Header, body []byte) error {
	serial := h.Get(HeaderSerial)
	if subtle.ConstantTimeCompare([]byte(serial), []byte(c.cfg.PublicKeyID)) != 1 {
		return ErrUnknownSerial
	}
	tsText := h.Get(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrStale
	}
	if skew := c.cfg.Clock().Sub(time.Unix(ts, 0)); skew >= MaxSkew || skew <= -MaxSkew {
		return ErrStale
	}
	nonce := h.Get(HeaderNonce)
	sig := h.Get(HeaderSignature)
	if nonce == "" || sig == "" {
		return ErrBadSignature
	}
	return VerifySignature(c.cfg.PublicKey, ResponseMessage(tsText, nonce, body), sig)
}
