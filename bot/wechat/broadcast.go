package wechat

import (
	"context"
	"errors"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// ErrOutsideWindow: the user's customer-service window is closed or its
// quota used; nothing was sent.
var ErrOutsideWindow = errors.New("wechat: outside the customer-service window")

// SendInWindow sends text (cut to one message) as a customer-service
// message when the user's window is open, for broadcasts: WeChat allows
// marketing neither by template message nor beyond the window, so a
// closed window is ErrOutsideWindow and never falls back to a template.
func (a *Adapter) SendInWindow(ctx context.Context, openID, text string) error {
	if !openIDRe.MatchString(openID) {
		return ErrInvalidOpenID
	}
	err := a.sendKF(ctx, message.NewCustomerTextMessage(openID, chunks(text, maxTextBytes)[0]))
	var apiErr *APIError
	switch {
	case errors.Is(err, errNoWindow):
		return ErrOutsideWindow
	case errors.As(err, &apiErr) && (apiErr.Code == codeWindowClosed || apiErr.Code == codeQuotaExhausted):
		_ = a.o.Windows.CloseWindow(ctx, openID) // WeChat knows better than our count
		return ErrOutsideWindow
	}
	return err
}
