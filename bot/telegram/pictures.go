package telegram

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Pictures the bot sends (product cards, drop posts, pickup codes,
// broadcasts) are site-relative URLs ("/img/…"). Telegram fetches them
// itself when PublicURL is a public address. Otherwise — long polling on
// a laptop — the adapter uploads the bytes (Options.ImageBytes) with the
// first sendPhoto of each picture and keeps the file_id Telegram answers,
// so every later message with that picture sends only the file_id: each
// picture is uploaded once per bot (file_ids belong to the bot, not to a
// chat). A file_id Telegram refuses is forgotten and the picture uploaded
// anew; a picture that cannot be read is sent as text, as before.

// MaxPhotoUpload is the largest picture sendPhoto takes as an upload.
const MaxPhotoUpload = 10 << 20

// maxPictures bounds the file_id cache; the oldest entry goes first (it is
// only uploaded again when needed).
const maxPictures = 4096

// errNoPicture: the picture could not be read for an upload; the reply
// goes out as text.
var errNoPicture = errors.New("telegram: picture unavailable")

// pictures maps picture keys (site-relative URLs) to the file_ids of
// their uploads and lets one upload per picture run at a time.
type pictures struct {
	mu    sync.Mutex
	ids   map[string]string
	order []string                 // keys in insertion order, for eviction
	busy  map[string]chan struct{} // closed when the running upload ends
}

func newPictures() *pictures {
	return &pictures{ids: map[string]string{}, busy: map[string]chan struct{}{}}
}

// get returns key's file_id; when there is none, either the caller's turn
// to upload it (turn: it must call done) or a channel closed when another
// caller's upload ends.
func (p *pictures) get(key string) (fileID string, turn bool, wait <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id := p.ids[key]; id != "" {
		return id, false, nil
	}
	if ch := p.busy[key]; ch != nil {
		return "", false, ch
	}
	p.busy[key] = make(chan struct{})
	return "", true, nil
}

// done ends an upload turn, keeping fileID ("" when the upload failed).
func (p *pictures) done(key, fileID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fileID != "" {
		if _, ok := p.ids[key]; !ok {
			p.order = append(p.order, key)
		}
		p.ids[key] = fileID
		for len(p.order) > maxPictures {
			delete(p.ids, p.order[0])
			p.order = p.order[1:]
		}
	}
	if ch := p.busy[key]; ch != nil {
		close(ch)
		delete(p.busy, key)
	}
}

// forget drops key's file_id if it still is fileID (Telegram refused it).
func (p *pictures) forget(key, fileID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids[key] == fileID {
		delete(p.ids, key)
		for i, k := range p.order {
			if k == key {
				p.order = append(p.order[:i], p.order[i+1:]...)
				break
			}
		}
	}
}

// hasPhoto reports whether a reply's picture img can be sent as a photo:
// Telegram fetches it by URL, or its bytes can be uploaded.
func (a *Adapter) hasPhoto(img string) bool { return a.imageURL(img) != "" || a.uploadable(img) }

// uploadable reports whether img is a site-relative picture to upload
// (there is no public URL to fetch it from, and ImageBytes can read it).
func (a *Adapter) uploadable(img string) bool {
	return img != "" && a.imageURL(img) == "" && a.o.ImageBytes != nil && !strings.Contains(img, "://")
}

// sendPhoto sends p (all but its File) with the picture img to chatID —
// by URL, by the file_id of an earlier upload, or uploading it — and
// returns the message. An error that is a 400 (Telegram refused the
// picture) or errNoPicture means the caller should send text instead.
func (a *Adapter) sendPhoto(ctx context.Context, chatID int64, img string, p tgbotapi.PhotoConfig) (tgbotapi.Message, error) {
	send := func(f tgbotapi.RequestFileData) (tgbotapi.Message, error) {
		p.File = f
		resp, err := a.sender.run(ctx, call{method: "sendPhoto", chatID: chatID, limited: true, tolerant: true,
			do: func(api *tgbotapi.BotAPI) (*tgbotapi.APIResponse, error) { return api.Request(p) }})
		return decodeMessage(resp, err)
	}
	if u := a.imageURL(img); u != "" {
		return send(tgbotapi.FileURL(u))
	}
	if !a.uploadable(img) {
		return tgbotapi.Message{}, errNoPicture
	}
	key := "/" + strings.TrimPrefix(img, "/")
	refused := false
	for {
		id, turn, wait := a.pics.get(key)
		switch {
		case id != "":
			m, err := send(tgbotapi.FileID(id))
			if code, _ := classify(err); code != 400 || refused {
				return m, err
			}
			// An unknown or expired file_id: upload the picture again.
			a.log.InfoContext(ctx, "telegram refused a picture's file_id, uploading it again", "image", key, "err", err)
			a.pics.forget(key, id)
			refused = true
		case turn:
			m, err := a.upload(ctx, key, send)
			a.pics.done(key, largestPhoto(m))
			return m, err
		default:
			select {
			case <-wait:
			case <-ctx.Done():
				return tgbotapi.Message{}, ctx.Err()
			}
		}
	}
}

// upload sends the bytes of the picture key with send.
func (a *Adapter) upload(ctx context.Context, key string, send func(tgbotapi.RequestFileData) (tgbotapi.Message, error)) (tgbotapi.Message, error) {
	data, contentType, err := a.o.ImageBytes(ctx, key)
	switch {
	case err != nil:
		return tgbotapi.Message{}, fmt.Errorf("%w: %s: %w", errNoPicture, key, err)
	case len(data) == 0 || len(data) > MaxPhotoUpload:
		return tgbotapi.Message{}, fmt.Errorf("%w: %s is %d bytes", errNoPicture, key, len(data))
	}
	return send(tgbotapi.FileBytes{Name: "picture" + pictureExt(contentType, data), Bytes: data})
}

// pictureExt is the file name extension for an upload.
func pictureExt(contentType string, data []byte) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "image/") {
		mt = http.DetectContentType(data)
	}
	switch mt {
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	}
	return ".jpg"
}

// largestPhoto is the file_id of the largest size of m's photo ("" when m
// has none).
func largestPhoto(m tgbotapi.Message) string {
	id, area, size := "", -1, -1
	for _, p := range m.Photo {
		if a := p.Width * p.Height; p.FileID != "" && (a > area || a == area && p.FileSize > size) {
			id, area, size = p.FileID, a, p.FileSize
		}
	}
	return id
}

// refusedPicture reports whether err from sendPhoto means the reply should
// be sent as text.
func refusedPicture(err error) bool {
	code, _ := classify(err)
	return code == 400 || errors.Is(err, errNoPicture)
}
