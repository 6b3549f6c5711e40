package admin

import (
	"net/http"
	"unicode/utf8"

	"shopbot/commerce"
)

// maxBroadcasts is how many of the newest broadcasts the page shows.
const maxBroadcasts = 50

type broadcastRow struct {
	commerce.Broadcast
	Excerpt string
	Done    int
	Pending int
}

// broadcasts answers GET /admin/broadcasts: the history with each one's
// progress.
func (c *Console) broadcasts(w http.ResponseWriter, r *http.Request, q access) {
	if c.o.Broadcasts == nil {
		c.message(w, r, http.StatusNotFound, q, "error", "console_not_found", nil)
		return
	}
	list, err := c.o.Broadcasts.Broadcasts(r.Context(), maxBroadcasts)
	if err != nil {
		c.internal(w, r, q, "broadcasts", err)
		return
	}
	var rows []broadcastRow
	for _, b := range list {
		rows = append(rows, broadcastRow{Broadcast: b, Excerpt: excerpt(b.Content.Text, 120), Done: b.Counts.Done(), Pending: b.Counts.Pending()})
	}
	c.render(w, r, http.StatusOK, &view{Page: "broadcasts", Identity: q.Identity, CSRF: q.CSRF, Data: rows})
}

// excerpt is s cut to n characters.
func excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
