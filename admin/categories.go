package admin

import (
	"net/http"
	"strconv"
	"strings"

	"shopbot/commerce"
	"shopbot/templates"
)

// The categories page: create, rename per language, order and hide, with
// the shop setup's services (the chat's /categories and the CLI use them).

func (c *Console) registerCategories(mux *http.ServeMux) {
	if c.o.Setup == nil {
		return
	}
	mux.HandleFunc("GET /admin/categories", c.page(func(w http.ResponseWriter, r *http.Request, q access) {
		c.showCategories(w, r, q, http.StatusOK, doneCategory(r.URL.Query().Get("done")), "")
	}))
	mux.HandleFunc("POST /admin/categories", c.page(c.addCategory))
	mux.HandleFunc("POST /admin/categories/{id}", c.page(c.renameCategory))
	mux.HandleFunc("POST /admin/categories/{id}/move", c.page(c.moveCategory))
	mux.HandleFunc("POST /admin/categories/{id}/hidden", c.page(c.hideCategory))
}

type categoriesData struct {
	Categories []commerce.Category
	Langs      []string
	Lang       string // of the new category's title
	Title      string // typed, when refused
}

func doneCategory(done string) *notice {
	switch done {
	case "created", "saved":
		return &notice{Level: "ok", Key: "console_category_" + done}
	}
	return nil
}

func (c *Console) showCategories(w http.ResponseWriter, r *http.Request, q access, status int, n *notice, typed string) {
	cats, err := c.o.Setup.Categories(r.Context())
	if err != nil {
		c.internal(w, r, q, "categories", err)
		return
	}
	d := categoriesData{Categories: cats, Langs: templates.Locales, Lang: c.pageLang(r), Title: typed}
	c.render(w, r, status, &view{Page: "categories", Identity: q.Identity, CSRF: q.CSRF, Notice: n, Data: d})
}

func (c *Console) addCategory(w http.ResponseWriter, r *http.Request, q access) {
	title := r.PostFormValue("title")
	_, err := c.o.Setup.AddCategory(r.Context(), commerce.CategoryInput{Lang: templates.Match(r.PostFormValue("lang")), Title: title})
	if err != nil {
		c.refused(w, r, q, "add category", err, func(n *notice, status int) { c.showCategories(w, r, q, status, n, title) })
		return
	}
	http.Redirect(w, r, "/admin/categories?done=created", http.StatusSeeOther)
}

// categoryID reads {id}; otherwise it has answered 404.
func (c *Console) categoryID(w http.ResponseWriter, r *http.Request, q access) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return 0, false
	}
	return id, true
}

// renameCategory sets the titles typed (title_<lang>); an empty one keeps
// what the language had.
func (c *Console) renameCategory(w http.ResponseWriter, r *http.Request, q access) {
	id, ok := c.categoryID(w, r, q)
	if !ok {
		return
	}
	for _, l := range templates.Locales {
		title := strings.TrimSpace(r.PostFormValue("title_" + l))
		if title == "" {
			continue
		}
		if _, err := c.o.Setup.RenameCategory(r.Context(), id, l, title); err != nil {
			c.refused(w, r, q, "rename category", err, func(n *notice, status int) { c.showCategories(w, r, q, status, n, "") })
			return
		}
	}
	http.Redirect(w, r, "/admin/categories?done=saved", http.StatusSeeOther)
}

func (c *Console) moveCategory(w http.ResponseWriter, r *http.Request, q access) {
	id, ok := c.categoryID(w, r, q)
	if !ok {
		return
	}
	delta := 1
	if r.PostFormValue("delta") == "-1" {
		delta = -1
	}
	if _, err := c.o.Setup.MoveCategory(r.Context(), id, delta); err != nil {
		c.refused(w, r, q, "move category", err, func(n *notice, status int) { c.showCategories(w, r, q, status, n, "") })
		return
	}
	http.Redirect(w, r, "/admin/categories", http.StatusSeeOther)
}

func (c *Console) hideCategory(w http.ResponseWriter, r *http.Request, q access) {
	id, ok := c.categoryID(w, r, q)
	if !ok {
		return
	}
	if _, err := c.o.Setup.SetCategoryHidden(r.Context(), id, r.PostFormValue("hidden") == "1"); err != nil {
		c.refused(w, r, q, "hide category", err, func(n *notice, status int) { c.showCategories(w, r, q, status, n, "") })
		return
	}
	http.Redirect(w, r, "/admin/categories?done=saved", http.StatusSeeOther)
}
