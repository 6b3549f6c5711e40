package wechatpaytest

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
)

// KeyFiles are the paths WriteKeyFiles wrote.
type KeyFiles struct {
	MerchantPrivateKey string // PKCS#8 PEM, as WeChat Pay issues apiclient_key.pem
	PublicKey          string // the fake's WeChat Pay public key, PKIX PEM (pub_key.pem)
}

// WriteKeyFiles writes the merchant's private key and the server's public
// key as PEM files into dir, for tests of configuration from files.
func (s *Server) WriteKeyFiles(dir string) (KeyFiles, error) {
	priv, err := x509.MarshalPKCS8PrivateKey(s.merchant)
	if err != nil {
		return KeyFiles{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&s.wechatKey.PublicKey)
	if err != nil {
		return KeyFiles{}, err
	}
	f := KeyFiles{MerchantPrivateKey: filepath.Join(dir, "apiclient_key.pem"), PublicKey: filepath.Join(dir, "pub_key.pem")}
	if err := os.WriteFile(f.MerchantPrivateKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600); err != nil {
		return KeyFiles{}, err
	}
	if err := os.WriteFile(f.PublicKey, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		return KeyFiles{}, err
	}
	return f, nil
}
