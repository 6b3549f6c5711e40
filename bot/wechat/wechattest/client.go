package wechattest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Client plays WeChat's servers: it signs and encrypts callbacks for an app
// and opens the encrypted replies. Everything is computed from the
// specification, not with the library under test.
type Client struct {
	AppID  string // receiveid appended to every plaintext
	Token  string
	AESKey string // EncodingAESKey, 43 characters
	GhID   string // the account's original id: ToUserName of callbacks
}

// Sign is WeChat's signature: sha1 of the sorted, concatenated parts, hex.
func Sign(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

func (c Client) key() []byte {
	k, err := base64.StdEncoding.DecodeString(c.AESKey + "=")
	if err != nil || len(k) != 32 {
		panic("wechattest: invalid EncodingAESKey")
	}
	return k
}

// Encrypt encrypts msg for c.AppID: random(16) + big-endian length(4) + msg
// + appid, PKCS#7-padded to 32 bytes, AES-256-CBC with IV = the key's first
// 16 bytes, base64.
func (c Client) Encrypt(msg string) string { return c.EncryptFor(msg, c.AppID, 0) }

// EncryptFor is Encrypt with another appid and, when forcePad is not 0, a
// forced last padding byte.
func (c Client) EncryptFor(msg, appID string, forcePad byte) string {
	var buf bytes.Buffer
	random := make([]byte, 16)
	_, _ = rand.Read(random)
	buf.Write(random)
	_ = binary.Write(&buf, binary.BigEndian, uint32(len(msg)))
	buf.WriteString(msg)
	buf.WriteString(appID)
	return c.EncryptPlain(buf.Bytes(), forcePad)
}

// EncryptPlain pads and encrypts any plaintext (for malformed layouts).
func (c Client) EncryptPlain(plain []byte, forcePad byte) string {
	key := c.key()
	plain = append([]byte(nil), plain...)
	pad := 32 - len(plain)%32
	for range pad {
		plain = append(plain, byte(pad))
	}
	if forcePad != 0 {
		plain[len(plain)-1] = forcePad
	}
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

// Decrypt opens an Encrypt value, checking the whole PKCS#7 padding, the
// length and the appid.
func (c Client) Decrypt(enc string) (string, error) {
	key := c.key()
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw) == 0 || len(raw)%32 != 0 {
		return "", errors.New("bad ciphertext")
	}
	block, _ := aes.NewCipher(key)
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(plain, raw)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 32 || pad > len(plain) {
		return "", errors.New("bad padding")
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return "", errors.New("bad padding")
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return "", errors.New("too short")
	}
	n := int(binary.BigEndian.Uint32(plain[16:20]))
	if n < 0 || 20+n > len(plain) {
		return "", errors.New("bad length")
	}
	if string(plain[20+n:]) != c.AppID {
		return "", errors.New("wrong appid")
	}
	return string(plain[20 : 20+n]), nil
}

// Envelope is the body of a safe-mode callback carrying enc.
func (c Client) Envelope(enc string) []byte {
	return []byte("<xml><ToUserName><![CDATA[" + c.GhID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
}

// Query is the signed query of a safe-mode callback carrying enc, sent at.
func (c Client) Query(enc string, at time.Time) url.Values {
	ts := strconv.FormatInt(at.Unix(), 10)
	n, _ := rand.Int(rand.Reader, big.NewInt(1e10))
	nonce := n.String()
	return url.Values{
		"signature":     {Sign(c.Token, ts, nonce)},
		"timestamp":     {ts},
		"nonce":         {nonce},
		"openid":        {"o"},
		"encrypt_type":  {"aes"},
		"msg_signature": {Sign(c.Token, ts, nonce, enc)},
	}
}

// Request is an encrypted, signed POST /wechat carrying the message XML inner.
func (c Client) Request(inner string, at time.Time) *http.Request {
	enc := c.Encrypt(inner)
	return httptest.NewRequest(http.MethodPost, "/wechat?"+c.Query(enc, at).Encode(), bytes.NewReader(c.Envelope(enc)))
}

// Reply is a decrypted passive reply.
type Reply struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
}

// Open checks an answer to an encrypted callback: "success" gives a zero
// Reply; otherwise the msg_signature must verify and the content decrypt.
func (c Client) Open(body []byte) (Reply, error) {
	if string(body) == "success" || len(body) == 0 {
		return Reply{}, nil
	}
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return Reply{}, fmt.Errorf("reply envelope: %w", err)
	}
	if env.MsgSignature != Sign(c.Token, env.TimeStamp, env.Nonce, env.Encrypt) {
		return Reply{}, errors.New("reply msg_signature does not verify")
	}
	inner, err := c.Decrypt(env.Encrypt)
	if err != nil {
		return Reply{}, fmt.Errorf("reply: %w", err)
	}
	var r Reply
	if err := xml.Unmarshal([]byte(inner), &r); err != nil {
		return Reply{}, fmt.Errorf("reply XML: %w", err)
	}
	return r, nil
}

// TextXML is a text message from the user from.
func (c Client) TextXML(from, content string, msgID, created int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>",
		c.GhID, from, created, content, msgID)
}

// ImageXML is an image message from the user from: picURL is where WeChat
// serves the picture (FakeAPI.AddImage).
func (c Client) ImageXML(from, picURL, mediaID string, msgID, created int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[%s]]></PicUrl>"+
		"<MediaId><![CDATA[%s]]></MediaId><MsgId>%d</MsgId></xml>",
		c.GhID, from, created, picURL, mediaID, msgID)
}

// EventXML is an event (subscribe, SCAN, CLICK …) from the user from.
func (c Client) EventXML(from, event, key string, created int64) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event><EventKey><![CDATA[%s]]></EventKey></xml>",
		c.GhID, from, created, event, key)
}
