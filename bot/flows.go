package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
	"shopbot/templates"
)

// turn is one message being handled: the router's dependencies plus the
// session and message at hand.
type turn struct {
	r    *Router
	ctx  context.Context
	s    *Session
	m    Message
	lang string
}

// maxTextLen bounds typed input we try to interpret; longer text gets help.
const maxTextLen = 1024

// pageSize is how many products one listing page shows.
const pageSize = 6

func (r *Router) step(ctx context.Context, s *Session, m Message) ([]Reply, error) {
	if s.Lang == "" {
		if s.Lang = templates.Match(m.Lang); s.Lang == "" {
			s.Lang = templates.Default
		}
	}
	t := &turn{r: r, ctx: ctx, s: s, m: m, lang: s.Lang}
	if m.Action != "" {
		return t.action(m.Action)
	}
	if m.HasLocation {
		return t.nearest(m.Lat, m.Lon)
	}
	text := strings.TrimSpace(m.Text)
	if len(m.Photo) > 0 {
		for _, f := range extPhotos {
			if r, ok, err := f(t, text); ok || err != nil {
				return r, err
			}
		}
		return t.photo(text)
	}
	if len(text) > maxTextLen {
		return t.help("help_unknown")
	}
	if strings.HasPrefix(text, "/") {
		return t.command(text)
	}
	// Staff at the counter type a pickup code (or scan a QR into the chat);
	// it takes precedence over a half-finished checkout of their own. For
	// anyone who is not staff this falls through, revealing nothing.
	if r, ok, err := t.staffCode(text); ok || err != nil {
		return r, err
	}
	switch s.Step {
	case stepName:
		return t.enterName(text)
	case stepPhone:
		return t.enterPhone(text)
	}
	if f := extSteps[s.Step]; f != nil && s.Step != "" {
		return f(t, text)
	}
	for _, f := range extTexts {
		if r, ok, err := f(t, text); ok || err != nil {
			return r, err
		}
	}
	return t.help("help_unknown")
}

func (t *turn) text(key string, data any) string { return t.r.o.Texts.Text(t.lang, key, data) }

func (t *turn) btn(key, action string) Button {
	return Button{Text: t.text(key, nil), Action: action}
}

func (t *turn) buyer() commerce.Buyer {
	return commerce.Buyer{Channel: t.m.Channel, UserID: t.m.UserID}
}

// say is a one-reply answer.
func say(text string, rows ...[]Button) []Reply { return []Reply{{Text: text, Buttons: rows}} }

// fail answers a domain error with its localized message and the main menu,
// or returns it as internal when no user message fits.
func (t *turn) fail(err error) ([]Reply, error) {
	ue, ok := ErrorText(err, InChat)
	if !ok {
		return nil, err
	}
	key := ue.Key
	// err_quantity needs the cap; the other keys ignore the data.
	return say(t.text(key, map[string]any{"Max": t.r.o.Shop.MaxQtyPerLine(), "InCart": 0}), t.menuRow()...), nil
}

func (t *turn) menuRow() [][]Button {
	return [][]Button{{t.btn("btn_shop", "cats"), t.cartButton()}}
}

func (t *turn) cartButton() Button {
	return Button{Text: t.text("btn_cart", map[string]any{"Units": t.s.Cart.Units()}), Action: "cart"}
}

func (t *turn) mainMenu() [][]Button {
	return [][]Button{
		{t.btn("btn_shop", "cats"), t.cartButton()},
		{t.btn("btn_orders", "o"), t.btn("btn_lang", "lang")},
		{t.btn("btn_help", "help")},
	}
}

func (t *turn) help(key string) ([]Reply, error) {
	text := t.text(key, nil)
	if key == "help" && t.isAdmin() && !t.m.Group {
		// Sellers' commands are in no menu button: /help is where they find them.
		text += "\n\n" + t.text("help_seller", nil)
	}
	return say(text, t.mainMenu()...), nil
}

func (t *turn) stale() ([]Reply, error) { return t.help("err_stale") }

func (t *turn) command(text string) ([]Reply, error) {
	cmd, arg, _ := strings.Cut(text, " ")
	cmd, _, _ = strings.Cut(strings.ToLower(cmd), "@") // "/start@ShopBot" in groups
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "/start":
		t.s.Step = ""
		if arg != "" {
			if r, ok, err := t.deepLink(arg); ok || err != nil {
				return r, err
			}
		}
		return say(t.text("welcome", map[string]any{"Name": t.m.FirstName}), t.mainMenu()...), nil
	case "/shop":
		return t.categories()
	case "/cart":
		return t.cart(false)
	case "/orders":
		return t.orders()
	case "/lang":
		if arg != "" {
			return t.setLang(arg)
		}
		return t.langMenu()
	case "/help":
		return t.help("help")
	case "/cancel":
		t.s.Step, t.s.Checkout = "", CheckoutDraft{}
		return t.help("checkout_left")
	case "/staff":
		return t.staffMenu(true)
	case "/shipped", "/arrived":
		return t.shipment(cmd, arg)
	case "/points", "/point":
		return t.pointCommand(cmd, arg)
	}
	if f := extCommands[cmd]; f != nil {
		return f(t, arg)
	}
	return t.help("help_unknown")
}

// deepLink opens what a start payload names: "p_<id>" a product, "c_<id>" a
// category, "pt_<id>" a pickup point (QR codes at the counter, links in groups).
func (t *turn) deepLink(payload string) ([]Reply, bool, error) {
	kind, idText, _ := strings.Cut(payload, "_")
	if f := extDeepLinks[kind]; f != nil {
		return f(t, idText)
	}
	id, ok := parseID(idText)
	if !ok {
		return nil, false, nil
	}
	switch kind {
	case "p":
		r, err := t.product(id, 1, false)
		return r, true, err
	case "c":
		r, err := t.category(id, 0, false)
		return r, true, err
	case "pt":
		r, err := t.pointCard(id)
		return r, true, err
	}
	return nil, false, nil
}

// pointCard shows one pickup point: where it is and when it is open.
func (t *turn) pointCard(id int64) ([]Reply, error) {
	p, err := t.r.o.Shop.Store().PickupPoint(t.ctx, id)
	if errors.Is(err, commerce.ErrNotFound) || err == nil && !p.Active {
		return t.fail(commerce.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return say(t.text("point_card", map[string]any{"Point": p.Name.In(t.lang), "City": p.City.In(t.lang),
		"Address": p.Address.In(t.lang), "Hours": p.Hours}), t.mainMenu()...), nil
}

// action dispatches a button payload. Every argument is validated; anything
// malformed is answered as a stale button.
func (t *turn) action(a string) ([]Reply, error) {
	if len(a) > MaxActionLen {
		return t.stale()
	}
	verb, rest, _ := strings.Cut(a, ":")
	args := strings.Split(rest, ":")
	id, idOK := parseID(args[0])
	switch verb {
	case "home":
		return say(t.text("menu", nil), t.mainMenu()...), nil
	case "help":
		return t.help("help")
	case "lang":
		return t.langMenu()
	case "l":
		return t.setLang(rest)
	case "cats":
		return t.categories()
	case "cat":
		page, pageOK := parseInt(arg(args, 1), 0, 1000)
		if !idOK || !pageOK {
			return t.stale()
		}
		return t.category(id, page, true)
	case "p":
		if !idOK {
			return t.stale()
		}
		return t.product(id, 1, false)
	case "q":
		qty, ok := parseInt(arg(args, 1), 1, t.r.o.Shop.MaxQtyPerLine())
		if !idOK || !ok {
			return t.stale()
		}
		return t.product(id, qty, true)
	case "add":
		qty, qtyOK := strconv.Atoi(arg(args, 1))
		price, priceOK := strconv.ParseInt(arg(args, 2), 10, 64)
		if !idOK || qtyOK != nil || priceOK != nil {
			return t.stale()
		}
		return t.add(id, qty, price)
	case "cart":
		return t.cart(false)
	case "ci", "cd", "cr":
		if !idOK {
			return t.stale()
		}
		return t.changeLine(verb, id)
	case "cc":
		t.s.Cart.Clear()
		return t.cart(true)
	case "co":
		return t.startCheckout()
	case "cp":
		pt, ok := parseID(arg(args, 1))
		if !ok || args[0] != t.s.Checkout.Nonce || t.s.Checkout.Nonce == "" {
			return t.stale()
		}
		return t.choosePoint(pt)
	case "cn":
		if args[0] != t.s.Checkout.Nonce || t.s.Step != stepName || t.s.LastName == "" {
			return t.stale()
		}
		return t.enterName(t.s.LastName)
	case "cph":
		if args[0] != t.s.Checkout.Nonce || t.s.Step != stepPhone || t.s.LastPhone == "" {
			return t.stale()
		}
		return t.enterPhone(t.s.LastPhone)
	case "cx":
		t.s.Step, t.s.Checkout = "", CheckoutDraft{}
		return t.cart(false)
	case "o":
		return t.orders()
	case "os", "oc", "ox", "oxy":
		if !idOK {
			return t.stale()
		}
		return t.orderAction(verb, id)
	case "pb", "ds": // pickup / drop-off slots, optionally a later page
		page, edit := 0, len(args) > 1
		if edit {
			p, ok := parseInt(args[1], 0, maxSlotPage)
			if !ok {
				return t.stale()
			}
			page = p
		}
		if !idOK || len(args) > 2 {
			return t.stale()
		}
		if verb == "pb" {
			return t.pickupSlots(id, page, edit)
		}
		return t.dropoffSlots(id, page, edit)
	case "bk", "db": // book a pickup / drop-off slot
		minutes, ok := parseMinutes(arg(args, 1))
		if !idOK || !ok || len(args) != 2 {
			return t.stale()
		}
		if verb == "bk" {
			return t.book(id, minutes)
		}
		return t.bookDropoff(id, minutes)
	case "bc", "pc", "rt", "rx":
		if !idOK || len(args) != 1 {
			return t.stale()
		}
		switch verb {
		case "bc":
			return t.cancelBooking(id)
		case "pc":
			return t.pickupCode(id)
		case "rt":
			return t.returnStart(id)
		}
		return t.cancelReturn(id)
	case "rk": // return kind chosen
		kind := commerce.ReturnKind(arg(args, 1))
		if !idOK || !kind.Valid() || len(args) != 2 {
			return t.stale()
		}
		return t.returnKind(id, kind)
	case "rr": // return reason chosen
		kind, reason := commerce.ReturnKind(arg(args, 1)), arg(args, 2)
		if !idOK || !kind.Valid() || !slices.Contains(commerce.ReturnReasons, reason) || len(args) != 3 {
			return t.stale()
		}
		return t.returnReason(id, kind, reason)
	case "rp": // point chosen for the code held in the session
		pt, ok := parseID(arg(args, 1))
		if !ok || len(args) != 2 {
			return t.stale()
		}
		return t.staffPoint(args[0], pt)
	case "rd":
		return t.handOver(rest)
	case "rdx":
		return t.cancelHandOver(rest)
	case "sm":
		return t.staffMenu(false)
	case "sa", "sj": // staff accept / reject a return: point, return
		ret, ok := parseID(arg(args, 1))
		if !idOK || !ok || len(args) != 2 {
			return t.stale()
		}
		return t.decideReturn(verb == "sa", id, ret)
	}
	if f := extActions[verb]; f != nil {
		return f(t, rest, args)
	}
	return t.stale()
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

func parseInt(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= lo && n <= hi
}

func (t *turn) langMenu() ([]Reply, error) {
	var row []Button
	for _, l := range templates.Locales {
		row = append(row, Button{Text: t.r.o.Texts.Text(l, "lang_name", nil), Action: "l:" + l})
	}
	return say(t.text("lang_choose", nil), row), nil
}

func (t *turn) setLang(hint string) ([]Reply, error) {
	l := templates.Match(hint)
	if l == "" {
		return t.langMenu()
	}
	t.s.Lang, t.lang = l, l
	return say(t.text("lang_set", nil), t.mainMenu()...), nil
}

func (t *turn) categories() ([]Reply, error) {
	cats, err := t.r.o.Shop.Store().Categories(t.ctx)
	if err != nil {
		return nil, err
	}
	if len(cats) == 0 {
		return say(t.text("shop_empty", nil), t.mainMenu()...), nil
	}
	var rows [][]Button
	for i, c := range cats {
		b := Button{Text: c.Title.In(t.lang), Action: fmt.Sprintf("cat:%d:0", c.ID)}
		if i%2 == 0 {
			rows = append(rows, []Button{b})
		} else {
			rows[len(rows)-1] = append(rows[len(rows)-1], b)
		}
	}
	rows = append(rows, []Button{t.cartButton(), t.btn("btn_orders", "o")})
	return say(t.text("categories", nil), rows...), nil
}

func (t *turn) category(id int64, page int, edit bool) ([]Reply, error) {
	products, err := t.r.o.Shop.Store().Products(t.ctx, commerce.ProductFilter{CategoryID: id, Offset: page * pageSize, Limit: pageSize + 1})
	if err != nil {
		return nil, err
	}
	if len(products) == 0 {
		if page > 0 {
			return t.category(id, 0, edit)
		}
		return say(t.text("category_empty", nil), []Button{t.btn("btn_categories", "cats")}), nil
	}
	more := len(products) > pageSize
	if more {
		products = products[:pageSize]
	}
	var rows [][]Button
	for _, p := range products {
		label := t.text("product_button", map[string]any{"Title": p.Title.In(t.lang), "Price": p.Price, "SoldOut": p.Stock == 0})
		rows = append(rows, []Button{{Text: label, Action: fmt.Sprintf("p:%d", p.ID)}})
	}
	var nav []Button
	if page > 0 {
		nav = append(nav, Button{Text: t.text("btn_prev", nil), Action: fmt.Sprintf("cat:%d:%d", id, page-1)})
	}
	if more {
		nav = append(nav, Button{Text: t.text("btn_next", nil), Action: fmt.Sprintf("cat:%d:%d", id, page+1)})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	rows = append(rows, []Button{t.btn("btn_categories", "cats"), t.cartButton()})
	title := ""
	if cats, err := t.r.o.Shop.Store().Categories(t.ctx); err == nil {
		for _, c := range cats {
			if c.ID == id {
				title = c.Title.In(t.lang)
			}
		}
	}
	return []Reply{{Text: t.text("category_page", map[string]any{"Category": title, "Page": page + 1, "More": more || page > 0}),
		Buttons: rows, Edit: edit}}, nil
}

// product shows a product card with a quantity stepper at qty.
func (t *turn) product(id int64, qty int, edit bool) ([]Reply, error) {
	p, err := t.r.o.Shop.SellableProduct(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	limit := min(t.r.o.Shop.MaxQtyPerLine(), p.Stock)
	qty = max(1, min(qty, limit))
	text := t.productCardText(p)
	var rows [][]Button
	if p.Stock > 0 {
		rows = append(rows,
			[]Button{
				{Text: "−", Action: fmt.Sprintf("q:%d:%d", p.ID, max(1, qty-1))},
				{Text: t.text("qty_label", map[string]any{"Qty": qty}), Action: fmt.Sprintf("q:%d:%d", p.ID, qty)},
				{Text: "+", Action: fmt.Sprintf("q:%d:%d", p.ID, min(limit, qty+1))},
			},
			[]Button{{Text: t.text("btn_add", map[string]any{"Qty": qty, "Total": p.Price.Mul(qty)}),
				Action: fmt.Sprintf("add:%d:%d:%d", p.ID, qty, p.Price.Amount)}})
	}
	rows = append(rows, []Button{{Text: t.text("btn_back", nil), Action: fmt.Sprintf("cat:%d:0", p.CategoryID)}, t.cartButton()})
	if t.isSeller() {
		rows = append(rows, []Button{t.btn("btn_seller_manage", fmt.Sprintf("am:%d", p.ID))})
	}
	reply := Reply{Text: text, Buttons: rows, Edit: edit}
	if p.Image != "" {
		reply.Image = t.r.o.ImageURL(p.Image)
	}
	return []Reply{reply}, nil
}

// productCardText is a product's card as buyers see it.
func (t *turn) productCardText(p commerce.Product) string {
	return t.text("product_card", map[string]any{
		"Title": p.Title.In(t.lang), "Description": p.Description.In(t.lang), "Price": p.Price,
		"Origin": t.text("origin_"+string(p.Origin), nil), "Stock": p.Stock, "Low": p.Stock > 0 && p.Stock <= 5,
	})
}

func (t *turn) add(id int64, qty int, shownPrice int64) ([]Reply, error) {
	max := t.r.o.Shop.MaxQtyPerLine()
	p, err := t.r.o.Shop.SellableProduct(t.ctx, id)
	if err != nil {
		return t.fail(err)
	}
	if p.Price.Amount != shownPrice {
		r, err := t.product(id, qty, false)
		return append(say(t.text("err_price_changed_card", map[string]any{"Title": p.Title.In(t.lang), "Price": p.Price})), r...), err
	}
	if _, err := t.r.o.Shop.AddToCart(t.ctx, &t.s.Cart, id, qty); err != nil {
		return t.cartError(err, p, max)
	}
	q, err := t.r.o.Shop.PriceCart(t.ctx, t.s.Cart)
	if err != nil {
		return nil, err
	}
	return say(t.text("added", map[string]any{"Qty": qty, "Title": p.Title.In(t.lang), "Units": t.s.Cart.Units(), "Total": q.Total}),
		[]Button{t.cartButton(), t.btn("btn_checkout", "co")},
		[]Button{{Text: t.text("btn_continue", nil), Action: fmt.Sprintf("cat:%d:0", p.CategoryID)}}), nil
}

// cartError explains why units could not go into the cart.
func (t *turn) cartError(err error, p commerce.Product, max int) ([]Reply, error) {
	inCart, _ := t.s.Cart.Line(p.ID)
	data := map[string]any{"Max": max, "Left": p.Stock, "InCart": inCart.Qty}
	switch {
	case errors.Is(err, commerce.ErrSoldOut) && p.Stock > 0:
		return say(t.text("err_not_enough", data), t.menuRow()...), nil
	case errors.Is(err, commerce.ErrQuantity):
		return say(t.text("err_quantity", data), t.menuRow()...), nil
	case errors.Is(err, commerce.ErrCartFull):
		return say(t.text("err_cart_full", map[string]any{"MaxLines": commerce.MaxCartLines}), t.menuRow()...), nil
	}
	return t.fail(err)
}

// refreshCart prices the cart from the database, drops lines whose product
// is gone and records the prices now shown. It returns the dropped titles.
func (t *turn) refreshCart() (commerce.Quote, int, error) {
	q, err := t.r.o.Shop.PriceCart(t.ctx, t.s.Cart)
	if err != nil {
		return q, 0, err
	}
	for _, id := range q.Dropped {
		_ = t.s.Cart.Remove(id)
	}
	for _, l := range q.Lines {
		for i := range t.s.Cart.Lines {
			if t.s.Cart.Lines[i].ProductID == l.Product.ID {
				t.s.Cart.Lines[i].SeenPrice = l.Product.Price
			}
		}
	}
	return q, len(q.Dropped), nil
}

func (t *turn) cart(edit bool) ([]Reply, error) {
	q, dropped, err := t.refreshCart()
	if err != nil {
		return nil, err
	}
	var notes []Reply
	if dropped > 0 {
		notes = say(t.text("cart_dropped", map[string]any{"N": dropped}))
	}
	if t.s.Cart.Empty() {
		return append(notes, Reply{Text: t.text("cart_empty", nil), Buttons: [][]Button{{t.btn("btn_shop", "cats")}}, Edit: edit}), nil
	}
	type line struct {
		Title string
		Qty   int
		Unit  commerce.Money
		Total commerce.Money
	}
	var lines []line
	var rows [][]Button
	for _, l := range q.Lines {
		title := l.Product.Title.In(t.lang)
		lines = append(lines, line{Title: title, Qty: l.Qty, Unit: l.Product.Price, Total: l.Total})
		rows = append(rows, []Button{
			{Text: "−", Action: fmt.Sprintf("cd:%d", l.Product.ID)},
			{Text: t.text("cart_line_button", map[string]any{"Title": title, "Qty": l.Qty}), Action: fmt.Sprintf("p:%d", l.Product.ID)},
			{Text: "+", Action: fmt.Sprintf("ci:%d", l.Product.ID)},
			{Text: "✕", Action: fmt.Sprintf("cr:%d", l.Product.ID)},
		})
	}
	rows = append(rows, []Button{t.btn("btn_clear", "cc"), t.btn("btn_shop", "cats")}, []Button{t.btn("btn_checkout", "co")})
	return append(notes, Reply{Text: t.text("cart", map[string]any{"Lines": lines, "Total": q.Total, "Units": t.s.Cart.Units()}),
		Buttons: rows, Edit: edit}), nil
}

func (t *turn) changeLine(verb string, id int64) ([]Reply, error) {
	line, ok := t.s.Cart.Line(id)
	if !ok {
		return t.cart(true) // stale button of a line already removed
	}
	var err error
	switch verb {
	case "ci":
		_, err = t.r.o.Shop.AddToCart(t.ctx, &t.s.Cart, id, 1)
	case "cd":
		err = t.s.Cart.SetQty(id, line.Qty-1, t.r.o.Shop.MaxQtyPerLine())
	case "cr":
		err = t.s.Cart.Remove(id)
	}
	if err != nil {
		p, _ := t.r.o.Shop.Store().Product(t.ctx, id)
		r, ferr := t.cartError(err, p, t.r.o.Shop.MaxQtyPerLine())
		if ferr != nil {
			return nil, ferr
		}
		c, cerr := t.cart(false)
		return append(r[:1:1], c...), cerr
	}
	return t.cart(true)
}

func (t *turn) startCheckout() ([]Reply, error) {
	if t.m.Group {
		return say(t.text("checkout_private", nil)), nil
	}
	q, dropped, err := t.refreshCart()
	if err != nil {
		return nil, err
	}
	if t.s.Cart.Empty() {
		return say(t.text("cart_empty", nil), []Button{t.btn("btn_shop", "cats")}), nil
	}
	if dropped > 0 {
		return t.cart(false)
	}
	points, err := t.r.o.Shop.Store().PickupPoints(t.ctx)
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return say(t.text("no_pickup_points", nil), t.mainMenu()...), nil
	}
	t.s.Step, t.s.Checkout = "", CheckoutDraft{Nonce: newNonce()}
	var rows [][]Button
	for _, p := range points {
		rows = append(rows, []Button{{
			Text:   t.text("point_button", map[string]any{"City": p.City.In(t.lang), "Name": p.Name.In(t.lang)}),
			Action: fmt.Sprintf("cp:%s:%d", t.s.Checkout.Nonce, p.ID),
		}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", "cx")})
	return say(t.text("checkout_point", map[string]any{"Total": q.Total, "Units": t.s.Cart.Units()}), rows...), nil
}

func (t *turn) choosePoint(id int64) ([]Reply, error) {
	p, err := t.r.o.Shop.Store().PickupPoint(t.ctx, id)
	if err != nil || !p.Active {
		if err == nil || errors.Is(err, commerce.ErrNotFound) {
			return t.stale()
		}
		return nil, err
	}
	t.s.Checkout.PointID, t.s.Step = p.ID, stepName
	var rows [][]Button
	if t.s.LastName != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": t.s.LastName}), Action: "cn:" + t.s.Checkout.Nonce}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", "cx")})
	return say(t.text("checkout_name", map[string]any{"Point": p.Name.In(t.lang), "Address": p.Address.In(t.lang)}), rows...), nil
}

func (t *turn) enterName(text string) ([]Reply, error) {
	name, err := commerce.NormalizeName(text)
	if err != nil {
		return say(t.text("err_name", nil), []Button{t.btn("btn_cancel_checkout", "cx")}), nil
	}
	t.s.Checkout.Name, t.s.Step = name, stepPhone
	var rows [][]Button
	if t.s.LastPhone != "" {
		rows = append(rows, []Button{{Text: t.text("btn_use", map[string]any{"Value": maskPhone(t.s.LastPhone)}), Action: "cph:" + t.s.Checkout.Nonce}})
	}
	rows = append(rows, []Button{t.btn("btn_cancel_checkout", "cx")})
	return []Reply{{Text: t.text("checkout_phone", map[string]any{"Name": name}), Buttons: rows, AskPhone: true}}, nil
}

// maskPhone shows only the last four digits: "+86•••••••1234".
func maskPhone(p string) string {
	if len(p) <= 4 {
		return p
	}
	return strings.Repeat("•", len(p)-4) + p[len(p)-4:]
}

func (t *turn) enterPhone(text string) ([]Reply, error) {
	phone, err := commerce.NormalizePhone(text)
	if err != nil {
		return say(t.text("err_phone", nil), []Button{t.btn("btn_cancel_checkout", "cx")}), nil
	}
	if t.s.Checkout.Nonce == "" || t.s.Checkout.PointID == 0 || t.s.Checkout.Name == "" {
		t.s.Step = ""
		return t.stale()
	}
	o, created, err := t.r.o.Shop.PlaceOrder(t.ctx, commerce.Checkout{
		Buyer: t.buyer(), ChatID: t.m.ChatID, Lang: t.lang, Cart: t.s.Cart,
		PickupPointID: t.s.Checkout.PointID, ContactName: t.s.Checkout.Name, Phone: phone,
		IdempotencyKey: "co:" + SessionKey(t.m) + ":" + t.s.Checkout.Nonce,
	})
	var changed *commerce.PriceChangedError
	switch {
	case errors.As(err, &changed):
		t.s.Step, t.s.Checkout = "", CheckoutDraft{}
		c, cerr := t.cart(false)
		return append(say(t.text("err_price_changed", nil)), c...), cerr
	case errors.Is(err, commerce.ErrSoldOut), errors.Is(err, commerce.ErrUnavailable), errors.Is(err, commerce.ErrNotFound):
		t.s.Step, t.s.Checkout = "", CheckoutDraft{}
		c, cerr := t.cart(false)
		return append(say(t.text("err_checkout_stock", nil)), c...), cerr
	case errors.Is(err, commerce.ErrEmptyCart):
		t.s.Step, t.s.Checkout = "", CheckoutDraft{}
		return t.cart(false)
	case errors.Is(err, commerce.ErrInvalid):
		// The pickup point closed meanwhile (name and phone were validated
		// above): choose a point again.
		t.s.Step, t.s.Checkout = "", CheckoutDraft{}
		return t.startCheckout()
	case err != nil:
		return t.fail(err)
	}
	if created {
		t.r.o.Events(EventOrderPlaced)
	}
	t.s.Cart.Clear()
	t.s.Step, t.s.Checkout = "", CheckoutDraft{}
	t.s.LastName, t.s.LastPhone = o.ContactName, o.Phone
	return t.orderView(o, "order_review")
}

func (t *turn) orders() ([]Reply, error) {
	list, err := t.r.o.Shop.Orders(t.ctx, t.buyer(), 10)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return say(t.text("orders_empty", nil), []Button{t.btn("btn_shop", "cats")}), nil
	}
	type row struct {
		Number, Status, Date string
		Total                commerce.Money
	}
	var rows []row
	var buttons [][]Button
	for _, o := range list {
		rows = append(rows, row{Number: o.Number, Status: t.text("status_"+string(o.Status), nil), Total: o.Total, Date: t.date(o.CreatedAt, "")})
		buttons = append(buttons, []Button{{Text: t.text("order_button", map[string]any{"Number": o.Number, "Status": t.text("status_"+string(o.Status), nil)}), Action: fmt.Sprintf("os:%d", o.ID)}})
	}
	buttons = append(buttons, []Button{t.btn("btn_shop", "cats")})
	return say(t.text("orders", map[string]any{"Orders": rows}), buttons...), nil
}

func (t *turn) orderAction(verb string, id int64) ([]Reply, error) {
	shop := t.r.o.Shop
	switch verb {
	case "os":
		o, err := shop.OwnOrder(t.ctx, t.buyer(), id)
		if err != nil {
			return t.fail(err)
		}
		return t.orderView(o, "order_details")
	case "oc":
		o, err := shop.ConfirmOrder(t.ctx, t.buyer(), id)
		if err != nil {
			return t.fail(err)
		}
		t.r.o.Events(EventOrderConfirm)
		return t.orderView(o, "order_confirmed")
	case "ox":
		o, err := shop.OwnOrder(t.ctx, t.buyer(), id)
		if err != nil {
			return t.fail(err)
		}
		if !o.Status.CanBecome(commerce.StatusCancelled) {
			return t.fail(commerce.ErrInvalidTransition)
		}
		return say(t.text("order_cancel_ask", map[string]any{"Number": o.Number}),
			[]Button{t.btn("btn_cancel_yes", fmt.Sprintf("oxy:%d", o.ID)), t.btn("btn_cancel_no", fmt.Sprintf("os:%d", o.ID))}), nil
	default: // "oxy"
		o, err := shop.CancelOrder(t.ctx, t.buyer(), id)
		if err != nil {
			return t.fail(err)
		}
		t.r.o.Events(EventOrderCancel)
		return t.orderView(o, "order_cancelled")
	}
}

// orderView renders an order with the buttons its status allows.
func (t *turn) orderView(o commerce.Order, key string) ([]Reply, error) {
	pt, err := t.r.o.Shop.Store().PickupPoint(t.ctx, o.PickupPointID)
	if err != nil {
		return nil, err
	}
	type line struct {
		Title string
		Qty   int
		Total commerce.Money
	}
	var lines []line
	for _, l := range o.Lines {
		lines = append(lines, line{Title: l.Title.In(t.lang), Qty: l.Qty, Total: l.UnitPrice.Mul(l.Qty)})
	}
	minutes := int(o.ExpiresAt.Sub(t.r.o.Shop.Now()).Round(time.Minute).Minutes())
	data := map[string]any{
		"Number": o.Number, "Status": t.text("status_"+string(o.Status), nil), "Lines": lines, "Total": o.Total,
		"Point": pt.Name.In(t.lang), "City": pt.City.In(t.lang), "Address": pt.Address.In(t.lang), "Hours": pt.Hours,
		"Name": o.ContactName, "Phone": maskPhone(o.Phone), "Minutes": max(minutes, 0),
		"Date": t.date(o.CreatedAt, pt.TimeZone), "Pending": o.Status == commerce.StatusPending,
	}
	var rows [][]Button
	if o.Status == commerce.StatusPending {
		rows = append(rows, []Button{t.btn("btn_confirm", fmt.Sprintf("oc:%d", o.ID))})
	}
	if o.Status.CanBecome(commerce.StatusCancelled) {
		rows = append(rows, []Button{t.btn("btn_cancel_order", fmt.Sprintf("ox:%d", o.ID))})
	}
	text := t.text(key, data)
	extra, extraRows, err := t.pickupSection(o, pt)
	if err != nil {
		return nil, err
	}
	if extra != "" {
		text += "\n\n" + extra
	}
	rows = append(rows, extraRows...)
	rows = append(rows, []Button{t.btn("btn_orders", "o"), t.btn("btn_shop", "cats")})
	return say(text, rows...), nil
}

// date formats a time in the pickup point's zone (Asia/Shanghai when unknown).
func (t *turn) date(at time.Time, zone string) string {
	if zone == "" {
		zone = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return at.In(loc).Format("2006-01-02 15:04")
}
