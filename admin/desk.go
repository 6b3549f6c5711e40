package admin

import (
	"net/http"
	"net/url"

	"shopbot/commerce"
)

// The order desk's part of the console (Options.Desk): the shelves of
// open orders with their counts, an order's notes and payment, and a note
// to the buyer — the same services as the chat's /orders.

func (c *Console) registerDesk(mux *http.ServeMux) {
	if c.o.Desk == nil {
		return
	}
	mux.HandleFunc("POST /admin/orders/{number}/note", c.page(c.noteToBuyer))
}

type shelf struct {
	State   commerce.DeskState
	N       int
	Current bool
}

// shelves are the desk's shelves with their counts; nil without a desk.
func (c *Console) shelves(r *http.Request, current string) ([]shelf, error) {
	if c.o.Desk == nil {
		return nil, nil
	}
	counts, err := c.o.Desk.Counts(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]shelf, len(counts))
	for i, sc := range counts {
		out[i] = shelf{State: sc.State, N: sc.N, Current: string(sc.State) == current}
	}
	return out, nil
}

// shelfOrders is the orders of a shelf (at most a page of 100), ok false
// when the request names no shelf.
func (c *Console) shelfOrders(r *http.Request) ([]commerce.Order, bool, error) {
	name := r.URL.Query().Get("shelf")
	if c.o.Desk == nil || name == "" {
		return nil, false, nil
	}
	st, err := commerce.ParseDeskState(name)
	if err != nil {
		return nil, false, nil
	}
	page, err := c.o.Desk.List(r.Context(), commerce.ListOptions{State: st, PerPage: 100})
	return page.Orders, true, err
}

// orderExtras are the desk's notes of an order; nil without a desk.
func (c *Console) orderNotes(r *http.Request, number string) ([]commerce.OrderNote, error) {
	if c.o.Desk == nil {
		return nil, nil
	}
	d, err := c.o.Desk.OrderByNumber(r.Context(), number)
	return d.Notes, err
}

// noteToBuyer answers POST /admin/orders/{number}/note (note): the chat's
// note to the buyer.
func (c *Console) noteToBuyer(w http.ResponseWriter, r *http.Request, q access) {
	number := commerce.NormalizeOrderNumber(r.PathValue("number"))
	if _, err := c.o.Desk.NoteToBuyer(r.Context(), number, r.PostFormValue("note"), q.Identity); err != nil {
		c.refused(w, r, q, "note to buyer", err, func(n *notice, status int) { c.showOrder(w, r, q, status, n, "") })
		return
	}
	http.Redirect(w, r, "/admin/orders/"+url.PathEscape(number)+"?done=noted", http.StatusSeeOther)
}
