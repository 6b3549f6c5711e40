package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/basic"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"shopbot/templates"
)

// Errors of the outbound calls.
var (
	// ErrNoTemplate: the user's customer-service window is closed and no
	// template id is configured for the notification kind.
	ErrNoTemplate = errors.New("wechat: no template for this notification kind")
	// ErrInvalidScene: a QR scene must be 1–64 characters of A-Z a-z 0-9 _ -.
	ErrInvalidScene = errors.New("wechat: invalid QR scene")
	// ErrInvalidOpenID: not an OpenID.
	ErrInvalidOpenID = errors.New("wechat: invalid openid")
	// errNoWindow: the customer-service window is closed or its quota used.
	errNoWindow = errors.New("wechat: customer-service window closed")
)

// Custom menu keys (CLICK events).
const (
	MenuShop   = "SHOP"
	MenuCart   = "CART"
	MenuOrders = "ORDERS"
)

// menuCommands maps a menu key to the command it runs.
var menuCommands = map[string]string{MenuShop: "/shop", MenuCart: "/cart", MenuOrders: "/orders"}

var (
	sceneRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	openIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// QRMaxAge is the life of a temporary QR code (WeChat's maximum).
const QRMaxAge = 30 * 24 * time.Hour

// CreateMenu installs the custom menu: Shop, Cart, My orders (CLICK keys
// MenuShop, MenuCart, MenuOrders), named in the default locale.
func (a *Adapter) CreateMenu(ctx context.Context) error {
	lang := templates.Default
	buttons := []*menu.Button{
		new(menu.Button).SetClickButton(a.say(lang, "menu_shop"), MenuShop),
		new(menu.Button).SetClickButton(a.say(lang, "menu_cart"), MenuCart),
		new(menu.Button).SetClickButton(a.say(lang, "menu_orders"), MenuOrders),
	}
	return a.api.createMenu(ctx, buttons)
}

// QRCode creates a parametric QR code with a string scene (never an integer
// one) and returns the URL of its image. Scanning it sends SCAN (followers)
// or subscribe with "qrscene_"+scene, which open "/start <scene>": "p_<id>"
// a product, "c_<id>" a category. temporary codes live QRMaxAge; others are
// permanent (WeChat caps their number).
func (a *Adapter) QRCode(ctx context.Context, scene string, temporary bool) (string, error) {
	if !sceneRe.MatchString(scene) {
		return "", ErrInvalidScene
	}
	req := basic.NewLimitQrRequest(scene)
	if temporary {
		req = basic.NewTmpQrRequest(QRMaxAge, scene)
	}
	t, err := a.api.qrTicket(ctx, req)
	if err != nil {
		return "", err
	}
	// The library's ShowQRCode does not escape the ticket; WeChat requires it.
	return a.o.QRImageBase + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(t.Ticket), nil
}

// QRContent creates a permanent parametric QR code with a string scene,
// like QRCode, and returns what the code encodes (WeChat's
// https://weixin.qq.com/q/… address) rather than its picture: for a label
// sheet that draws its own QR codes. The same scene gives the same code.
func (a *Adapter) QRContent(ctx context.Context, scene string) (string, error) {
	if !sceneRe.MatchString(scene) {
		return "", ErrInvalidScene
	}
	t, err := a.api.qrTicket(ctx, basic.NewLimitQrRequest(scene))
	if err != nil {
		return "", err
	}
	if t.URL == "" {
		return "", errors.New("wechat qrcode/create: no url in the answer")
	}
	return t.URL, nil
}

// Notify tells a user about something that happened (an order arrived, a
// reservation expires). While the user's customer-service window is open
// and its quota lasts it sends text (cut to one message) as a
// customer-service message;
// otherwise (or when WeChat says the window is closed) it sends the
// template message configured for kind with data as its fields. It returns
// ErrNoTemplate when that is needed and none is configured.
func (a *Adapter) Notify(ctx context.Context, openID, kind, text string, data map[string]string) error {
	if !openIDRe.MatchString(openID) {
		return ErrInvalidOpenID
	}
	if text != "" {
		err := a.sendKF(ctx, message.NewCustomerTextMessage(openID, chunks(text, maxTextBytes)[0]))
		if err == nil {
			return nil
		}
		var apiErr *APIError
		switch {
		case errors.Is(err, errNoWindow):
		case errors.As(err, &apiErr) && (apiErr.Code == codeWindowClosed || apiErr.Code == codeQuotaExhausted):
			_ = a.o.Windows.CloseWindow(ctx, openID) // WeChat knows better than our count
		default:
			return err
		}
	}
	id := a.o.Templates[kind]
	if id == "" {
		return fmt.Errorf("%w: %q", ErrNoTemplate, kind)
	}
	m := &message.TemplateMessage{ToUser: openID, TemplateID: id, Data: map[string]*message.TemplateDataItem{}}
	for k, v := range data {
		m.Data[k] = &message.TemplateDataItem{Value: v}
	}
	if _, err := a.api.sendTemplate(ctx, m); err != nil {
		a.o.OnEvent(EventTemplateFail)
		return err
	}
	a.o.OnEvent(EventTemplateSent)
	return nil
}

// sendKF sends one customer-service message within the user's window,
// using one message of its quota.
func (a *Adapter) sendKF(ctx context.Context, m *message.CustomerMessage) error {
	ok, err := a.o.Windows.TakeWindow(ctx, m.ToUser, a.o.Clock(), KFWindow)
	if err != nil {
		return fmt.Errorf("wechat: window: %w", err)
	}
	if !ok {
		a.o.OnEvent(EventKFQuota)
		return errNoWindow
	}
	if err := a.api.sendKF(ctx, m); err != nil {
		a.o.OnEvent(EventKFFailed)
		return err
	}
	a.o.OnEvent(EventKFSent)
	return nil
}

// sendAll sends customer-service messages in order, stopping at the first
// failure (later ones would arrive out of context).
func (a *Adapter) sendAll(ctx context.Context, msgs []*message.CustomerMessage) {
	for _, m := range msgs {
		if err := a.sendKF(ctx, m); err != nil {
			if !errors.Is(err, errNoWindow) {
				a.o.Log.WarnContext(ctx, "wechat: customer-service message failed", "type", m.Msgtype, "err", err)
			}
			return
		}
	}
}
