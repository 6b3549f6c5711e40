package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"shopbot/bot"
	"shopbot/bot/telegram"
	"shopbot/bot/telegram/telegramtest"
	"shopbot/bot/wechat/wechattest"
	"shopbot/commerce"
	"shopbot/internal/testenv"
	"shopbot/jobs"
)

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startBroadcast seeds n Telegram users (chats audienceFirstChat…) and starts
// a broadcast to them from author.
func startBroadcast(t *testing.T, a *App, n int, author, authorChat string) commerce.Broadcast {
	t.Helper()
	ctx := context.Background()
	if err := seedAudience(ctx, a, n); err != nil {
		t.Fatal(err)
	}
	b, err := a.Store.CreateBroadcast(ctx, commerce.Broadcast{Author: author, AuthorChat: authorChat,
		Channels: []string{bot.ChannelTelegram}, Content: commerce.BroadcastContent{Text: "Spring sale"}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = a.Store.StartBroadcast(ctx, b.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return b
}

// A broadcast in the chat: the fake answers 403 for some users, who are
// recorded as blocked and skipped by the next broadcast. A Telegram
// seller's progress message is posted once and edited in place at most
// once per progress interval, ending with the summary; a web seller gets a
// start and an end message.
func TestBroadcastTelegram(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPIWith(telegramtest.Options{Limits: telegramtest.Limits{Global: telegramtest.Limit{N: 200, Per: time.Second}}})
	defer api.Close()
	cfg := sqliteConfig(t)
	cfg.SeedDemo = false
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), Mode: telegram.ModePolling}
	cfg.Tuning.TelegramLimits = &telegram.SendLimits{Global: telegram.Limit{N: 200, Per: time.Second}}
	const every = 100 * time.Millisecond
	cfg.Tuning.BroadcastLanes = map[string]jobs.Lane{bot.ChannelTelegram: {Concurrency: 1, Batch: 4}}
	cfg.broadcastProgressEvery = every
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	if err := a.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.queue.Stop(context.Background())

	const n = 120
	// The first two sends are refused: those users blocked the bot.
	api.Inject("sendMessage", telegramtest.Fault{Code: 403, Desc: "Forbidden: bot was blocked by the user"},
		telegramtest.Fault{Code: 403, Desc: "Forbidden: bot was blocked by the user"})
	b := startBroadcast(t, a, n, "web:seller", "seller")
	waitFor(t, 30*time.Second, "the broadcast to end", func() bool {
		b, _ = a.Store.Broadcast(ctx, b.ID)
		return b.Status == commerce.BroadcastDone
	})
	if b.Counts.Sent != n-2 || b.Counts.Blocked != 2 || b.Counts.Total != n {
		t.Fatalf("counts = %+v; want %d sent, 2 blocked", b.Counts, n-2)
	}
	blocked := 0
	for i := range n {
		u, err := a.Store.ChatUser(ctx, "tg", strconv.FormatInt(audienceFirstChat+int64(i), 10))
		if err != nil {
			t.Fatal(err)
		}
		if u.Blocked {
			blocked++
			if len(api.Messages(audienceFirstChat+int64(i))) != 0 {
				t.Fatalf("user %s marked blocked but received the message", u.UserID)
			}
		}
	}
	if blocked != 2 {
		t.Fatalf("%d users marked blocked, want 2", blocked)
	}
	// The next broadcast skips the blocked users without sending to them.
	before := len(api.Calls("sendMessage"))
	var inbox []string
	waitFor(t, 10*time.Second, "the web seller's start and end messages", func() bool {
		got, _ := a.Store.Pull(ctx, "web:seller", 10)
		for _, p := range got {
			inbox = append(inbox, string(p))
		}
		return len(inbox) == 2
	})
	started := time.Now()
	b2, err := a.Store.CreateBroadcast(ctx, commerce.Broadcast{Author: "tg:777", AuthorChat: "777", Channels: []string{"tg"},
		Content: commerce.BroadcastContent{Text: "Again"}})
	if err != nil {
		t.Fatal(err)
	}
	if b2, err = a.Store.StartBroadcast(ctx, b2.ID, time.Now()); err != nil || b2.Counts.Blocked != 2 {
		t.Fatalf("second broadcast = %+v, %v; want 2 blocked at the snapshot", b2.Counts, err)
	}
	waitFor(t, 30*time.Second, "the second broadcast", func() bool {
		b2, _ = a.Store.Broadcast(ctx, b2.ID)
		return b2.Status == commerce.BroadcastDone
	})
	took := time.Since(started)
	// Progress: one message in the seller's chat (in the seller's language,
	// the default here), edited at a bounded rate, ending with the summary.
	summary := a.Router.BroadcastProgress(b2, "", true).Text
	waitFor(t, 10*time.Second, "the summary", func() bool {
		m, ok := api.Last(777)
		return ok && m.Text == summary
	})
	if msgs := api.Messages(777); len(msgs) != 1 {
		t.Fatalf("seller's chat = %+v; want one progress message", msgs)
	}
	edits := len(api.Calls("editMessageText"))
	if limit := int(took/every) + 2; edits > limit || edits == 0 {
		t.Fatalf("%d progress edits in %v; want 1..%d (one per %v at most, plus the summary)", edits, took, limit, every)
	}
	if sent := len(api.Calls("sendMessage")) - before - 1; sent != n-2 || b2.Counts.Sent != n-2 {
		t.Fatalf("second broadcast sent %d (counted %d), want %d", sent, b2.Counts.Sent, n-2)
	}
}

// killChildEnv marks the child process of TestBroadcastSurvivesKill.
const killChildEnv = "SHOPBOT_TEST_BROADCAST_CHILD"

// TestBroadcastChildProcess is the shopbot the kill test starts and kills:
// the real serve command with the parent's environment.
func TestBroadcastChildProcess(t *testing.T) {
	if os.Getenv(killChildEnv) == "" {
		t.Skip("run by TestBroadcastSurvivesKill")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(Main(ctx, []string{"serve"}, os.Getenv, os.Stdout, os.Stderr))
}

// The worker runs in a child process (this test binary re-executed as
// shopbot serve) that is SIGKILLed mid-broadcast; a second child finishes
// the broadcast. Every recipient gets the message at least once, and the
// duplicates are at most the sends in flight (recipients "sending") at the
// kill.
func TestBroadcastSurvivesKill(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		killAndResume(t, "sqlite:"+filepath.Join(t.TempDir(), "shop.db"))
	})
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		killAndResume(t, testenv.PostgresSchema(t))
	})
}

func killAndResume(t *testing.T, dbURL string) {
	const n = 150
	// Telegram's real limits: 30/s. The violations counted are runs of 31
	// messages arriving within 1 s minus the tolerance; a child process on a
	// busy machine delivers late and then bunched, so the tolerance is wide
	// (250 ms) while two senders at once (60/s) would still show at once.
	api := telegramtest.NewFakeAPIWith(telegramtest.Options{Tolerance: 250 * time.Millisecond})
	defer api.Close()
	env := map[string]string{"DATABASE_URL": dbURL, "SHOPBOT_SEED_DEMO": "false"}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	b := startBroadcast(t, a, n, "cli", "")
	a.Close()

	var logs bytes.Buffer
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBroadcastChildProcess$", "-test.v")
		cmd.Env = append(os.Environ(), killChildEnv+"=1", "DATABASE_URL="+dbURL, "SHOPBOT_SEED_DEMO=false",
			"SHOPBOT_HTTP_ADDR=127.0.0.1:0", "SHOPBOT_METRICS_ADDR=127.0.0.1:0", "TELEGRAM_TOKEN="+telegramtest.Token, "TELEGRAM_API_ENDPOINT="+api.Endpoint(),
			"TELEGRAM_MODE=polling", "SHOPBOT_BROADCAST_LEASE=2s", "REDIS_URL=")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	sent := func() int { return len(api.Calls("sendMessage")) }

	first := child()
	waitFor(t, 60*time.Second, "a third of the broadcast", func() bool { return sent() >= n/3 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	time.Sleep(100 * time.Millisecond) // requests already received are counted
	atKill := sent()

	a, err = Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	counts, err := a.Store.RecipientCounts(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	inFlight := counts[commerce.RecipientSending]
	t.Logf("at the kill: %d messages at the fake, recipients %v", sent(), counts)
	if atKill >= n {
		t.Fatalf("the broadcast was over (%d sent) before the kill; nothing tested", atKill)
	}

	second := child()
	defer func() {
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
		if t.Failed() {
			t.Logf("children's output:\n%s", logs.String())
		}
	}()
	waitFor(t, 90*time.Second, "the resumed broadcast to end", func() bool {
		got, err := a.Store.Broadcast(ctx, b.ID)
		return err == nil && got.Status == commerce.BroadcastDone
	})
	missed, dups := 0, 0
	for i := range n {
		switch k := len(api.Messages(audienceFirstChat + int64(i))); {
		case k == 0:
			missed++
		case k > 1:
			dups += k - 1
		}
	}
	got, _ := a.Store.Broadcast(ctx, b.ID)
	t.Logf("%s: %d sent at the kill, %d in flight, %d duplicates, %d missed, counts %+v", cfg.DatabaseURL[:6], atKill, inFlight, dups, missed, got.Counts)
	if missed != 0 {
		t.Fatalf("%d recipients missed", missed)
	}
	if dups > inFlight {
		t.Fatalf("%d duplicates, more than the %d sends in flight at the kill", dups, inFlight)
	}
	// Tighter: only messages Telegram got whose outcome was not recorded
	// yet are sent twice.
	if unrecorded := atKill - counts[commerce.RecipientSent]; dups > unrecorded {
		t.Fatalf("%d duplicates, more than the %d messages delivered but not recorded at the kill", dups, unrecorded)
	}
	if got.Counts.Sent != n {
		t.Fatalf("counts = %+v; want all %d sent", got.Counts, n)
	}
	if v := api.Violations(); v != 0 {
		t.Fatalf("%d flood-limit violations across the two processes", v)
	}
}

// WeChat followers get a customer-service message only inside their
// 48-hour window (never a template message); the others are recorded as
// skipped. Web users find the broadcast in their inbox.
func TestBroadcastWeChatAndWeb(t *testing.T) {
	t.Parallel()
	var key [32]byte
	_, _ = rand.Read(key[:])
	client := wechattest.Client{AppID: "wxbroadcast000001", Token: "bctoken", GhID: "gh_bc",
		AESKey: strings.TrimRight(base64.StdEncoding.EncodeToString(key[:]), "=")}
	api := wechattest.NewFakeAPI(client.AppID, "bcsecret")
	defer api.Close()
	cfg := sqliteConfig(t)
	cfg.SeedDemo = false
	cfg.WeChat = WeChatConfig{AppID: client.AppID, Secret: "bcsecret", Token: client.Token, AESKey: client.AESKey, APIBase: api.URL()}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	if err := a.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.queue.Stop(context.Background())

	// oInWindow01 writes (its window opens, the router records it);
	// oOutside02 is in the audience from long ago; alice uses the web chat.
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, client.Request(client.TextXML("oInWindow01", "/start", 5001, time.Now().Unix()), time.Now()))
	if rec.Code != http.StatusOK {
		t.Fatalf("callback = %d", rec.Code)
	}
	for _, u := range []commerce.ChatUser{
		{Channel: "wx", UserID: "oOutside02", ChatID: "oOutside02", Lang: "zh-CN", LastSeen: time.Now().Add(-72 * time.Hour)},
		{Channel: "web", UserID: "alice", ChatID: "alice", Lang: "ru"},
	} {
		if err := a.Store.SeeChatUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Store.ChatUser(ctx, "wx", "oInWindow01"); err != nil {
		t.Fatalf("the follower who wrote is not in the audience: %v", err)
	}
	b, err := a.Store.CreateBroadcast(ctx, commerce.Broadcast{Author: "cli", Content: commerce.BroadcastContent{
		Text: "新品上架", ButtonText: "进店", ButtonURL: "https://shop.example/d/X1"}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = a.Store.StartBroadcast(ctx, b.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the broadcast to end", func() bool {
		b, _ = a.Store.Broadcast(ctx, b.ID)
		return b.Status == commerce.BroadcastDone
	})
	if want := (commerce.BroadcastCounts{Total: 3, Sent: 2, Skipped: 1}); b.Counts != want {
		t.Fatalf("counts = %+v, want %+v", b.Counts, want)
	}
	kf := api.KF()
	if len(kf) != 1 || kf[0]["touser"] != "oInWindow01" {
		t.Fatalf("kf messages = %v; want one to oInWindow01", kf)
	}
	text, _ := kf[0]["text"].(map[string]any)["content"].(string)
	if !strings.Contains(text, "新品上架") || !strings.Contains(text, "https://shop.example/d/X1") || !strings.Contains(text, "TD") {
		t.Fatalf("kf text = %q; want the words, the link and the opt-out line", text)
	}
	if n := len(api.Templates()); n != 0 {
		t.Fatalf("%d template messages sent for a broadcast", n)
	}
	inbox, err := a.Store.Pull(ctx, "web:alice", 10)
	if err != nil || len(inbox) != 1 || !strings.Contains(string(inbox[0]), "新品上架") || !strings.Contains(string(inbox[0]), "СТОП") {
		t.Fatalf("web inbox = %q, %v; want the broadcast with the Russian opt-out line", inbox, err)
	}
}

// shopbot broadcast send -wait works the queue itself and prints the
// progress; status, list and cancel read and change what it left.
func TestBroadcastCommands(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "shop.db"), "SHOPBOT_SEED_DEMO": "false"}
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(ctx, args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, errOut := run("migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	cfg, _ := ConfigFromEnv(env(vars))
	a, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ann", "bob"} {
		if err := a.Store.SeeChatUser(ctx, commerce.ChatUser{Channel: "web", UserID: u, ChatID: u, Lang: "en"}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()

	code, out, errOut := run("broadcast", "send", "-text", "Sale today", "-channel", "web", "-button", "Shop | https://shop.example", "-wait")
	if code != 0 || !strings.Contains(out, "broadcast #1 started: 2 recipients") || !strings.Contains(out, "#1 done 100% sent 2 / 2") {
		t.Fatalf("send -wait = %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ = run("broadcast", "status", "1"); code != 0 || !strings.Contains(out, "#1 done 100% sent 2 / 2") {
		t.Fatalf("status = %d %q", code, out)
	}
	if code, out, _ = run("broadcast", "list"); code != 0 || !strings.HasPrefix(out, "#1 done") {
		t.Fatalf("list = %d %q", code, out)
	}
	// Without -wait nothing sends here: cancel it.
	if code, out, _ = run("broadcast", "send", "-text", "Later", "-channel", "telegram,web"); code != 0 || !strings.Contains(out, "#2 started") {
		t.Fatalf("send = %d %q", code, out)
	}
	if code, out, _ = run("broadcast", "cancel", "2"); code != 0 || !strings.Contains(out, "cancelled") {
		t.Fatalf("cancel = %d %q", code, out)
	}
	if code, _, _ = run("broadcast", "cancel", "2"); code != 1 {
		t.Fatalf("second cancel exit %d, want 1", code)
	}
	for _, bad := range [][]string{
		{"broadcast"}, {"broadcast", "send"}, {"broadcast", "send", "-text", "x", "-channel", "fax"},
		{"broadcast", "send", "-text", "x", "-button", "no link"}, {"broadcast", "status", "x"}, {"broadcast", "frob"},
	} {
		if code, _, _ := run(bad...); code == 0 {
			t.Errorf("%v accepted", bad)
		}
	}
}

// A broadcast with a picture goes to Telegram as a photo fetched from
// GET /b/{name} on the public URL, with the text and opt-out line as its
// caption: one message per recipient. The picture was re-encoded like a
// product photo (the seller's GPS position is not in it; it is upright)
// and its name is random: the broadcast's id finds nothing, and two
// broadcasts of the same picture get unrelated names.
func TestBroadcastImage(t *testing.T) {
	t.Parallel()
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	cfg := sqliteConfig(t)
	cfg.SeedDemo = false
	cfg.PublicURL = "https://shop.example"
	cfg.Telegram = TelegramConfig{Token: telegramtest.Token, APIEndpoint: api.Endpoint(), Mode: telegram.ModePolling}
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	if err := a.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.queue.Stop(context.Background())
	if err := seedAudience(ctx, a, 2); err != nil {
		t.Fatal(err)
	}
	photo := turnedGPSJPEG(t)
	if !bytes.Contains(photo, []byte("GPS")) {
		t.Fatal("the test photo carries no GPS position")
	}
	var names []string
	var b commerce.Broadcast
	for range 2 {
		content, err := commerce.BroadcastContent{Text: string([]rune(strings.Repeat("Большая распродажа ", 60))[:commerce.MaxBroadcastText])}.WithImage(photo)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = a.Store.CreateBroadcast(ctx, commerce.Broadcast{Author: "cli", Content: content}); err != nil {
			t.Fatal(err)
		}
		names = append(names, content.ImageName)
	}
	for _, n := range names {
		if !commerce.ValidBroadcastImageName(n) {
			t.Fatalf("picture name %q", n)
		}
	}
	if names[0] == names[1] {
		t.Fatalf("two broadcasts share the picture name %s", names[0])
	}
	if b, err = a.Store.StartBroadcast(ctx, b.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the broadcast", func() bool {
		b, _ = a.Store.Broadcast(ctx, b.ID)
		return b.Status == commerce.BroadcastDone
	})
	for i := range 2 {
		msgs := api.Messages(audienceFirstChat + int64(i))
		if len(msgs) != 1 || msgs[0].Photo != "https://shop.example/b/"+names[1] || !strings.Contains(msgs[0].Caption, "СТОП") && !strings.Contains(msgs[0].Caption, "STOP") && !strings.Contains(msgs[0].Caption, "TD") {
			t.Fatalf("chat %d got %+v; want one photo from /b/%s with the text and opt-out line as caption", i, msgs, names[1])
		}
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/b/"+names[1], nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET /b/%s = %d %q", names[1], rec.Code, rec.Header().Get("Content-Type"))
	}
	served := rec.Body.Bytes()
	if bytes.Contains(served, []byte("Exif")) || bytes.Contains(served, []byte("GPS")) || commerce.JPEGOrientation(served) != 1 {
		t.Fatal("the served picture keeps the seller's EXIF")
	}
	if img, err := jpeg.DecodeConfig(bytes.NewReader(served)); err != nil || img.Width >= img.Height {
		t.Fatalf("served picture %+v, %v; want it turned upright (taller than wide)", img, err)
	}
	// The old sequential links, and anything else, find nothing.
	for _, path := range []string{"/b/" + strconv.FormatInt(b.ID, 10), "/b/" + strconv.FormatInt(b.ID-1, 10), "/b/999", "/b/x",
		"/b/" + strings.Repeat("0", 32) + ".jpg"} {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Fatalf("GET %s = %d, want 404", path, rec.Code)
		}
	}
}

// turnedGPSJPEG is a phone photo: 64×32 as shot, turned left (EXIF orientation
// 6), with an EXIF segment carrying a GPS position.
func turnedGPSJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var tiff bytes.Buffer
	tiff.WriteString("II")
	_ = binary.Write(&tiff, le, uint16(42))
	_ = binary.Write(&tiff, le, uint32(8))
	_ = binary.Write(&tiff, le, uint16(2))                 // two IFD0 entries
	_ = binary.Write(&tiff, le, []uint16{0x0112, 3, 1, 0}) // orientation, SHORT, count 1 …
	_ = binary.Write(&tiff, le, []uint16{6, 0})            // … value 6
	_ = binary.Write(&tiff, le, []uint16{0x8825, 4})       // GPS IFD pointer
	_ = binary.Write(&tiff, le, []uint32{1, 38, 0})
	tiff.WriteString("GPS 31.2304N 121.4737E")
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	return append(append(out, seg...), buf.Bytes()[2:]...)
}
