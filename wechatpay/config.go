package wechatpay

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// DefaultBaseURL is WeChat Pay's API host.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// Config is what a Client needs. MchID, AppID, SerialNo, PrivateKey,
// APIv3Key, PublicKey and PublicKeyID are required; the rest have defaults.
type Config struct {
	MchID       string          // merchant id (商户号)
	AppID       string          // the Official Account's or mini program's appid bound to the merchant
	SerialNo    string          // the merchant API certificate's serial number
	PrivateKey  *rsa.PrivateKey // the merchant API private key (apiclient_key.pem)
	APIv3Key    []byte          // the 32-byte APIv3 key, for notifications
	PublicKey   *rsa.PublicKey  // the WeChat Pay public key (pub_key.pem)
	PublicKeyID string          // its id, "PUB_KEY_ID_…"

	BaseURL    string           // default DefaultBaseURL
	HTTPClient *http.Client     // default a client with a 10 s timeout
	Clock      func() time.Time // default time.Now
	Nonce      func() string    // default 32 random hex characters
	UserAgent  string           // default "shopbot-wechatpay/1"
}

// String hides the keys: a Config printed or logged shows no secret.
func (c Config) String() string {
	return fmt.Sprintf("wechatpay.Config{MchID:%q AppID:%q SerialNo:%q PublicKeyID:%q BaseURL:%q PrivateKey:%s APIv3Key:%s}",
		c.MchID, c.AppID, c.SerialNo, c.PublicKeyID, c.BaseURL, present(c.PrivateKey != nil), present(len(c.APIv3Key) > 0))
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

func present(ok bool) string {
	if ok {
		return "set"
	}
	return "unset"
}

// Validate reports the first missing or malformed field; its text names
// the field, never a key's value.
func (c Config) Validate() error {
	switch {
	case c.MchID == "":
		return errors.New("wechatpay: config: MchID is empty")
	case c.AppID == "":
		return errors.New("wechatpay: config: AppID is empty")
	case c.SerialNo == "":
		return errors.New("wechatpay: config: SerialNo (the merchant certificate's serial) is empty")
	case c.PrivateKey == nil:
		return errors.New("wechatpay: config: PrivateKey is missing")
	case c.PrivateKey.N.BitLen() < 2048:
		return fmt.Errorf("wechatpay: config: PrivateKey has %d bits, want at least 2048", c.PrivateKey.N.BitLen())
	case len(c.APIv3Key) != 32:
		return fmt.Errorf("wechatpay: config: APIv3Key has %d bytes, want 32", len(c.APIv3Key))
	case c.PublicKey == nil:
		return errors.New("wechatpay: config: PublicKey (the WeChat Pay public key) is missing")
	case !strings.HasPrefix(c.PublicKeyID, "PUB_KEY_ID_"):
		return errors.New(`wechatpay: config: PublicKeyID must start with "PUB_KEY_ID_"`)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Nonce == nil {
		c.Nonce = RandomNonce
	}
	if c.UserAgent == "" {
		c.UserAgent = "shopbot-wechatpay/1"
	}
	return c
}

// RandomNonce is 32 hexadecimal characters from crypto/rand.
func RandomNonce() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// LoadPrivateKey reads an RSA private key from a PEM file (PKCS#8
// "PRIVATE KEY", as WeChat Pay issues apiclient_key.pem, or PKCS#1 "RSA
// PRIVATE KEY"). Its errors name the file, never its content.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: private key: %w", err)
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return k, nil
}

// LoadPublicKey reads an RSA public key from a PEM file (PKIX "PUBLIC
// KEY", as WeChat Pay issues pub_key.pem, or PKCS#1 "RSA PUBLIC KEY").
func LoadPublicKey(path string) (*rsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: public key: %w", err)
	}
	k, err := ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return k, nil
}

// ParsePrivateKey parses the first PEM block of b as an RSA private key.
func ParsePrivateKey(b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("wechatpay: private key: no PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("wechatpay: private key: malformed PKCS#8")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("wechatpay: private key: %T, want RSA", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("wechatpay: private key: malformed PKCS#1")
		}
		return k, nil
	}
	return nil, fmt.Errorf("wechatpay: private key: PEM block %q, want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
}

// ParsePublicKey parses the first PEM block of b as an RSA public key.
func ParsePublicKey(b []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("wechatpay: public key: no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, errors.New("wechatpay: public key: malformed PKIX")
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("wechatpay: public key: %T, want RSA", k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, errors.New("wechatpay: public key: malformed PKCS#1")
		}
		return k, nil
	}
	return nil, fmt.Errorf("wechatpay: public key: PEM block %q, want PUBLIC KEY or RSA PUBLIC KEY", block.Type)
}
