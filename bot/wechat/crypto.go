package wechat

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

var (
	errCrypto   = errors.New("wechat: undecryptable message")
	errWrongApp = errors.New("wechat: message for another appid")
)

// signatureOK compares a received hex signature with sha1(sort(parts)) in
// constant time.
func signatureOK(got string, parts ...string) bool {
	want := util.Signature(parts...)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// decrypt opens a safe-mode Encrypt value: base64, AES-256-CBC with PKCS#7
// padding to 32 bytes, then random(16) + length(4) + XML + appid. The appid
// must be ours.
func (a *Adapter) decrypt(enc string) ([]byte, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, errCrypto
	}
	_, msg, appID, err := aesDecrypt(raw, a.aesKey)
	if err != nil {
		return nil, errCrypto
	}
	if subtle.ConstantTimeCompare(appID, []byte(a.o.AppID)) != 1 {
		return nil, errWrongApp
	}
	return msg, nil
}

// aesDecrypt is util.AESDecryptMsg, which panics on a bad key, made safe.
// (util.DecryptMsg wraps the same call but folds a wrong appid and bad
// ciphertext into one error; we answer them differently.)
func aesDecrypt(raw, key []byte) (random, msg, appID []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("aes: %v", p)
		}
	}()
	return util.AESDecryptMsg(raw, key)
}

// encryptReply wraps a passive reply for safe mode: fresh random bytes, our
// timestamp and nonce, and a msg_signature over them.
func (a *Adapter) encryptReply(inner []byte, now time.Time) ([]byte, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	enc, err := util.EncryptMsg(random, inner, a.o.AppID, a.o.AESKey)
	if err != nil {
		return nil, errors.New("wechat: encrypt reply failed")
	}
	ts := now.Unix()
	nonce := randomDigits(10)
	return xml.Marshal(message.ResponseEncryptedXMLMsg{
		EncryptedMsg: string(enc),
		MsgSignature: util.Signature(a.o.Token, strconv.FormatInt(ts, 10), nonce, string(enc)),
		Timestamp:    ts,
		Nonce:        nonce,
	})
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}
