package wechatpay

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The vectors below were made with openssl from the keys in testdata, not
// with this package:
//
//	printf 'POST\n/v3/…\n' | openssl dgst -sha256 -sign testdata/merchant_pkcs8.pem | base64 -w0
const (
	vectorTime  = 1554208460
	vectorNonce = "593BEC0C930BF1AFEB40B4A08C8FB242"
	vectorBody  = `{"appid":"wxd678efh567hg6787"}`
	// POST /v3/pay/transactions/jsapi with vectorBody.
	vectorPostSig = "KAQRH+1vqfyL0oMxwFNOsTFvounvhOFH6B7+ryux0lWdq+Om1b4Si/s7a1TUYN5oDqftxPNXzloDMywtdw9xU0AHMIXyAHPMcFz2DmiD7qRkMjCRxdD7pKpy/tVxEDrQytZhP4KSsX8UO/fnb9cbL5lqs5EuqD76+v9oC6gJyzVQ87dOUt6hwYFwCFNZr0J+zxhH1unDclxPfxPP9vmWHrmV548CDBKyKT8FvH7uxQb1cransO6Ob7raUWsbE2vmzthBj5qWKJf1j7v14NdWyfpmjFLki9/ViYOyzEGdKzrO8H6/JE6nWYQ+/mcujQTnYXCs2jbpO1RQXsJXwug+Pg=="
	// GET /v3/pay/transactions/out-trade-no/A%2FB%20C?mchid=1230000109.
	vectorGetSig = "Brt4+N8v1Sdz72dfphdsZMvbkKwV+zprY+EOCE7kP0t1vfRpWK+rtEmiOTle4WiDa14n7rPEW36TD8ggxNUCnSTSB9t30c7jybPPVfpRXXb9vp9Kk3OiBjd9k7KTRrnvQn/nmPz98EytHOVggSrXxywdOF6rC2mnl7oK4FUGfuOmEOKXt1AqLu1FKO1eSqJIrbBCYQxK1oBo0FrbuNTPva1LTInHJ+cvg1Fe3xlvUq9wqhtYgTbe+5My/wU97LbRyoqUMyg8o9025f7GLlx443w/K3Kd8Uurxa6UiBEyKFxhZWLMAcIjvpuNGkVlJzQToQ09m465gn7ACyaLbc9Q0g=="
	// An answer {"code":"ORDERPAID","message":"paid"} signed with testdata/wechatpay_key.pem.
	vectorAnswerBody = `{"code":"ORDERPAID","message":"paid"}`
	vectorAnswerSig  = "BdGlTcWvt1gMC4tvA0uLC2cIoaNKX0Vzh6aOlKfQ8FJxd67rsROv0XKxwQKBN2pu5uN4J4wecDwKSdxWRz8v55xM+K4HMtEnPVA7ixbzXMcDlAqH7h0h1gU62wl1GSH/AkbW06Lx65xPQT0cKxAYqpaNY5cP4H/h6YJeoUY1ODuGoP4fKO6tyoUIFitAkG68EgSxYorWJVCV5jQODq2IINDJDkozHS8PgCJZt2dd5faoIjG3FsnxpvmkMoLscLkLAXdSrZo7Ebom5noCNq/tUvtS9GwPLU6KO0cNBmcBn39ofOhUhliHjVONswPwKAA3CIvZ1ltebYXZHgLAYkeN4g=="

	testMchID    = "1230000109"
	testAppID    = "wxd678efh567hg6787"
	testSerial   = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	testPubKeyID = "PUB_KEY_ID_0112340000000000000000000000000001"
)

var testAPIv3Key = []byte("0123456789abcdef0123456789abcdef")

// testKeys: the merchant's key pair and WeChat Pay's, from testdata.
type testKeys struct {
	merchant *rsa.PrivateKey
	wechat   *rsa.PrivateKey
}

func loadTestKeys(t testing.TB) testKeys {
	t.Helper()
	m, err := LoadPrivateKey("testdata/merchant_pkcs8.pem")
	if err != nil {
		t.Fatal(err)
	}
	w, err := LoadPrivateKey("testdata/wechatpay_key.pem")
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{merchant: m, wechat: w}
}

// testClient: a client at vectorTime with vectorNonce, calling baseURL.
func testClient(t testing.TB, k testKeys, baseURL string) *Client {
	t.Helper()
	c, err := New(Config{
		MchID: testMchID, AppID: testAppID, SerialNo: testSerial,
		PrivateKey: k.merchant, APIv3Key: testAPIv3Key,
		PublicKey: &k.wechat.PublicKey, PublicKeyID: testPubKeyID,
		BaseURL: baseURL,
		Clock:   func() time.Time { return time.Unix(vectorTime, 0) },
		Nonce:   func() string { return vectorNonce },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRequestMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method, uri, body, want string
	}{
		{"POST", "/v3/pay/transactions/jsapi", vectorBody,
			"POST\n/v3/pay/transactions/jsapi\n1554208460\n" + vectorNonce + "\n" + vectorBody + "\n"},
		{"GET", "/v3/pay/transactions/out-trade-no/A%2FB%20C?mchid=1230000109", "",
			"GET\n/v3/pay/transactions/out-trade-no/A%2FB%20C?mchid=1230000109\n1554208460\n" + vectorNonce + "\n\n"},
	} {
		if got := RequestMessage(tc.method, tc.uri, vectorTime, vectorNonce, []byte(tc.body)); got != tc.want {
			t.Errorf("RequestMessage(%s %s) = %q, want %q", tc.method, tc.uri, got, tc.want)
		}
	}
	if got, want := ResponseMessage("1554208460", "N", []byte("{}")), "1554208460\nN\n{}\n"; got != want {
		t.Errorf("ResponseMessage = %q, want %q", got, want)
	}
}

// TestSignMatchesOpenSSL: our signature of the request message is the one
// openssl made, and it verifies with the merchant's public key.
func TestSignMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	pub, err := LoadPublicKey("testdata/merchant_pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ msg, want string }{
		{RequestMessage("POST", "/v3/pay/transactions/jsapi", vectorTime, vectorNonce, []byte(vectorBody)), vectorPostSig},
		{RequestMessage("GET", "/v3/pay/transactions/out-trade-no/A%2FB%20C?mchid=1230000109", vectorTime, vectorNonce, nil), vectorGetSig},
	} {
		got, err := Sign(k.merchant, tc.msg)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Sign(%q) = %s, want openssl's %s", tc.msg, got, tc.want)
		}
		if err := VerifySignature(pub, tc.msg, got); err != nil {
			t.Errorf("VerifySignature: %v", err)
		}
		if err := VerifySignature(pub, tc.msg+"x", got); !errors.Is(err, ErrBadSignature) {
			t.Errorf("VerifySignature of another message = %v, want ErrBadSignature", err)
		}
	}
}

// TestRequestOnTheWire: what the client sends, read by a server: the
// request target is the escaped path with its query, and the Authorization
// header is exactly the one WeChat Pay expects, signature included.
func TestRequestOnTheWire(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		signAnswer(t, k.wechat, w.Header(), time.Unix(vectorTime, 0), nil)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := testClient(t, k, srv.URL)

	for _, tc := range []struct {
		name, method, path string
		in                 any
		wantURI, wantSig   string
		wantBody           string
	}{
		{"post", "POST", "/v3/pay/transactions/jsapi", map[string]string{"appid": testAppID},
			"/v3/pay/transactions/jsapi", vectorPostSig, vectorBody},
		{"get escaped", "GET", outTradeNoPath("A/B C") + "?mchid=" + testMchID, nil,
			"/v3/pay/transactions/out-trade-no/A%2FB%20C?mchid=1230000109", vectorGetSig, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.do(context.Background(), tc.method, tc.path, tc.in, nil); err != nil {
				t.Fatal(err)
			}
			if got.RequestURI != tc.wantURI {
				t.Errorf("request target %q, want %q", got.RequestURI, tc.wantURI)
			}
			if string(gotBody) != tc.wantBody {
				t.Errorf("body %q, want %q", gotBody, tc.wantBody)
			}
			want := AuthScheme + ` mchid="1230000109",nonce_str="` + vectorNonce + `",timestamp="1554208460",serial_no="` + testSerial + `",signature="` + tc.wantSig + `"`
			if a := got.Header.Get("Authorization"); a != want {
				t.Errorf("Authorization\n got %s\nwant %s", a, want)
			}
			for h, want := range map[string]string{"Accept": "application/json", "Wechatpay-Serial": testPubKeyID, "User-Agent": "shopbot-wechatpay/1"} {
				if v := got.Header.Get(h); v != want {
					t.Errorf("%s: %q, want %q", h, v, want)
				}
			}
			if ct := got.Header.Get("Content-Type"); (tc.in != nil) != (ct == "application/json") {
				t.Errorf("Content-Type %q with body %v", ct, tc.in != nil)
			}
		})
	}
}

// signAnswer sets the headers WeChat Pay signs an answer with.
func signAnswer(t testing.TB, key *rsa.PrivateKey, h http.Header, at time.Time, body []byte) {
	t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	sig, err := Sign(key, ResponseMessage(ts, vectorNonce, body))
	if err != nil {
		t.Fatal(err)
	}
	h.Set(HeaderSerial, testPubKeyID)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, vectorNonce)
	h.Set(HeaderSignature, sig)
}

func vectorAnswerHeader() http.Header {
	h := http.Header{}
	h.Set(HeaderSerial, testPubKeyID)
	h.Set(HeaderTimestamp, strconv.Itoa(vectorTime))
	h.Set(HeaderNonce, vectorNonce)
	h.Set(HeaderSignature, vectorAnswerSig)
	return h
}

// TestVerifyAnswer: the openssl-signed answer verifies; any change to it,
// a wrong serial or a timestamp 5 minutes or more away does not.
func TestVerifyAnswer(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	body := []byte(vectorAnswerBody)
	for _, tc := range []struct {
		name   string
		edit   func(h http.Header, body []byte) []byte
		offset time.Duration // of the clock from the answer's timestamp
		want   error
	}{
		{name: "as signed"},
		{name: "clock 4m59s later", offset: 5*time.Minute - time.Second},
		{name: "clock 4m59s earlier", offset: -5*time.Minute + time.Second},
		{name: "clock 5m later", offset: 5 * time.Minute, want: ErrStale},
		{name: "clock 5m earlier", offset: -5 * time.Minute, want: ErrStale},
		{name: "wrong serial", edit: func(h http.Header, b []byte) []byte { h.Set(HeaderSerial, "PUB_KEY_ID_other"); return b }, want: ErrUnknownSerial},
		{name: "certificate serial", edit: func(h http.Header, b []byte) []byte { h.Set(HeaderSerial, testSerial); return b }, want: ErrUnknownSerial},
		{name: "no serial", edit: func(h http.Header, b []byte) []byte { h.Del(HeaderSerial); return b }, want: ErrUnknownSerial},
		{name: "no timestamp", edit: func(h http.Header, b []byte) []byte { h.Del(HeaderTimestamp); return b }, want: ErrStale},
		{name: "timestamp not a number", edit: func(h http.Header, b []byte) []byte { h.Set(HeaderTimestamp, "x1554208460"); return b }, want: ErrStale},
		{name: "timestamp changed", edit: func(h http.Header, b []byte) []byte { h.Set(HeaderTimestamp, "1554208461"); return b }, want: ErrBadSignature},
		{name: "nonce changed", edit: func(h http.Header, b []byte) []byte { h.Set(HeaderNonce, "593BEC0C930BF1AFEB40B4A08C8FB243"); return b }, want: ErrBadSignature},
		{name: "no nonce", edit: func(h http.Header, b []byte) []byte { h.Del(HeaderNonce); return b }, want: ErrBadSignature},
		{name: "no signature", edit: func(h http.Header, b []byte) []byte { h.Del(HeaderSignature); return b }, want: ErrBadSignature},
		{name: "signature not base64", edit: func(h http.Header, b []byte) []byte { h.Set(HeaderSignature, "%%%"); return b }, want: ErrBadSignature},
		{name: "body empty", edit: func(h http.Header, b []byte) []byte { return nil }, want: ErrBadSignature},
		{name: "body with a newline more", edit: func(h http.Header, b []byte) []byte { return append(b, '\n') }, want: ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := vectorAnswerHeader()
			b := append([]byte(nil), body...)
			if tc.edit != nil {
				b = tc.edit(h, b)
			}
			c := testClient(t, k, "")
			c.cfg.Clock = func() time.Time { return time.Unix(vectorTime, 0).Add(tc.offset) }
			if err := c.verify(h, b); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("verify = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVerifyAnyChangedByte: every single changed byte of the body or of the
// signature is refused.
func TestVerifyAnyChangedByte(t *testing.T) {
	t.Parallel()
	c := testClient(t, loadTestKeys(t), "")
	body := []byte(vectorAnswerBody)
	for i := range body {
		b := append([]byte(nil), body...)
		b[i] ^= 0x01
		if err := c.verify(vectorAnswerHeader(), b); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("body byte %d changed: %v", i, err)
		}
	}
	for i := range len(vectorAnswerSig) {
		h := vectorAnswerHeader()
		s := []byte(vectorAnswerSig)
		if s[i] == 'A' {
			s[i] = 'B'
		} else {
			s[i] = 'A'
		}
		h.Set(HeaderSignature, string(s))
		if err := c.verify(h, body); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("signature byte %d changed: %v", i, err)
		}
	}
}

// TestAnswers: a verified error answer is an *APIError with its code; an
// error answer that does not verify is no APIError (its code is not
// trusted); a 2xx that does not verify is an error too.
func TestAnswers(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	for _, tc := range []struct {
		name       string
		status     int
		body       string
		sign       bool
		wantCode   string // "" and wantErr: not an APIError
		wantErr    error
		wantStatus int
	}{
		{name: "verified 400", status: 400, body: vectorAnswerBody, sign: true, wantCode: CodeOrderPaid, wantStatus: 400},
		{name: "verified 500 without JSON", status: 500, body: "oops", sign: true, wantStatus: 500},
		{name: "unsigned 400", status: 400, body: vectorAnswerBody, wantErr: ErrUnknownSerial},
		{name: "unsigned 200", status: 200, body: `{"prepay_id":"x"}`, wantErr: ErrUnknownSerial},
		{name: "verified 200 not JSON", status: 200, body: "<html>", sign: true, wantErr: ErrMalformed},
		{name: "verified 200", status: 200, body: `{"prepay_id":"x"}`, sign: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.sign {
					signAnswer(t, k.wechat, w.Header(), time.Unix(vectorTime, 0), []byte(tc.body))
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			var out struct {
				PrepayID string `json:"prepay_id"`
			}
			err := testClient(t, k, srv.URL).do(context.Background(), "POST", "/v3/pay/transactions/jsapi", map[string]int{}, &out)
			var apiErr *APIError
			isAPI := errors.As(err, &apiErr)
			switch {
			case tc.wantStatus != 0:
				if !isAPI || apiErr.Status != tc.wantStatus || apiErr.Code != tc.wantCode {
					t.Fatalf("err = %v, want APIError %d %s", err, tc.wantStatus, tc.wantCode)
				}
			case tc.wantErr != nil:
				if isAPI || !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v and no APIError", err, tc.wantErr)
				}
			default:
				if err != nil || out.PrepayID != "x" {
					t.Fatalf("err = %v, prepay_id %q", err, out.PrepayID)
				}
			}
		})
	}
}

func TestAPIErrorHelpers(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("wrapped: %w", &APIError{Status: 404, Code: CodeOrderNotExist})
	if !IsNotFound(err) || !IsCode(err, CodeOrderPaid, CodeOrderNotExist) || IsCode(err, CodeOrderPaid) {
		t.Errorf("helpers on %v", err)
	}
	if Reason(err) != "other" || Reason(fmt.Errorf("x: %w", ErrStale)) != "stale" {
		t.Error("Reason")
	}
	if IsNotFound(errors.New("404")) || IsCode(nil, CodeOrderPaid) {
		t.Error("helpers accept a non-APIError")
	}
	for _, tc := range []struct {
		e    APIError
		temp bool
	}{
		{APIError{Status: 500, Code: CodeSystemError}, true},
		{APIError{Status: 429, Code: CodeFrequencyLimited}, true},
		{APIError{Status: 403, Code: CodeFrequencyLimited}, true},
		{APIError{Status: 400, Code: CodeOrderPaid}, false},
	} {
		if tc.e.Temporary() != tc.temp {
			t.Errorf("%v Temporary = %v", &tc.e, !tc.temp)
		}
	}
}

// TestLoadKeys: every PEM form loads; errors name the file, never the key.
func TestLoadKeys(t *testing.T) {
	t.Parallel()
	want, err := LoadPrivateKey("testdata/merchant_pkcs1.pem")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := LoadPrivateKey("testdata/merchant_pkcs8.pem"); err != nil || !k.Equal(want) {
		t.Errorf("PKCS#8: %v", err)
	}
	for _, p := range []string{"testdata/merchant_pub.pem", "testdata/merchant_pub_pkcs1.pem"} {
		if k, err := LoadPublicKey(p); err != nil || !k.Equal(&want.PublicKey) {
			t.Errorf("%s: %v", p, err)
		}
	}
	dir := t.TempDir()
	keyPEM, _ := os.ReadFile("testdata/merchant_pkcs8.pem")
	body := strings.Split(string(keyPEM), "\n")[1]
	for name, content := range map[string]string{
		"not-pem":   "hello",
		"truncated": strings.Replace(string(keyPEM), body, body[:40], 1),
		"wrongtype": strings.ReplaceAll(string(keyPEM), "PRIVATE KEY", "CERTIFICATE"),
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		for _, load := range []func(string) error{
			func(p string) error { _, err := LoadPrivateKey(p); return err },
			func(p string) error { _, err := LoadPublicKey(p); return err },
		} {
			err := load(p)
			if err == nil {
				t.Fatalf("%s loads", name)
			}
			if !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), body[:20]) {
				t.Errorf("%s: error %q should name the file and show no key", name, err)
			}
		}
	}
	if _, err := LoadPrivateKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file loads")
	}
}

func TestConfigHidesKeys(t *testing.T) {
	t.Parallel()
	k := loadTestKeys(t)
	c := testClient(t, k, "")
	for _, s := range []string{fmt.Sprint(c.cfg), fmt.Sprintf("%+v", c.cfg), fmt.Sprintf("%#v", c.cfg), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%v", *c)} {
		if strings.Contains(s, string(testAPIv3Key)) || strings.Contains(s, fmt.Sprint(testAPIv3Key[:4])[1:8]) || strings.Contains(s, k.merchant.D.String()[:12]) {
			t.Errorf("config prints a key: %s", s)
		}
	}
	bad := c.cfg
	bad.APIv3Key = bad.APIv3Key[:16]
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "APIv3Key") {
		t.Errorf("New with a 16-byte APIv3 key: %v", err)
	}
}

// FuzzVerifyAnswer: an answer from the network never panics the verifier,
// and only the signed one verifies.
func FuzzVerifyAnswer(f *testing.F) {
	k := loadTestKeys(f)
	c := testClient(f, k, "")
	f.Add(strconv.Itoa(vectorTime), vectorNonce, vectorAnswerSig, testPubKeyID, []byte(vectorAnswerBody))
	f.Add("", "", "", "", []byte{})
	f.Add("-99999999999999999", "n", "AAAA", testPubKeyID, []byte("{}"))
	f.Fuzz(func(t *testing.T, ts, nonce, sig, serial string, body []byte) {
		h := http.Header{}
		h.Set(HeaderSerial, serial)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderNonce, nonce)
		h.Set(HeaderSignature, sig)
		err := c.verify(h, body)
		signed := ts == strconv.Itoa(vectorTime) && nonce == vectorNonce && sig == vectorAnswerSig && serial == testPubKeyID && string(body) == vectorAnswerBody
		if (err == nil) != signed {
			t.Fatalf("verify = %v for ts %q nonce %q serial %q body %q", err, ts, nonce, serial, body)
		}
		var apiErr *APIError
		if err := c.readAnswer("POST", "/x", 400, h, body, nil); errors.As(err, &apiErr) != signed {
			t.Fatalf("readAnswer = %v", err)
		}
	})
}
