package admin

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"shopbot/commerce"
)

// postMultipart posts fields and an optional photo as multipart/form-data.
func (b *browser) postMultipart(path string, fields map[string]string, photo []byte) *httptest.ResponseRecorder {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if photo != nil {
		fw, _ := mw.CreateFormFile("photo", "photo.png")
		_, _ = fw.Write(photo)
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, path, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(r)
}

func testPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), 120, uint8(y * 5), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// created is the product a create answer redirected to.
func (e *env) created(w *httptest.ResponseRecorder) commerce.Product {
	e.t.Helper()
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/products/") {
		e.t.Fatalf("create: %d %q %s", w.Code, loc, w.Body)
	}
	id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(loc, "/admin/products/"), "?done=created"), 10, 64)
	p, err := e.st.Product(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// TestCreateProduct: a product from the form, with its photo, its texts in
// the language chosen, once per form; bad fields change nothing.
func TestCreateProduct(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.signIn("zh-CN")
	wantStatus(t, "form", b.get("/admin/products/new"), http.StatusOK, `name="nonce"`, `enctype="multipart/form-data"`)
	cats, err := e.st.Categories(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := e.st.CountProducts(e.ctx)
	fields := map[string]string{"csrf": b.csrf(), "nonce": "ABCDEF1234", "lang": "zh-CN", "title": "保湿面霜 50 毫升",
		"description": "韩国制造", "price": "129.50", "stock": "7", "category": strconv.FormatInt(cats[0].ID, 10), "origin": "duty_paid"}
	bad := map[string]string{}
	for k, v := range fields {
		bad[k] = v
	}
	bad["price"] = "free"
	wantStatus(t, "bad price", b.postMultipart("/admin/products", bad, nil), http.StatusUnprocessableEntity, "保湿面霜 50 毫升")
	bad["price"], bad["csrf"] = "1", "wrong"
	wantStatus(t, "no token", b.postMultipart("/admin/products", bad, nil), http.StatusForbidden)
	p := e.created(b.postMultipart("/admin/products", fields, testPNG(t)))
	if p.Title["zh-CN"] != "保湿面霜 50 毫升" || p.Description["zh-CN"] != "韩国制造" || p.Price != commerce.CNY(12950) || p.Stock != 7 ||
		p.Image == "" || !p.Active || p.SKU != commerce.SellerSKUPrefix+"ABCDEF1234" {
		t.Fatalf("created %+v", p)
	}
	// The same form again (a double tap) makes nothing new.
	if again := e.created(b.postMultipart("/admin/products", fields, nil)); again.ID != p.ID {
		t.Fatalf("a second product %d from one form", again.ID)
	}
	if n, _ := e.st.CountProducts(e.ctx); n != before+1 {
		t.Fatalf("%d products; want %d", n, before+1)
	}
	wantStatus(t, "list", b.get("/admin/products"), http.StatusOK, "保湿面霜 50 毫升", p.SKU)
}

// TestEditProduct: texts in every language, price and category in one
// save; stock set against what was seen, or added; hide and show; a new
// photo.
func TestEditProduct(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.product("COS-001")
	b := e.signIn("en")
	csrf := b.csrf()
	path := "/admin/products/" + strconv.FormatInt(p.ID, 10)
	wantStatus(t, "page", b.get(path), http.StatusOK, p.Title["ru"], p.SKU)
	form := url.Values{"csrf": {csrf}, "title_en": {"Serum 30 ml"}, "title_ru": {"Сыворотка 30 мл"}, "title_zh-CN": {"精华 30 毫升"},
		"description_en": {"New text"}, "price": {"99.9"}, "category": {strconv.FormatInt(p.CategoryID, 10)}}
	if w := b.post(path, form); w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", w.Code, w.Body)
	}
	got := e.product("COS-001")
	if got.Title["ru"] != "Сыворотка 30 мл" || got.Title["zh-CN"] != "精华 30 毫升" || got.Description["en"] != "New text" ||
		got.Description["ru"] != "" || got.Price != commerce.CNY(9990) {
		t.Fatalf("after save %+v", got)
	}
	form.Set("price", "0")
	wantStatus(t, "zero price", b.post(path, form), http.StatusUnprocessableEntity, "Сыворотка 30 мл")
	form.Set("price", "1")
	for _, l := range []string{"en", "ru", "zh-CN"} {
		form.Set("title_"+l, "")
	}
	wantStatus(t, "no title at all", b.post(path, form), http.StatusUnprocessableEntity)
	if got := e.product("COS-001"); got.Price != commerce.CNY(9990) {
		t.Fatalf("a refused save changed the price: %v", got.Price)
	}

	// Stock: set 20 having seen the old figure while 2 were sold.
	seen := got.Stock
	if _, err := e.seller.AddStock(e.ctx, p.ID, -2); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "set stock", b.post(path+"/stock", url.Values{"csrf": {csrf}, "seen": {strconv.Itoa(seen)}, "stock": {"20"}}),
		http.StatusOK, tx("en", "console_product_stock_now", map[string]any{"Stock": 18}))
	wantStatus(t, "add stock", b.post(path+"/stock", url.Values{"csrf": {csrf}, "add": {"+5"}}),
		http.StatusOK, tx("en", "console_product_stock_now", map[string]any{"Stock": 23}))
	wantStatus(t, "bad stock", b.post(path+"/stock", url.Values{"csrf": {csrf}, "add": {"lots"}}), http.StatusUnprocessableEntity)
	if s := e.product("COS-001").Stock; s != 23 {
		t.Fatalf("stock %d; want 23", s)
	}

	if w := b.post(path+"/active", url.Values{"csrf": {csrf}, "active": {"0"}}); w.Code != http.StatusSeeOther || e.product("COS-001").Active {
		t.Fatalf("hide: %d", w.Code)
	}
	wantStatus(t, "hidden ones listed on demand", b.get("/admin/products?hidden=1"), http.StatusOK, "Serum 30 ml")
	if strings.Contains(b.get("/admin/products").Body.String(), "Serum 30 ml") {
		t.Error("a hidden product in the plain list")
	}
	if w := b.post(path+"/active", url.Values{"csrf": {csrf}, "active": {"1"}}); w.Code != http.StatusSeeOther || !e.product("COS-001").Active {
		t.Fatalf("show: %d", w.Code)
	}
	if w := b.postMultipart(path+"/photo", map[string]string{"csrf": csrf}, testPNG(t)); w.Code != http.StatusSeeOther ||
		e.product("COS-001").Image == p.Image {
		t.Fatalf("photo: %d %s", w.Code, w.Body)
	}
	wantStatus(t, "not a picture", b.postMultipart(path+"/photo", map[string]string{"csrf": csrf}, []byte("hello")), http.StatusUnsupportedMediaType)
	wantStatus(t, "unknown product", b.get("/admin/products/999999"), http.StatusNotFound)
}
