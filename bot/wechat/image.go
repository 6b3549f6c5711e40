package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"shopbot/bot"
	"shopbot/templates"
)

// Image messages: staff at a pickup counter send a photo of a buyer's QR
// code. The picture is downloaded from the message's PicUrl (WeChat's
// image server) and handed to the router as bot.Message.Photo; when it
// cannot be had, the fixed "can't read pictures" answer is given as before.
// Only callbacks verified in safe mode are trusted with a URL to fetch: a
// plaintext callback's body is not covered by its signature.

// Image download limits.
const (
	// MaxImageBytes is the largest picture downloaded.
	MaxImageBytes = bot.MaxPhotoBytes
	// ImageTimeout bounds one download.
	ImageTimeout = 5 * time.Second
)

// errImageTooLarge: the picture is over MaxImageBytes.
var errImageTooLarge = errors.New("wechat: image over the size cap")

// picURL returns PicUrl when it is an absolute http(s) URL to fetch.
func picURL(raw string) (string, bool) {
	if len(raw) > 2048 {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	return u.String(), true
}

// downloadImage fetches a picture with the adapter's HTTP client, within
// ImageTimeout and MaxImageBytes.
func (a *Adapter) downloadImage(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, ImageTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := a.o.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wechat image download: %w", err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode != http.StatusOK:
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return nil, fmt.Errorf("wechat image download: HTTP %d", res.StatusCode)
	case res.ContentLength > MaxImageBytes:
		return nil, errImageTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, MaxImageBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("wechat image download: %w", err)
	case len(data) > MaxImageBytes:
		return nil, errImageTooLarge
	case len(data) == 0:
		return nil, errors.New("wechat image download: empty body")
	}
	return data, nil
}

// handleImage downloads the picture of an image message into msg and
// routes it; when the download fails the answer is the fixed text.
func (a *Adapter) handleImage(ctx context.Context, in inbound, m *message.MixMessage) result {
	data, err := a.downloadImage(ctx, in.picURL)
	if err != nil {
		a.o.OnEvent(EventImageFailed)
		a.o.Log.WarnContext(ctx, "wechat: image download failed", "err", err)
		lang := a.userLang(ctx, in.msg.UserID)
		if lang == "" {
			lang = templates.Default
		}
		return result{out: rendered{blocks: []block{{text: a.say(lang, "image")}}, lang: lang}}
	}
	in.msg.Photo = data
	return a.handle(ctx, in.msg, m)
}
