package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/templates"
)

// Photos sent to the bot (staff photograph a buyer's pickup QR) are
// downloaded and handed to the router as bot.Message.Photo: in private
// chats only (groups ignore media as before), a photo's largest size of at
// most bot.MaxPhotoBytes, or a PNG/JPEG sent as a file. The download is
// getFile, then GET on the file endpoint, under Options.DownloadTimeout and
// the size cap; when it fails the user is told to try again.

// photoRef is the file to download for a photo message.
type photoRef struct {
	fileID string
	size   int // from the update; 0 = unknown
}

// filePathRe is what a getFile file_path may look like ("photos/file_7.jpg").
var filePathRe = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,255}$`)

// fileEndpointFor derives the file download pattern from the API endpoint:
// Telegram serves files under /file/bot<token>/<path> beside the API's
// /bot<token>/<method> (so does a fake or a proxy laid out the same way).
// The library's own tgbotapi.FileEndpoint is a constant for the official
// server, and File.Link uses it whatever endpoint the BotAPI was given.
// "" when the endpoint is laid out otherwise: photos are then not read.
func fileEndpointFor(api string) string {
	base, ok := strings.CutSuffix(api, "/bot%s/%s")
	if !ok || strings.Contains(base, "%") {
		return ""
	}
	return base + "/file/bot%s/%s"
}

// photoOf picks the picture of a private message: the largest photo size
// within the cap, or a document that is a PNG or JPEG within it.
func photoOf(m *tgbotapi.Message) (photoRef, bool) {
	var best photoRef
	bestArea := -1
	for _, p := range m.Photo {
		if p.FileID == "" || p.FileSize > bot.MaxPhotoBytes {
			continue
		}
		// By file size; an unknown size ranks by its pixels.
		if area := p.Width * p.Height; p.FileSize > best.size || p.FileSize == best.size && area > bestArea {
			best, bestArea = photoRef{fileID: p.FileID, size: p.FileSize}, area
		}
	}
	if best.fileID != "" {
		return best, true
	}
	if d := m.Document; d != nil && d.FileID != "" && d.FileSize <= bot.MaxPhotoBytes && isImageFile(d.MimeType, d.FileName) {
		return photoRef{fileID: d.FileID, size: d.FileSize}, true
	}
	return photoRef{}, false
}

func isImageFile(mimeType, name string) bool {
	switch strings.ToLower(mimeType) {
	case "image/jpeg", "image/png":
		return true
	case "", "application/octet-stream":
		name = strings.ToLower(name)
		return strings.HasSuffix(name, ".jpg") || strings.HasSuffix(name, ".jpeg") || strings.HasSuffix(name, ".png")
	}
	return false
}

// errPhotoTooLarge: the file is over bot.MaxPhotoBytes.
var errPhotoTooLarge = errors.New("telegram: photo over the size cap")

// downloadPhoto fetches a file by id: getFile (through the Sender, with
// its retries), then the file itself, at most bot.MaxPhotoBytes.
func (a *Adapter) downloadPhoto(ctx context.Context, ref photoRef) ([]byte, error) {
	if a.fileEndpoint == "" {
		return nil, errors.New("telegram: no file endpoint for this API endpoint")
	}
	ctx, cancel := context.WithTimeout(ctx, a.o.DownloadTimeout)
	defer cancel()
	resp, err := a.sender.Call(ctx, "getFile", tgbotapi.Params{"file_id": ref.fileID})
	if err != nil {
		return nil, err
	}
	var f tgbotapi.File
	if err := json.Unmarshal(resp.Result, &f); err != nil {
		return nil, fmt.Errorf("getFile result: %w", err)
	}
	switch {
	case f.FileSize > bot.MaxPhotoBytes:
		return nil, errPhotoTooLarge
	case !filePathRe.MatchString(f.FilePath) || strings.Contains(f.FilePath, ".."):
		return nil, fmt.Errorf("telegram getFile: unusable file_path %q", f.FilePath)
	}
	scrub := tokenScrubber(a.o.Token).scrub
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf(a.fileEndpoint, a.o.Token, f.FilePath), nil)
	if err != nil {
		return nil, scrub(err)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram file download: %w", scrub(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		return nil, fmt.Errorf("telegram file download: %w", &statusError{Code: res.StatusCode})
	}
	if res.ContentLength > bot.MaxPhotoBytes {
		return nil, errPhotoTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, bot.MaxPhotoBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("telegram file download: %w", scrub(err))
	case len(data) > bot.MaxPhotoBytes:
		return nil, errPhotoTooLarge
	case len(data) == 0:
		return nil, errors.New("telegram file download: empty file")
	}
	return data, nil
}

// withPhoto downloads the photo of in into its message under dctx. When
// that fails it answers the user itself under ctx (they may send it again)
// and returns false.
func (a *Adapter) withPhoto(dctx, ctx context.Context, in *incoming) bool {
	data, err := a.downloadPhoto(dctx, in.photo)
	if err == nil {
		in.msg.Photo = data
		return true
	}
	a.event(EventPhotoFailed)
	a.log.WarnContext(ctx, "telegram photo download failed", "chat", a.logChat(in.chatID), "err", err)
	lang := templates.Match(in.msg.Lang)
	if lang == "" {
		lang = templates.Default
	}
	a.render(ctx, *in, []bot.Reply{{Text: a.o.Router.Texts().Text(lang, "error_internal", nil)}})
	return false
}
