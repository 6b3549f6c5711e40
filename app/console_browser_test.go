package app

// The seller's console (/admin) in a real browser: Debian's chromium,
// driven with chromedp, on the real App over a demo SQLite shop. A seller
// signs in with the link "shopbot admin link" prints, creates a product
// with a photo, finds a buyer's order, opens it and exports the orders as
// CSV; screenshots at a phone's and a desktop's width are checked for
// layout faults (and copied into -screens=DIR).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"shopbot/commerce"
	"shopbot/demo"
	"shopbot/templates"
)

// consoleFaultsJS lists what is wrong with a console page's layout.
const consoleFaultsJS = `(() => {
  const faults = [];
  if (document.documentElement.scrollWidth > window.innerWidth) faults.push("page wider than the screen: " + document.documentElement.scrollWidth);
  for (const i of document.images) if (i.loading !== "lazy" && (!i.complete || i.naturalWidth === 0)) faults.push("picture missing: " + i.src);
  if (getComputedStyle(document.body).fontFamily.indexOf("system-ui") < 0) faults.push("the console's stylesheet is not applied");
  return faults;
})()`

// consoleWait waits for the JavaScript condition cond on a loaded page;
// a navigation under way (a form posted, a redirect) is waited out.
func (p *page) consoleWait(cond string) {
	p.t.Helper()
	deadline := time.Now().Add(browserHang)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "")`))
	p.t.Fatalf("waiting for %s (last error %v); the page shows:\n%s", cond, last, body)
}

// consoleShot checks the page for layout faults at vp and saves a
// screenshot console-<name>-<vp>.png in dir (and -screens).
func (p *page) consoleShot(dir, name string, vp viewport) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulatePortrait))
	if faults := eval[[]string](p, consoleFaultsJS); len(faults) > 0 {
		p.t.Errorf("%s, %s: %q", name, vp.name, faults)
	}
	ctx, cancel := context.WithTimeout(p.ctx, browserHang)
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatal(err)
	}
	file := fmt.Sprintf("console-%s-%s.png", name, vp.name)
	for _, d := range []string{dir, *screensDir} {
		if d != "" {
			if err := os.WriteFile(filepath.Join(d, file), shot, 0o644); err != nil {
				p.t.Fatal(err)
			}
		}
	}
	p.t.Logf("screenshot %s", filepath.Join(dir, file))
}

func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	browser := startChromium(t)
	cfg := sqliteConfig(t)
	cfg.Admins = []string{"tg:1001"}
	s := openWebShop(t, browser, cfg)
	ctx := t.Context()
	o := consoleOrder(t, s.app, "王小明", "+8613812345678")

	// The link, from the command line on the same database.
	code, out, errOut := shopbot(t, map[string]string{"DATABASE_URL": cfg.DatabaseURL, "SHOPBOT_ADMINS": "tg:1001",
		"SHOPBOT_PUBLIC_URL": s.srv.URL})("admin", "link", "tg:1001")
	if code != 0 || !strings.HasPrefix(out, s.srv.URL+"/admin/login?token=") {
		t.Fatalf("admin link = %d, %q, %q", code, out, errOut)
	}
	link := strings.TrimSpace(out)
	dir := t.TempDir()
	phone, desktop := viewport{"phone", phoneWidth, phoneHeight}, viewport{"desktop", 1280, 800}
	const lang = "zh-CN"
	tx := func(key string) string { return text(lang, key, nil) }

	p := s.visitor(t, lang)
	p.do(chromedp.Navigate(link))
	p.consoleWait(`document.querySelector("button[type=submit]") !== null`)
	p.consoleShot(dir, "login", phone)
	p.do(chromedp.Click(chromedp.CSS("button[type=submit]")))
	p.consoleWait(`location.pathname === "/admin" && document.querySelector(".figures") !== null`)
	if got := eval[string](p, `document.querySelector("h1").innerText`); !strings.HasPrefix(got, tx("console_nav_today")) {
		t.Fatalf("today's title %q", got)
	}
	p.consoleShot(dir, "today", phone)
	p.consoleShot(dir, "today", desktop)
	p.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait))

	// A category, then a product in it with a photo.
	p.do(chromedp.Click(chromedp.CSS(`a[href="/admin/categories"]`)))
	p.consoleWait(`document.getElementById("new-title") !== null`)
	p.do(chromedp.SendKeys(chromedp.ID("new-title"), "护肤油"), chromedp.Click(chromedp.CSS(`form[action="/admin/categories"] button`)))
	p.consoleWait(`location.search === "?done=created" && document.body.innerText.indexOf("护肤油") >= 0`)
	p.consoleShot(dir, "categories", phone)
	cats, err := s.app.Store.Categories(ctx)
	if err != nil || cats[len(cats)-1].Title["zh-CN"] != "护肤油" {
		t.Fatalf("categories after adding one in the browser: %+v, %v", cats, err)
	}
	oils := cats[len(cats)-1]
	// A product with a photo.
	photo := filepath.Join(dir, "photo.png")
	if err := os.WriteFile(photo, demoPicture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Click(chromedp.CSS(`a[href="/admin/products"]`)))
	p.consoleWait(`location.pathname === "/admin/products"`)
	p.do(chromedp.Click(chromedp.CSS(`a[href="/admin/products/new"]`)))
	p.consoleWait(`document.getElementById("title") !== null`)
	p.do(chromedp.SendKeys(chromedp.ID("title"), "玫瑰精华油 30 毫升"),
		chromedp.SendKeys(chromedp.ID("description"), "保加利亚玫瑰"),
		chromedp.SendKeys(chromedp.ID("price"), "199"),
		chromedp.SetValue(chromedp.ID("stock"), "12"),
		chromedp.SetValue(chromedp.ID("category"), fmt.Sprint(oils.ID)),
		chromedp.SetUploadFiles(chromedp.ID("photo"), []string{photo}))
	p.consoleShot(dir, "new-product", phone)
	p.do(chromedp.Click(chromedp.CSS("form button.wide")))
	p.consoleWait(`location.search === "?done=created" && document.querySelector("img.photo") !== null`)
	p.consoleShot(dir, "product", phone)
	p.consoleShot(dir, "product", desktop)
	p.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait))
	products, err := s.app.Store.Products(ctx, commerce.ProductFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var made *commerce.Product
	for i := range products {
		if products[i].Title["zh-CN"] == "玫瑰精华油 30 毫升" {
			made = &products[i]
		}
	}
	if made == nil || made.Price != commerce.CNY(19900) || made.Stock != 12 || made.Image == "" || made.Description["zh-CN"] != "保加利亚玫瑰" ||
		made.CategoryID != oils.ID {
		t.Fatalf("the product made in the browser: %+v", made)
	}

	// Find the order by the phone's last digits, open it.
	p.do(chromedp.Click(chromedp.CSS(`a[href="/admin/orders"]`)))
	p.consoleWait(`document.getElementById("q") !== null`)
	p.do(chromedp.SendKeys(chromedp.ID("q"), "5678"), chromedp.Click(chromedp.CSS("form.filters button")))
	p.consoleWait(`location.search.indexOf("q=5678") >= 0`)
	p.consoleShot(dir, "orders", phone)
	p.consoleShot(dir, "orders", desktop)
	p.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait))
	p.do(chromedp.Click(chromedp.CSS(`a[href="/admin/orders/` + o.Number + `"]`)))
	p.consoleWait(`location.pathname === "/admin/orders/` + o.Number + `" && document.body.innerText.indexOf("王小明") >= 0`)
	p.consoleShot(dir, "order", phone)

	p.do(chromedp.Navigate(s.srv.URL + "/admin/orders?q=5678"))
	p.consoleWait(`document.querySelector("a[download]") !== null`)
	// Export: a click on the page's own link downloads the file with the
	// browser's session (the page's CSP allows no script to fetch it).
	downloads := t.TempDir()
	dctx, dcancel := context.WithTimeout(p.ctx, browserHang)
	defer dcancel()
	if _, err := chromedp.Call(dctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
		BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID}); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Click(chromedp.CSS("a[download]")))
	csv := "200 text/csv; charset=utf-8\n" + string(downloaded(t, downloads))
	head, body, _ := strings.Cut(csv, "\n")
	if head != "200 text/csv; charset=utf-8" || !strings.HasPrefix(body, "\uFEFForder,created,") ||
		!strings.Contains(body, o.Number) || !strings.Contains(body, o.Lines[0].Title["zh-CN"]) {
		t.Fatalf("the export in the browser:\n%s", csv)
	}
	if n := strings.Count(body, "\n"); n != 2 {
		t.Errorf("export of the filtered list has %d lines; want the header and one order line", n)
	}

	// A drop with a sale and a broadcast half sent, for their pages.
	prod, err := s.app.Store.ProductBySKU(ctx, "COS-002")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.app.drops.Create(ctx, commerce.Drop{ProductID: prod.ID, Units: 30, Price: prod.Price, StartsAt: time.Now().Add(-time.Hour),
		PerBuyerLimit: 5, ReservationTTL: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.drops.Reserve(ctx, d.ID, commerce.Buyer{Channel: "web", UserID: "drop-buyer"}, 4, "console-drop"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Store.CreateBroadcast(ctx, commerce.Broadcast{Content: commerce.BroadcastContent{Text: "Новинки недели: сыворотки и кремы"},
		Author: "tg:1001", Status: commerce.BroadcastDraft, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Every page in each language fits a phone.
	for _, l := range templates.Locales {
		for _, path := range []string{"/admin", "/admin/orders", "/admin/products", "/admin/categories", "/admin/points", "/admin/labels", "/admin/questions", "/admin/settings", "/admin/drops", "/admin/broadcasts"} {
			p.do(chromedp.Navigate(s.srv.URL + path + "?lang=" + l))
			p.consoleWait(`document.documentElement.lang === "` + l + `"`)
			if faults := eval[[]string](p, consoleFaultsJS); len(faults) > 0 {
				t.Errorf("%s %s: %q", l, path, faults)
			}
			if l == "ru" {
				p.consoleShot(dir, "ru"+strings.ReplaceAll(path, "/", "-"), phone)
			}
		}
	}

	// Sign out: the console asks for a link again.
	p.do(chromedp.Click(chromedp.CSS("form.out button")))
	p.consoleWait(`document.querySelector("form.out") === null`)
	p.do(chromedp.Navigate(s.srv.URL + "/admin"))
	p.consoleWait(`document.querySelector(".figures") === null && document.querySelector(".card") !== null`)
}

// consoleOrder places a confirmed order of one demo product at the first
// point, as a buyer would.
func consoleOrder(t *testing.T, a *App, name, phone string) commerce.Order {
	t.Helper()
	ctx := t.Context()
	p, err := a.Store.ProductBySKU(ctx, "COS-001")
	if err != nil {
		t.Fatal(err)
	}
	pts, err := a.Store.PickupPoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	buyer := commerce.Buyer{Channel: "web", UserID: "console-buyer"}
	o, _, err := a.Store.PlaceOrder(ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: buyer, ChatID: buyer.UserID, Lang: "zh-CN",
		Status: commerce.StatusPending, PickupPointID: pts[0].ID, ContactName: name, Phone: phone, IdempotencyKey: "console-browser",
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Lines: []commerce.OrderLine{{ProductID: p.ID, SKU: p.SKU, Title: p.Title, UnitPrice: p.Price, Qty: 1}}, Total: p.Price}, commerce.PersonLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = a.Store.SetOrderStatus(ctx, o.ID, commerce.StatusPending, commerce.StatusConfirmed, now); err != nil {
		t.Fatal(err)
	}
	return o
}

// demoPicture is a product picture as a seller would upload one.
func demoPicture(t *testing.T) []byte {
	t.Helper()
	img, err := demo.RenderImage(demo.Products()[0].Image, 640)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// downloaded waits for the one finished .csv download in dir.
func downloaded(t *testing.T, dir string) []byte {
	t.Helper()
	deadline := time.Now().Add(browserHang)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
		if len(files) == 1 {
			if b, err := os.ReadFile(files[0]); err == nil && len(b) > 0 {
				return b
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	t.Fatalf("no CSV downloaded into %s: %v", dir, entries)
	return nil
}
