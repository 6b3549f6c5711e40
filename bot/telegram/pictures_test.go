package telegram

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"shopbot/bot"
	"shopbot/bot/telegram/telegramtest"
)

// imageSource is Options.ImageBytes for tests: a small PNG for every
// "/img/…" URL, counting the reads.
type imageSource struct {
	mu    sync.Mutex
	reads map[string]int
	fail  bool
}

func (s *imageSource) bytes(_ context.Context, url string) ([]byte, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reads == nil {
		s.reads = map[string]int{}
	}
	s.reads[url]++
	if s.fail {
		return nil, "", errors.New("no such picture")
	}
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 3))); err != nil {
		return nil, "", err
	}
	return b.Bytes(), "image/png", nil
}

func (s *imageSource) count(url string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[url]
}

// withUploads is a polling setup on a laptop: PublicURL is a private
// address Telegram cannot fetch, and pictures come from src.
func withUploads(src *imageSource) envOption {
	return withOptions(func(o *Options) {
		o.Mode, o.PublicURL, o.ImageBytes = ModePolling, "http://192.168.1.20:8080", src.bytes
	})
}

// uploads are the sendPhoto calls that carried the picture's bytes.
func uploads(e *testEnv) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range e.api.Calls("sendPhoto") {
		if c.Upload != nil {
			out = append(out, c)
		}
	}
	return out
}

// TestPictureUploadedOnce: with no public URL, product cards to 20 chats
// at once upload each picture once; every other card sends the file_id
// Telegram answered for that upload.
func TestPictureUploadedOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		src := &imageSource{}
		e := newEnv(t, inBubble(), noRouter(), withUploads(src))
		const serum, cream = "/img/demo:COS-001.png", "/img/demo:COS-002.png"
		var wg sync.WaitGroup
		for i := range 20 {
			img := serum
			if i%5 == 4 {
				img = cream
			}
			wg.Go(func() {
				r := bot.Reply{Text: "Card " + strconv.Itoa(i), Image: img, Buttons: [][]bot.Button{{{Text: "+", Action: "q:1:2"}}}}
				if err := e.a.SendReply(context.Background(), strconv.Itoa(2000+i), r); err != nil {
					t.Errorf("card %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if got := len(uploads(e)); got != 2 {
			t.Errorf("%d uploads, want 2 (one per picture)", got)
		}
		if src.count(serum) != 1 || src.count(cream) != 1 {
			t.Errorf("pictures read %d and %d times, want once each", src.count(serum), src.count(cream))
		}
		ids := map[string]string{} // picture → the file_id of its upload
		for i := range 20 {
			ms := e.api.Messages(int64(2000 + i))
			if len(ms) != 1 || ms[0].Photo == "" || ms[0].Caption != "Card "+strconv.Itoa(i) || len(ms[0].Markup) != 1 {
				t.Fatalf("chat %d got %+v", 2000+i, ms)
			}
			img := serum
			if i%5 == 4 {
				img = cream
			}
			if ms[0].Uploaded {
				ids[img] = ms[0].Photo
			}
		}
		for i := range 20 {
			m := e.api.Messages(int64(2000 + i))[0]
			img := serum
			if i%5 == 4 {
				img = cream
			}
			if m.Photo != ids[img] {
				t.Errorf("chat %d: photo %q, want the file_id %q of the %s upload", 2000+i, m.Photo, ids[img], img)
			}
		}
		if n := e.api.Count("sendMessage"); n != 0 {
			t.Errorf("%d cards went out as text", n)
		}
		if v := e.api.Violations(); v != 0 {
			t.Errorf("%d flood-limit violations", v)
		}
	})
}

func TestPictureFallbacks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	card := bot.Reply{Text: "Serum", Image: "/img/demo:COS-001.png"}

	t.Run("a refused file_id is uploaded again", func(t *testing.T) {
		t.Parallel()
		src := &imageSource{}
		e := newEnv(t, noRouter(), withUploads(src))
		for _, chat := range []string{"1001", "1002"} {
			if err := e.a.SendReply(ctx, chat, card); err != nil {
				t.Fatal(err)
			}
		}
		e.api.Inject("sendPhoto", fault{Code: 400, Desc: "Bad Request: wrong file identifier/HTTP URL specified"})
		if err := e.a.SendReply(ctx, "1003", card); err != nil {
			t.Fatal(err)
		}
		calls := e.api.Calls("sendPhoto")
		if len(calls) != 4 || calls[0].Upload == nil || calls[1].Upload != nil || calls[2].Status != 400 || calls[3].Upload == nil {
			t.Fatalf("sendPhoto calls: %+v", calls)
		}
		if calls[2].Params.Get("photo") != calls[1].Params.Get("photo") {
			t.Errorf("the refused call did not send the cached file_id")
		}
		if m, ok := e.api.Last(1003); !ok || !m.Uploaded {
			t.Errorf("chat 1003 got %+v", m)
		}
		if src.count(card.Image) != 2 || e.events.get(EventSendFailed) != 0 || e.events.get(EventPhotoFallback) != 0 {
			t.Errorf("reads %d, events %v", src.count(card.Image), e.events.n)
		}
		// The new file_id is the one reused next.
		if err := e.a.SendReply(ctx, "1004", card); err != nil {
			t.Fatal(err)
		}
		last, _ := e.api.Last(1004)
		if fresh, _ := e.api.Last(1003); last.Photo != fresh.Photo || last.Uploaded {
			t.Errorf("after the new upload: %+v", last)
		}
	})

	t.Run("a refused upload sends text", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, noRouter(), withUploads(&imageSource{}))
		e.api.Inject("sendPhoto", fault{Code: 400, Desc: "Bad Request: IMAGE_PROCESS_FAILED"})
		if err := e.a.SendReply(ctx, "1001", card); err != nil {
			t.Fatal(err)
		}
		// One attempt: the library leaves error_code out of a multipart
		// answer, which must not read as a network error to retry.
		if n := e.api.Count("sendPhoto"); n != 1 {
			t.Errorf("%d sendPhoto calls, want 1", n)
		}
		if m, ok := e.api.Last(1001); !ok || m.Text != "Serum" {
			t.Errorf("got %+v", m)
		}
		if e.events.get(EventPhotoFallback) != 1 || e.events.get(EventSendFailed) != 0 || e.events.get(EventRetry) != 0 {
			t.Errorf("events %v", e.events.n)
		}
	})

	t.Run("an unreadable picture sends text", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, noRouter(), withUploads(&imageSource{fail: true}))
		if err := e.a.SendReply(ctx, "1001", card); err != nil {
			t.Fatal(err)
		}
		if e.api.Count("sendPhoto") != 0 || e.api.Count("sendMessage") != 1 || e.events.get(EventPhotoFallback) != 1 {
			t.Errorf("photos %d, texts %d, events %v", e.api.Count("sendPhoto"), e.api.Count("sendMessage"), e.events.n)
		}
	})

	t.Run("a public URL is sent as a URL", func(t *testing.T) {
		t.Parallel()
		src := &imageSource{}
		e := newEnv(t, noRouter(), withOptions(func(o *Options) { o.ImageBytes = src.bytes }))
		for _, chat := range []string{"1001", "1002"} {
			if err := e.a.SendReply(ctx, chat, card); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range e.api.Calls("sendPhoto") {
			if c.Upload != nil || c.Params.Get("photo") != testPublic+card.Image {
				t.Errorf("sendPhoto %v (upload %d bytes)", c.Params, len(c.Upload))
			}
		}
		if n := src.count(card.Image); n != 0 {
			t.Errorf("picture read %d times", n)
		}
	})
}

// TestPictureCardsThroughRouter: two buyers open the same product card in
// a polling setup: one upload, then the file_id; "+" edits the uploaded
// card's caption in place.
func TestPictureCardsThroughRouter(t *testing.T) {
	t.Parallel()
	src := &imageSource{}
	e := newEnv(t, withUploads(src))
	for i, user := range []*tgbotapi.User{alice, boris} {
		e.deliver(t, textUpdate(10+i, private(user), user, "/start"))
		menu := e.api.Messages(user.ID)[0]
		e.press(t, 20+i, user, menu, "p:1")
	}
	if got := len(uploads(e)); got != 1 {
		t.Fatalf("%d uploads for two cards with one picture, want 1", got)
	}
	a, _ := e.api.Last(alice.ID)
	b, _ := e.api.Last(boris.ID)
	if !a.Uploaded || b.Uploaded || b.Photo != a.Photo || b.Caption == "" {
		t.Fatalf("cards: %+v / %+v", a, b)
	}
	var plus string
	for _, btn := range b.Markup[0] {
		if btn.Text == "+" {
			plus = btn.CallbackData
		}
	}
	e.press(t, 30, boris, b, plus)
	if n := e.api.Count("editMessageCaption"); n != 1 {
		t.Errorf("+ on an uploaded card: %d caption edits, want 1", n)
	}
}

// TestPostUploadsPicture: a drop post in a group uploads its picture; a
// second post reuses the file_id, and the post's caption is edited.
func TestPostUploadsPicture(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, noRouter(), withUploads(&imageSource{}))
	post := bot.Reply{Text: "Serum — 5 left", Image: "/img/serum.png"}
	id, err := e.a.Post(ctx, "-100123", post)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Post(ctx, "-100456", post); err != nil {
		t.Fatal(err)
	}
	if got := len(uploads(e)); got != 1 || e.api.Count("sendPhoto") != 2 {
		t.Errorf("%d uploads in %d sendPhoto calls, want 1 in 2", got, e.api.Count("sendPhoto"))
	}
	if err := e.a.Edit(ctx, "-100123", id, bot.Reply{Text: "Serum — 4 left", Image: post.Image}); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(id)
	if m, _ := e.api.Message(-100123, n); m.Caption != "Serum — 4 left" {
		t.Errorf("caption after the edit: %q", m.Caption)
	}
}
