package wechat_test

import (
	"errors"
	"strings"
	"testing"

	"shopbot/bot/wechat"
)

// TestOAuthOpenID: a sign-in code is exchanged for the openid once; a code
// used again, unknown or refused is an error that shows neither the secret
// nor the code.
func TestOAuthOpenID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := t.Context()
	if h.a.AppID() != appID {
		t.Fatalf("AppID = %q", h.a.AppID())
	}
	code := h.api.IssueOAuthCode("oBuyer1")
	got, err := h.a.OAuthOpenID(ctx, code)
	if err != nil || got != "oBuyer1" {
		t.Fatalf("OAuthOpenID = %q, %v", got, err)
	}
	for _, tc := range []struct {
		name, code string
		errcode    int64
	}{
		{"used again", code, 40029},
		{"unknown", "CODE-nope", 40029},
		{"empty", "", 0},
		{"too long", strings.Repeat("c", 600), 0},
	} {
		_, err := h.a.OAuthOpenID(ctx, tc.code)
		if err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		var apiErr *wechat.APIError
		if tc.errcode != 0 && (!errors.As(err, &apiErr) || apiErr.Code != tc.errcode) {
			t.Errorf("%s: %v; want errcode %d", tc.name, err, tc.errcode)
		}
		if strings.Contains(err.Error(), secret) || (tc.code != "" && strings.Contains(err.Error(), tc.code)) {
			t.Errorf("%s: the error shows the secret or the code: %v", tc.name, err)
		}
	}
	if n := h.api.OAuthExchanges(); n != 3 {
		t.Errorf("%d exchanges; want 3 (empty and overlong codes are not sent)", n)
	}

	// A wrong secret is refused by WeChat, and the error does not show it.
	wrong := newHarness(t, func(o *wechat.Options) { o.AppSecret = "wrong-secret-value" })
	if _, err := wrong.a.OAuthOpenID(ctx, wrong.api.IssueOAuthCode("oX")); err == nil || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Fatalf("wrong secret: %v", err)
	}
	// WeChat unreachable: an error without the URL (it holds the secret).
	h.api.Close()
	if _, err := h.a.OAuthOpenID(ctx, "CODE1"); err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "CODE1") {
		t.Fatalf("unreachable: %v", err)
	}
}
