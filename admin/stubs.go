package admin

import "net/http"

func (c *Console) registerProducts(mux *http.ServeMux) {}
func (c *Console) drops(w http.ResponseWriter, r *http.Request, q access) {
	c.render(w, r, http.StatusOK, &view{Page: "drops", Identity: q.Identity, CSRF: q.CSRF})
}
func (c *Console) broadcasts(w http.ResponseWriter, r *http.Request, q access) {
	c.render(w, r, http.StatusOK, &view{Page: "broadcasts", Identity: q.Identity, CSRF: q.CSRF})
}
