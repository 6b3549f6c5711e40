package app

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	"shopbot/bot/telegram/telegramtest"
	"shopbot/qrscan"
)

// firstQR reads the QR code of the first label of a PNG sheet.
func firstQR(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The first label of the medium layout: top left, half the width, a sixth of the height.
	b := page.Bounds()
	cell := image.Rect(0, 0, b.Dx()/2, b.Dy()/6+60)
	dst := image.NewGray(cell)
	draw.Draw(dst, cell, page, image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		t.Fatal(err)
	}
	text, err := qrscan.Decode(buf.Bytes())
	if err != nil {
		t.Fatalf("QR of %s: %v", file, err)
	}
	return text
}

func TestLabelsCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "shop.db"), "SHOPBOT_PUBLIC_URL": "https://shop.example"}
	run := func(vars map[string]string, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), args, env(vars), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, _, errOut := run(vars, "demo", "seed"); code != 0 {
		t.Fatalf("demo seed: %s", errOut)
	}
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"labels", "--format", "gif"}, 2, "--format"},
		{[]string{"labels", "--size", "huge"}, 2, "--size"},
		{[]string{"labels", "--lang", "fr"}, 2, "--lang"},
		{[]string{"labels", "extra"}, 2, "unexpected argument"},
		{[]string{"labels", "--category", "toys"}, 2, "names 0 categories"},
		{[]string{"labels", "--sku", "COS-001,NOPE", "--out", out("x.pdf")}, 1, `no product with ID or SKU "NOPE"`},
	} {
		code, stdout, errOut := run(vars, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("shopbot %v = %d, %q; want %d and %q (%s)", tc.args, code, errOut, tc.code, tc.want, stdout)
		}
	}
	if _, err := os.Stat(out("x.pdf")); !os.IsNotExist(err) {
		t.Fatalf("a refused command wrote a file: %v", err)
	}
	if code, stdout, _ := run(vars, "labels", "--help"); code != 0 || !strings.Contains(stdout, "--sku") {
		t.Fatalf("labels --help: %d %s", code, stdout)
	}

	// Every visible product, as a PDF.
	code, stdout, errOut := run(vars, "labels", "--out", out("all.pdf"))
	pdf, _ := os.ReadFile(out("all.pdf"))
	if code != 0 || !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !regexp.MustCompile(`^\d+ labels \(medium\) in .*all.pdf; QR codes open https://shop.example/\n$`).MatchString(stdout) {
		t.Fatalf("labels: %d %q %q (%d bytes)", code, stdout, errOut, len(pdf))
	}
	if n := bytes.Count(pdf, []byte("/Type /Page ")); n < 2 {
		t.Fatalf("%d pages for the demo catalog; want 2 or more", n)
	}

	// Some products in Chinese, as PNG: the QR opens the first in the web chat.
	code, stdout, errOut = run(vars, "labels", "--sku", "COS-002,COS-001", "--format", "png", "--lang", "zh-CN", "--out", out("two.png"))
	if code != 0 || !strings.Contains(stdout, "2 labels") {
		t.Fatalf("labels --sku: %d %q %q", code, stdout, errOut)
	}
	_, show, _ := run(vars, "product", "show", "COS-002")
	id := regexp.MustCompile(`product\s+(\d+)`).FindStringSubmatch(show)[1]
	if got, want := firstQR(t, out("two.png")), "https://shop.example/?start=p_"+id; got != want {
		t.Fatalf("QR %q; want %q", got, want)
	}
	// More than a page of PNG: one file a page.
	code, stdout, _ = run(vars, "labels", "--format", "png", "--size", "large", "--out", out("big.png"))
	if _, err := os.Stat(out("big-2.png")); code != 0 || err != nil || !strings.Contains(stdout, "big-2.png") {
		t.Fatalf("png of several pages: %d %q %v", code, stdout, err)
	}

	// With Telegram, the QR codes open the bot.
	api := telegramtest.NewFakeAPI()
	defer api.Close()
	tg := map[string]string{"TELEGRAM_TOKEN": telegramtest.Token, "TELEGRAM_API_ENDPOINT": api.Endpoint(), "TELEGRAM_MODE": "polling"}
	for k, v := range vars {
		tg[k] = v
	}
	code, _, errOut = run(tg, "labels", "--sku", id, "--format", "png", "--out", out("tg.png"))
	if code != 0 {
		t.Fatalf("labels with Telegram: %d %s", code, errOut)
	}
	if got, want := firstQR(t, out("tg.png")), "https://t.me/"+telegramtest.BotUsername+"?start=p_"+id; got != want {
		t.Fatalf("QR %q; want %q", got, want)
	}
	// --qr web overrides; --qr wechat without WeChat is a configuration error.
	if code, _, _ := run(tg, "labels", "--sku", id, "--format", "png", "--qr", "web", "--out", out("web.png")); code != 0 ||
		firstQR(t, out("web.png")) != "https://shop.example/?start=p_"+id {
		t.Fatalf("labels --qr web: %d", code)
	}
	if code, _, errOut := run(tg, "labels", "--qr", "wechat"); code != 2 || !strings.Contains(errOut, "WECHAT_APPID") {
		t.Fatalf("labels --qr wechat without WeChat: %d %s", code, errOut)
	}
	if code, _, errOut := run(vars, "labels", "--qr", "line"); code != 2 || !strings.Contains(errOut, "--qr") {
		t.Fatalf("labels --qr line: %d %s", code, errOut)
	}

	// With WeChat, a permanent parametric code with the product's scene.
	var cfg Config
	_, closeWX := fakeWeChat(&cfg)
	defer closeWX()
	wx := map[string]string{"WECHAT_APPID": cfg.WeChat.AppID, "WECHAT_SECRET": cfg.WeChat.Secret, "WECHAT_TOKEN": cfg.WeChat.Token,
		"WECHAT_AES_KEY": cfg.WeChat.AESKey, "WECHAT_API_BASE": cfg.WeChat.APIBase}
	for k, v := range vars {
		wx[k] = v
	}
	code, stdout, errOut = run(wx, "labels", "--sku", id, "--format", "png", "--out", out("wx.png"))
	if code != 0 || !strings.Contains(stdout, "weixin.qq.com") {
		t.Fatalf("labels with WeChat: %d %s %s", code, stdout, errOut)
	}
	if got := firstQR(t, out("wx.png")); got != "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI" {
		t.Fatalf("WeChat QR %q", got)
	}

}
