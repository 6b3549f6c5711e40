package admin

import (
	"bytes"
	"errors"
	"net/http"
	"slices"

	"shopbot/commerce"
	"shopbot/labels"
	"shopbot/templates"
)

// The labels page: a printable sheet (PDF, or PNG of the first page) of QR
// labels with each product's name and price, the QR code opening the
// product in the bot — as "shopbot labels" makes it (Options.ProductLink).

func (c *Console) registerLabels(mux *http.ServeMux) {
	if c.o.ProductLink == nil {
		return
	}
	mux.HandleFunc("GET /admin/labels", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		c.showLabels(w, r, q, http.StatusOK, nil)
	}))
	mux.HandleFunc("GET /admin/labels/sheet", c.page(c.labelSheet))
}

type labelsData struct {
	Products []commerce.Product
	Layouts  []labels.Layout
	Targets  []string
	Langs    []string
	Lang     string
}

func (c *Console) showLabels(w http.ResponseWriter, r *http.Request, q access, status int, n *notice) {
	list, err := c.o.Seller.Store().Products(r.Context(), commerce.ProductFilter{Limit: labels.MaxLabels})
	if err != nil {
		c.internal(w, r, q, "products", err)
		return
	}
	d := labelsData{Products: list, Layouts: labels.Layouts, Targets: c.o.LinkTargets(), Langs: templates.Locales, Lang: c.pageLang(r)}
	c.render(w, r, status, &view{Page: "labels", Identity: q.Identity, CSRF: q.CSRF, Notice: n, Data: d})
}

// labelSheet answers GET /admin/labels/sheet (sku…, size, format, qr,
// lang): the sheet as a download; no product chosen is every visible one.
func (c *Console) labelSheet(w http.ResponseWriter, r *http.Request, q access) {
	v := r.URL.Query()
	lang := templates.Match(v.Get("labels_lang"))
	if lang == "" {
		lang = c.pageLang(r)
	}
	format, target := v.Get("format"), v.Get("qr")
	if format != labels.FormatPNG {
		format = labels.FormatPDF
	}
	if !slices.Contains(c.o.LinkTargets(), target) {
		target = c.o.LinkTargets()[0]
	}
	list, err := c.o.Seller.Store().Products(r.Context(), commerce.ProductFilter{Limit: labels.MaxLabels})
	if err != nil {
		c.internal(w, r, q, "products", err)
		return
	}
	chosen := v["sku"]
	var sheet []labels.Label
	for _, p := range list {
		if len(chosen) > 0 && !slices.Contains(chosen, p.SKU) {
			continue
		}
		link, err := c.o.ProductLink(r.Context(), target, p.ID)
		if err != nil {
			c.log.WarnContext(r.Context(), "console: a label's link", "target", target, "err", err)
			c.showLabels(w, r, q, http.StatusServiceUnavailable, &notice{Level: "error", Key: "console_labels_link_failed"})
			return
		}
		sheet = append(sheet, labels.Label{Name: p.Title.In(lang), Price: templates.FormatMoney(lang, p.Price), SKU: p.SKU, URL: link})
	}
	var buf bytes.Buffer
	err = labels.Write(&buf, sheet, labels.Options{Layout: v.Get("size"), Format: format})
	if errors.Is(err, labels.ErrInvalid) {
		c.showLabels(w, r, q, http.StatusUnprocessableEntity, &notice{Level: "error", Key: "console_err_invalid"})
		return
	}
	if err != nil {
		c.internal(w, r, q, "labels", err)
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", map[string]string{labels.FormatPDF: "application/pdf", labels.FormatPNG: "image/png"}[format])
	h.Set("Content-Disposition", `attachment; filename="labels.`+format+`"`)
	_, _ = buf.WriteTo(w)
}
