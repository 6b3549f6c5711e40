package admin

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"shopbot/commerce"
	"shopbot/orderio"
)

// product is a demo product by SKU.
func (e *env) product(sku string) commerce.Product {
	e.t.Helper()
	p, err := e.st.ProductBySKU(e.ctx, sku)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// place places a confirmed order of qty units of sku for a buyer.
func (e *env) place(name, phone, sku string, qty int) commerce.Order {
	e.t.Helper()
	e.mu.Lock()
	e.orders++
	n := e.orders
	e.mu.Unlock()
	p := e.product(sku)
	pts, err := e.st.PickupPoints(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	buyer := commerce.Buyer{Channel: "web", UserID: fmt.Sprintf("buyer%d", n)}
	o, _, err := e.st.PlaceOrder(e.ctx, commerce.Order{Number: commerce.NewOrderNumber(), Buyer: buyer, ChatID: buyer.UserID, Lang: "zh-CN",
		Status: commerce.StatusPending, PickupPointID: pts[0].ID, ContactName: name, Phone: phone,
		IdempotencyKey: fmt.Sprintf("console-test-%d", n), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour),
		Lines: []commerce.OrderLine{{ProductID: p.ID, SKU: p.SKU, Title: p.Title, UnitPrice: p.Price, Qty: qty}},
		Total: commerce.Money{Amount: p.Price.Amount * int64(qty), Currency: p.Price.Currency}}, commerce.PersonLimits{})
	if err != nil {
		e.t.Fatal(err)
	}
	if o, err = e.st.SetOrderStatus(e.ctx, o.ID, commerce.StatusPending, commerce.StatusConfirmed, now); err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) status(number string) commerce.Order {
	e.t.Helper()
	o, err := e.st.OrderByNumber(e.ctx, number)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// TestOrdersListAndFilters: the list filters by status, day and search.
func TestOrdersListAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.place("王小明", "+8613812345678", "COS-001", 2)
	e.clock.Advance(24 * time.Hour)
	b := e.place("Ivan", "+79161112233", "COS-001", 1)
	br := e.signIn("en")
	for _, tc := range []struct {
		query      string
		want, lack []string
	}{
		{"", []string{a.Number, b.Number}, nil},
		{"?q=5678", []string{a.Number}, []string{b.Number}},
		{"?q=" + url.QueryEscape("小明"), []string{a.Number}, []string{b.Number}},
		{"?from=2026-11-26", []string{b.Number}, []string{a.Number}},
		{"?to=2026-11-25", []string{a.Number}, []string{b.Number}},
		{"?status=cancelled", []string{tx("en", "console_orders_none", nil)}, []string{a.Number}},
		{"?status=nonsense&from=never", []string{a.Number, b.Number}, nil},
	} {
		w := br.get("/admin/orders" + tc.query)
		wantStatus(t, tc.query, w, http.StatusOK, tc.want...)
		for _, s := range tc.lack {
			if strings.Contains(w.Body.String(), s) {
				t.Errorf("%s: shows %s", tc.query, s)
			}
		}
	}
	wantStatus(t, "detail", br.get("/admin/orders/"+strings.ToLower(a.Number)), http.StatusOK, "王小明", "8613812345678", "×2")
	wantStatus(t, "unknown", br.get("/admin/orders/ZZZZZZ"), http.StatusNotFound)
}

// TestOrderActions: ship, arrive, and cancel with a reason, as in the chat.
func TestOrderActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.place("Ann", "+8613800000001", "COS-001", 1)
	other := e.place("Bob", "+8613800000002", "COS-001", 1)
	b := e.signIn("ru")
	csrf := b.csrf()
	path := "/admin/orders/" + o.Number
	if w := b.post(path+"/ship", url.Values{"csrf": {csrf}}); w.Code != http.StatusSeeOther {
		t.Fatalf("ship: %d %s", w.Code, w.Body)
	}
	wantStatus(t, "after ship", b.get(path+"?done=shipped"), http.StatusOK, tx("ru", "console_order_done_shipped", nil))
	if st := e.status(o.Number).Status; st != commerce.StatusShipped {
		t.Fatalf("status %s after ship", st)
	}
	wantStatus(t, "cancel a shipped order", b.post(path+"/cancel", url.Values{"csrf": {csrf}, "reason": {"late"}}), http.StatusConflict)
	if w := b.post(path+"/arrive", url.Values{"csrf": {csrf}}); w.Code != http.StatusSeeOther {
		t.Fatalf("arrive: %d %s", w.Code, w.Body)
	}
	if st := e.status(o.Number).Status; st != commerce.StatusReadyForPickup {
		t.Fatalf("status %s after arrive", st)
	}
	wantStatus(t, "arrive again", b.post(path+"/arrive", url.Values{"csrf": {csrf}}), http.StatusConflict)

	opath := "/admin/orders/" + other.Number
	wantStatus(t, "cancel without a reason", b.post(opath+"/cancel", url.Values{"csrf": {csrf}, "reason": {"  "}}),
		http.StatusUnprocessableEntity, tx("ru", "console_err_invalid", nil))
	wantStatus(t, "cancel without the token", b.post(opath+"/cancel", url.Values{"reason": {"x"}}), http.StatusForbidden)
	if st := e.status(other.Number).Status; st != commerce.StatusConfirmed {
		t.Fatalf("a refused cancellation changed the order: %s", st)
	}
	if w := b.post(opath+"/cancel", url.Values{"csrf": {csrf}, "reason": {"Нет в наличии"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if got := e.status(other.Number); got.Status != commerce.StatusCancelled || got.CancelReason != "Нет в наличии" || got.CancelledBy != seller {
		t.Fatalf("after cancel: %+v", got)
	}
	wantStatus(t, "cancelled order", b.get(opath), http.StatusOK, "Нет в наличии", tx("ru", "console_order_no_actions", nil))
}

// TestOrdersCSV: the export of orderio (as the CLI's): UTF-8 with a BOM,
// Chinese intact, one row per line, oldest first, times in the shop's
// zone, the filter applied, a formula in a buyer's name defused.
func TestOrdersCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// 07:30 in Shanghai is the day before in UTC.
	e.clock.Set(time.Date(2026, 11, 25, 7, 30, 0, 0, shanghai))
	o := e.place("=HYPERLINK(\"x\")", "+8613812345678", "COS-001", 3)
	e.clock.Advance(48 * time.Hour)
	later := e.place("Ivan", "+79161112233", "COS-001", 1)
	p := e.product("COS-001")
	b := e.signIn("zh-CN")
	w := b.get("/admin/orders.csv?lang=zh-CN")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("CSV: %d %v", w.Code, w.Header())
	}
	body := w.Body.Bytes()
	if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no BOM: % x", body[:8])
	}
	rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(orderio.Header, ",") {
		t.Fatalf("rows %q", rows)
	}
	col := func(row []string, name string) string { return row[slices.Index(orderio.Header, name)] }
	row := rows[1] // oldest first
	for name, want := range map[string]string{"order": o.Number, "created": "2026-11-25 07:30", "status": "confirmed",
		"name": "'=HYPERLINK(\"x\")", "phone": "+8613812345678", "title": p.Title["zh-CN"], "qty": "3",
		"line_total": decimal(commerce.Money{Amount: 3 * p.Price.Amount, Currency: p.Price.Currency}), "currency": "CNY", "paid": "unpaid"} {
		if got := col(row, name); got != want {
			t.Errorf("%s = %q; want %q (row %q)", name, got, want, row)
		}
	}
	if !strings.ContainsFunc(col(row, "title"), func(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF }) {
		t.Errorf("title %q is not Chinese", col(row, "title"))
	}
	w = b.get("/admin/orders.csv?from=2026-11-27")
	if rows, _ := csv.NewReader(bytes.NewReader(w.Body.Bytes()[3:])).ReadAll(); len(rows) != 2 || rows[1][0] != later.Number {
		t.Fatalf("filtered CSV %q", rows)
	}
	if w := e.browser("en").get("/admin/orders.csv"); w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), o.Number) {
		t.Fatalf("CSV without a session: %d", w.Code)
	}
}

func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		m    commerce.Money
		want string
	}{
		{commerce.CNY(12900), "129.00"}, {commerce.CNY(5), "0.05"}, {commerce.Money{Amount: 1500, Currency: "JPY"}, "1500"},
		{commerce.CNY(-250), "-2.50"},
	} {
		if got := decimal(tc.m); got != tc.want {
			t.Errorf("decimal(%v) = %q; want %q", tc.m, got, tc.want)
		}
	}
}

// TestOrderDesk: the desk's shelves with their counts, a shelf's orders,
// the payment (none yet) and a note to the buyer kept with the order.
func TestOrderDesk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.place("Ann", "+8613800000001", "COS-001", 1)
	b := e.signIn("en")
	csrf := b.csrf()
	wantStatus(t, "shelves", b.get("/admin/orders"), http.StatusOK, `href="/admin/orders?shelf=to_ship"`, html.EscapeString(texts.Text("en", "desk_shelf_to_ship", nil))+" · 1")
	wantStatus(t, "a shelf", b.get("/admin/orders?shelf=to_ship"), http.StatusOK, o.Number)
	if strings.Contains(b.get("/admin/orders?shelf=on_way").Body.String(), o.Number) {
		t.Error("a confirmed order on the shelf of orders on the way")
	}
	path := "/admin/orders/" + o.Number
	wantStatus(t, "unpaid", b.get(path), http.StatusOK, tx("en", "console_order_unpaid", nil))
	wantStatus(t, "an empty note", b.post(path+"/note", url.Values{"csrf": {csrf}, "note": {" "}}), http.StatusUnprocessableEntity)
	if w := b.post(path+"/note", url.Values{"csrf": {csrf}, "note": {"Your parcel leaves tomorrow"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("note: %d %s", w.Code, w.Body)
	}
	wantStatus(t, "the note kept", b.get(path+"?done=noted"), http.StatusOK, "Your parcel leaves tomorrow", tx("en", "console_order_done_noted", nil))
}
