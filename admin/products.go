package admin

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shopbot/commerce"
	"shopbot/templates"
)

func (c *Console) registerProducts(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/products", c.page(c.products))
	mux.HandleFunc("GET /admin/products/new", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		c.newProduct(w, r, q, http.StatusOK, nil, productForm{Nonce: commerce.NewListingNonce(), Lang: c.pageLang(r), Stock: "1"})
	}))
	mux.HandleFunc("POST /admin/products", c.photoPage(c.createProduct))
	mux.HandleFunc("GET /admin/products/{id}", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		c.showProduct(w, r, q, http.StatusOK, doneProduct(r.URL.Query().Get("done")), nil)
	}))
	mux.HandleFunc("POST /admin/products/{id}", c.page(c.saveProduct))
	mux.HandleFunc("POST /admin/products/{id}/stock", c.page(c.productStock))
	mux.HandleFunc("POST /admin/products/{id}/active", c.page(c.productActive))
	mux.HandleFunc("POST /admin/products/{id}/photo", c.photoPage(c.productPhoto))
}

// photoPage is page for forms that may carry a photo.
func (c *Console) photoPage(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if q, ok := c.admit(w, r, MaxPhotoBody); ok {
			h(w, r, q)
		}
	}
}

func (c *Console) pageLang(r *http.Request) string { l, _ := c.lang(r); return l }

type productsData struct {
	Products   []productRow
	WithHidden bool
}

type productRow struct {
	commerce.Product
	Category commerce.Text
	ImageURL string
}

func (c *Console) imageURL(key string) string {
	if key == "" || c.o.ImageURL == nil {
		return ""
	}
	return c.o.ImageURL(key)
}

// categories is every category by id.
func (c *Console) categories(r *http.Request) ([]commerce.Category, map[int64]commerce.Category, error) {
	list, err := c.o.Seller.Store().Categories(r.Context())
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]commerce.Category, len(list))
	for _, cat := range list {
		byID[cat.ID] = cat
	}
	return list, byID, nil
}

// products answers GET /admin/products (?hidden=1 lists hidden ones too).
func (c *Console) products(w http.ResponseWriter, r *http.Request, q access) {
	d := productsData{WithHidden: r.URL.Query().Get("hidden") == "1"}
	list, err := c.o.Seller.Store().Products(r.Context(), commerce.ProductFilter{Limit: 10000, WithHidden: d.WithHidden})
	if err != nil {
		c.internal(w, r, q, "products", err)
		return
	}
	_, cats, err := c.categories(r)
	if err != nil {
		c.internal(w, r, q, "categories", err)
		return
	}
	for _, p := range list {
		d.Products = append(d.Products, productRow{Product: p, Category: cats[p.CategoryID].Title, ImageURL: c.imageURL(p.Image)})
	}
	c.render(w, r, http.StatusOK, &view{Page: "products", Identity: q.Identity, CSRF: q.CSRF, Data: d})
}

// productForm is what the seller typed, shown again when refused.
type productForm struct {
	Nonce, SKU, Lang, Title, Description, Price, Stock, Origin string
	Category                                                   int64
	Titles, Descriptions                                       map[string]string
}

type productData struct {
	New        bool
	Product    commerce.Product
	ImageURL   string
	Form       productForm
	Categories []commerce.Category
	Origins    []commerce.Origin
	Langs      []string
	Currency   string
	Price      string // the price as typed in the form ("129.00")
}

var origins = []commerce.Origin{commerce.OriginDutyPaid, commerce.OriginLocal, commerce.OriginBonded, commerce.OriginDirectMail}

func (c *Console) newProduct(w http.ResponseWriter, r *http.Request, q access, status int, n *notice, f productForm) {
	cats, _, err := c.categories(r)
	if err != nil {
		c.internal(w, r, q, "categories", err)
		return
	}
	if len(cats) == 0 && n == nil {
		n = &notice{Level: "error", Key: "console_product_no_category"}
	}
	d := productData{New: true, Form: f, Categories: cats, Origins: origins, Langs: templates.Locales, Currency: c.o.Seller.Currency(r.Context())}
	c.render(w, r, status, &view{Page: "product", Identity: q.Identity, CSRF: q.CSRF, Notice: n, Data: d})
}

// createProduct answers POST /admin/products: a product from the form (a
// photo too), published once per form (its nonce).
func (c *Console) createProduct(w http.ResponseWriter, r *http.Request, q access) {
	f := productForm{Nonce: r.PostFormValue("nonce"), SKU: strings.TrimSpace(r.PostFormValue("sku")), Lang: templates.Match(r.PostFormValue("lang")),
		Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Price: r.PostFormValue("price"),
		Stock: r.PostFormValue("stock"), Origin: r.PostFormValue("origin")}
	f.Category, _ = strconv.ParseInt(r.PostFormValue("category"), 10, 64)
	again := func(n *notice, status int) { c.newProduct(w, r, q, status, n, f) }
	if f.Lang == "" {
		f.Lang = c.pageLang(r)
	}
	price, err := commerce.ParseMoney(f.Price, c.o.Seller.Currency(r.Context()))
	stock, serr := strconv.Atoi(strings.TrimSpace(f.Stock))
	origin, oerr := commerce.ParseOrigin(f.Origin)
	if err = errors.Join(err, serr, oerr); err != nil || (f.SKU == "" && f.Nonce == "") {
		again(&notice{Level: "error", Key: "console_err_invalid"}, http.StatusUnprocessableEntity)
		return
	}
	image, ok := c.upload(w, r, q, again)
	if !ok {
		return
	}
	p, _, err := c.o.Seller.Publish(r.Context(), commerce.NewProduct{SKU: f.SKU, Nonce: f.Nonce, Lang: f.Lang, Title: f.Title,
		Description: f.Description, Price: price, Stock: stock, Origin: origin, CategoryID: f.Category, Image: image})
	if err != nil {
		c.refused(w, r, q, "create product", err, again)
		return
	}
	c.log.InfoContext(r.Context(), "console: product created", "product", p.ID, "session", q.ID)
	http.Redirect(w, r, "/admin/products/"+strconv.FormatInt(p.ID, 10)+"?done=created", http.StatusSeeOther)
}

// upload stores the form's photo, if any, and returns its key; otherwise it
// has answered (again with the error table's words, or 500).
func (c *Console) upload(w http.ResponseWriter, r *http.Request, q access, again func(*notice, int)) (string, bool) {
	file, _, err := r.FormFile("photo")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return "", true
	}
	if err != nil {
		c.message(w, r, http.StatusBadRequest, q, "error", "console_form_unreadable", nil)
		return "", false
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, commerce.MaxImageBytes+1))
	if err != nil {
		c.message(w, r, http.StatusBadRequest, q, "error", "console_form_unreadable", nil)
		return "", false
	}
	if len(data) == 0 {
		return "", true // the file input left empty
	}
	key, err := c.o.Seller.SaveImage(r.Context(), data)
	if err != nil {
		c.refused(w, r, q, "save photo", err, again)
		return "", false
	}
	return key, true
}

func doneProduct(done string) *notice {
	switch done {
	case "created", "saved", "photo_saved", "hidden_now", "shown_now":
		return &notice{Level: "ok", Key: "console_product_" + done}
	}
	return nil
}

// productID reads {id}; otherwise it has answered 404.
func (c *Console) productID(w http.ResponseWriter, r *http.Request, q access) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return 0, false
	}
	return id, true
}

// showProduct answers GET /admin/products/{id}: every field, the texts in
// each language, the photo, the stock and whether buyers see it.
func (c *Console) showProduct(w http.ResponseWriter, r *http.Request, q access, status int, n *notice, typed *productForm) {
	id, ok := c.productID(w, r, q)
	if !ok {
		return
	}
	p, err := c.o.Seller.Store().Product(r.Context(), id)
	if errors.Is(err, commerce.ErrNotFound) {
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return
	}
	if err != nil {
		c.internal(w, r, q, "product", err)
		return
	}
	cats, _, err := c.categories(r)
	if err != nil {
		c.internal(w, r, q, "categories", err)
		return
	}
	f := productForm{Titles: map[string]string{}, Descriptions: map[string]string{}, Category: p.CategoryID, Price: decimal(p.Price)}
	for _, l := range templates.Locales {
		f.Titles[l], f.Descriptions[l] = p.Title[l], p.Description[l]
	}
	if typed != nil {
		f = *typed
	}
	d := productData{Product: p, ImageURL: c.imageURL(p.Image), Form: f, Categories: cats, Origins: origins, Langs: templates.Locales,
		Currency: p.Price.Currency}
	c.render(w, r, status, &view{Page: "product", Identity: q.Identity, CSRF: q.CSRF, Notice: n, Data: d})
}

// saveProduct answers POST /admin/products/{id}: the texts in every
// language, the price and the category, in one transaction.
func (c *Console) saveProduct(w http.ResponseWriter, r *http.Request, q access) {
	id, ok := c.productID(w, r, q)
	if !ok {
		return
	}
	f := productForm{Titles: map[string]string{}, Descriptions: map[string]string{}, Price: r.PostFormValue("price")}
	f.Category, _ = strconv.ParseInt(r.PostFormValue("category"), 10, 64)
	for _, l := range templates.Locales {
		f.Titles[l], f.Descriptions[l] = r.PostFormValue("title_"+l), r.PostFormValue("description_"+l)
	}
	again := func(n *notice, status int) { c.showProduct(w, r, q, status, n, &f) }
	_, err := c.o.Seller.Store().UpdateProduct(r.Context(), id, func(p *commerce.Product) error {
		return c.edit(r, p, f)
	})
	if err != nil {
		c.refused(w, r, q, "save product", err, again)
		return
	}
	http.Redirect(w, r, "/admin/products/"+strconv.FormatInt(id, 10)+"?done=saved", http.StatusSeeOther)
}

// edit applies the form to p: a title is needed in at least one language.
func (c *Console) edit(r *http.Request, p *commerce.Product, f productForm) error {
	price, err := commerce.ParseMoney(f.Price, p.Price.Currency)
	if err != nil {
		return err
	}
	if err := c.o.Seller.CheckPrice(r.Context(), price); err != nil {
		return err
	}
	titles, descs := commerce.Text{}, commerce.Text{}
	for _, l := range templates.Locales {
		if s := strings.TrimSpace(f.Titles[l]); s != "" {
			if titles[l], err = commerce.CleanTitle(s); err != nil {
				return err
			}
		}
		if descs[l], err = commerce.CleanDescription(f.Descriptions[l]); err != nil {
			return err
		}
		if descs[l] == "" {
			delete(descs, l)
		}
	}
	if len(titles) == 0 || f.Category <= 0 {
		return commerce.ErrInvalid
	}
	for k, v := range p.Title { // languages the console does not show stay
		if _, shown := f.Titles[k]; !shown {
			titles[k] = v
		}
	}
	p.Title, p.Description, p.Price, p.CategoryID = titles, descs, price, f.Category
	return nil
}

// productStock answers POST /admin/products/{id}/stock: set (relative to
// the stock the seller saw, so sales meanwhile stay sold) or add.
func (c *Console) productStock(w http.ResponseWriter, r *http.Request, q access) {
	id, ok := c.productID(w, r, q)
	if !ok {
		return
	}
	again := func(n *notice, status int) { c.showProduct(w, r, q, status, n, nil) }
	var p commerce.Product
	var err error
	if add := strings.TrimSpace(r.PostFormValue("add")); add != "" {
		n, perr := strconv.Atoi(strings.TrimPrefix(add, "+"))
		if perr != nil {
			again(&notice{Level: "error", Key: "console_err_invalid"}, http.StatusUnprocessableEntity)
			return
		}
		p, err = c.o.Seller.AddStock(r.Context(), id, n)
	} else {
		seen, serr := strconv.Atoi(r.PostFormValue("seen"))
		to, terr := strconv.Atoi(strings.TrimSpace(r.PostFormValue("stock")))
		if serr != nil || terr != nil {
			again(&notice{Level: "error", Key: "console_err_invalid"}, http.StatusUnprocessableEntity)
			return
		}
		p, err = c.o.Seller.SetStock(r.Context(), id, seen, to)
	}
	if err != nil {
		c.refused(w, r, q, "stock", err, again)
		return
	}
	c.showProduct(w, r, q, http.StatusOK, &notice{Level: "ok", Key: "console_product_stock_now", Data: map[string]any{"Stock": p.Stock}}, nil)
}

// productActive answers POST /admin/products/{id}/active (active=0|1).
func (c *Console) productActive(w http.ResponseWriter, r *http.Request, q access) {
	id, ok := c.productID(w, r, q)
	if !ok {
		return
	}
	active := r.PostFormValue("active") == "1"
	if _, err := c.o.Seller.SetActive(r.Context(), id, active); err != nil {
		c.refused(w, r, q, "hide or show", err, func(n *notice, status int) { c.showProduct(w, r, q, status, n, nil) })
		return
	}
	done := "hidden_now"
	if active {
		done = "shown_now"
	}
	http.Redirect(w, r, "/admin/products/"+strconv.FormatInt(id, 10)+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// productPhoto answers POST /admin/products/{id}/photo: a new picture.
func (c *Console) productPhoto(w http.ResponseWriter, r *http.Request, q access) {
	id, ok := c.productID(w, r, q)
	if !ok {
		return
	}
	again := func(n *notice, status int) { c.showProduct(w, r, q, status, n, nil) }
	key, ok := c.upload(w, r, q, again)
	if !ok {
		return
	}
	if key == "" {
		again(&notice{Level: "error", Key: "console_err_invalid"}, http.StatusUnprocessableEntity)
		return
	}
	if _, err := c.o.Seller.Store().UpdateProduct(r.Context(), id, func(p *commerce.Product) error {
		p.Image = key
		return nil
	}); err != nil {
		c.refused(w, r, q, "photo", err, again)
		return
	}
	http.Redirect(w, r, "/admin/products/"+strconv.FormatInt(id, 10)+"?done=photo_saved", http.StatusSeeOther)
}
