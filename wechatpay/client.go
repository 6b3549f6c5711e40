package wechatpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxResponseBytes bounds what the client reads of an answer.
const maxResponseBytes = 1 << 20

// Client calls WeChat Pay API v3 for one merchant. It is safe for
// concurrent use.
type Client struct {
	cfg Config
}

// New checks cfg (Config.Validate) and fills in its defaults.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg.withDefaults()}, nil
}

// String shows the merchant, never a key: a Client printed by accident
// (fmt cannot call Config.String on an unexported field) leaks nothing.
func (c Client) String() string {
	return "wechatpay.Client" + strings.TrimPrefix(c.cfg.String(), "wechatpay.Config")
}

// MchID is the merchant id the client calls for.
func (c *Client) MchID() string { return c.cfg.MchID }

// AppID is the appid the client's payments are made under.
func (c *Client) AppID() string { return c.cfg.AppID }

// do sends a signed request to path (escaped, with its query) with in as
// the JSON body (nil: none), verifies the answer and decodes a 2xx body into
// out (nil: the body is ignored). A verified 4xx/5xx is an *APIError; an
// answer that does not verify is ErrUnknownSerial, ErrStale or
// ErrBadSignature whatever its status.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("wechatpay: %s %s: %w", method, path, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("wechatpay: %s %s: %w", method, path, err)
	}
	// The signature covers the request target exactly as it goes on the wire.
	auth, err := c.authorization(method, req.URL.RequestURI(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set(HeaderSerial, c.cfg.PublicKeyID)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("wechatpay: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("wechatpay: %s %s: reading the answer: %w", method, path, err)
	}
	if len(answer) > maxResponseBytes {
		return fmt.Errorf("wechatpay: %s %s: answer over %d bytes: %w", method, path, maxResponseBytes, ErrMalformed)
	}
	return c.readAnswer(method, path, resp.StatusCode, resp.Header, answer, out)
}

// readAnswer verifies an answer and decodes it (see do).
func (c *Client) readAnswer(method, path string, status int, h http.Header, body []byte, out any) error {
	if err := c.verify(h, body); err != nil {
		return fmt.Errorf("wechatpay: %s %s: status %d, answer not trusted: %w", method, path, status, err)
	}
	if status < 200 || status > 299 {
		e := &APIError{Status: status}
		var wire struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &wire) == nil {
			e.Code, e.Message = wire.Code, wire.Message
		}
		return fmt.Errorf("wechatpay: %s %s: %w", method, path, e)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("wechatpay: %s %s: %w: %v", method, path, ErrMalformed, err)
	}
	return nil
}
