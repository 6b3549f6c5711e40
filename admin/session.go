package admin

import (
	"errors"
	"net/http"
	"strings"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/staff/auth"
)

// access is an authenticated request of a seller.
type access struct {
	auth.Session
}

// handler answers one page for a seller let in.
type handler func(w http.ResponseWriter, r *http.Request, q access)

// page lets sellers in (admit) to h.
func (c *Console) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if q, ok := c.admit(w, r, MaxBody); ok {
			h(w, r, q)
		}
	}
}

// admit lets a seller in: a live session (else 401 with the sign-in
// advice), an identity that is a seller now (else 403), and for POSTs a
// body within max (else 413) carrying the session's CSRF token (else 403).
// It writes the refusal itself.
func (c *Console) admit(w http.ResponseWriter, r *http.Request, max int64) (access, bool) {
	sess, err := c.auth.Session(r)
	switch {
	case errors.Is(err, auth.ErrInvalid):
		c.auth.DropCookie(w) // ended, expired or forged
		fallthrough
	case errors.Is(err, auth.ErrNoSession):
		c.render(w, r, http.StatusUnauthorized, &view{Page: "anon"})
		return access{}, false
	case err != nil:
		c.internal(w, r, access{}, "session", err)
		return access{}, false
	}
	q := access{Session: sess}
	if !c.o.IsAdmin(sess.Identity) {
		c.log.WarnContext(r.Context(), "console: signed in but no seller", "session", sess.ID)
		c.render(w, r, http.StatusForbidden, &view{Page: "message", Identity: sess.Identity,
			Notice: &notice{Level: "error", Key: "console_forbidden", Data: map[string]any{"Identity": sess.Identity}}})
		return access{}, false
	}
	if r.Method == http.MethodPost && !c.checkForm(w, r, q, max) {
		return access{}, false
	}
	return q, true
}

// checkForm reads a POST body within max (a multipart one too) carrying
// the session's CSRF token; otherwise it has answered 413, 400 or 403.
func (c *Console) checkForm(w http.ResponseWriter, r *http.Request, q access, max int64) bool {
	if !c.readForm(w, r, q, max) {
		return false
	}
	if !q.CheckCSRF(r.PostFormValue("csrf")) {
		c.log.WarnContext(r.Context(), "console: CSRF token missing or wrong", "session", q.ID, "path", r.URL.Path)
		c.message(w, r, http.StatusForbidden, q, "error", "console_expired", nil)
		return false
	}
	return true
}

// readForm reads a POST body within max; otherwise it has answered 413 or
// 400.
func (c *Console) readForm(w http.ResponseWriter, r *http.Request, q access, max int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(max)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.message(w, r, http.StatusRequestEntityTooLarge, q, "error", "console_form_too_large", nil)
		} else {
			c.message(w, r, http.StatusBadRequest, q, "error", "console_form_unreadable", nil)
		}
		return false
	}
	return true
}

// loginPage answers GET /admin/login?token=…: whom a valid link signs in,
// with a button that does it. Opening the link signs no one in (chat apps
// fetch links for their previews).
func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	l, err := c.auth.CheckLink(r.Context(), token)
	if errors.Is(err, auth.ErrUsed) {
		if sess, serr := c.auth.Session(r); serr == nil && sess.Identity == l.Identity {
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
			return
		}
	}
	if err != nil {
		c.linkRefused(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, &view{Page: "login", Identity: l.Identity, Token: token})
}

// login answers POST /admin/login (token): a valid, unused link of a
// seller starts a session and never works again; the browser moves on to
// /admin.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if !c.readForm(w, r, access{}, MaxBody) {
		return
	}
	token := r.PostForm.Get("token")
	if l, err := c.auth.CheckLink(r.Context(), token); err == nil && !c.o.IsAdmin(l.Identity) {
		c.render(w, r, http.StatusForbidden, &view{Page: "message", Identity: l.Identity,
			Notice: &notice{Level: "error", Key: "console_forbidden", Data: map[string]any{"Identity": l.Identity}}})
		return
	}
	old, oldErr := c.auth.Session(r)
	sess, err := c.auth.Login(r.Context(), w, token)
	if err != nil {
		c.linkRefused(w, r, err)
		return
	}
	if oldErr == nil {
		if err := c.auth.End(r.Context(), old); err != nil {
			c.log.WarnContext(r.Context(), "console: end the previous session", "session", old.ID, "err", err)
		}
	}
	c.log.InfoContext(r.Context(), "console: signed in", "session", sess.ID)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// linkRefused tells why a login link signs no one in: invalid or expired
// (401), used (410), or our failure (500).
func (c *Console) linkRefused(w http.ResponseWriter, r *http.Request, err error) {
	why, status, ok := auth.Refusal(err)
	if !ok {
		c.internal(w, r, access{}, "login link", err)
		return
	}
	c.render(w, r, status, &view{Page: "anon", Notice: &notice{Level: "error", Key: "console_link_" + why}})
}

// logout answers POST /admin/logout: the session ends on the server and
// the cookie is dropped. A seller no longer listed may sign out too.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	sess, err := c.auth.Session(r)
	if err != nil {
		c.auth.DropCookie(w)
		c.render(w, r, http.StatusOK, &view{Page: "anon", Notice: &notice{Level: "ok", Key: "console_signed_out"}})
		return
	}
	q := access{Session: sess}
	if !c.checkForm(w, r, q, MaxBody) {
		return
	}
	if err := c.auth.Logout(r.Context(), w, sess); err != nil {
		c.internal(w, r, q, "logout", err)
		return
	}
	c.render(w, r, http.StatusOK, &view{Page: "anon", Notice: &notice{Level: "ok", Key: "console_signed_out"}})
}

// internal logs an unexpected error and shows a generic page.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, q access, op string, err error) {
	c.log.ErrorContext(r.Context(), "console: "+op, "session", q.ID, "err", err)
	c.message(w, r, http.StatusInternalServerError, q, "error", "console_internal", nil)
}

// refused shows what went wrong with a seller's change: the error table's
// words when a seller can act on them, else "something went wrong".
func (c *Console) refused(w http.ResponseWriter, r *http.Request, q access, op string, err error, again func(n *notice, status int)) {
	key, status := "console_err_invalid", http.StatusUnprocessableEntity
	if !errors.Is(err, commerce.ErrInvalid) {
		ue, ok := bot.ErrorText(err, bot.InChat)
		if !ok {
			c.internal(w, r, q, op, err)
			return
		}
		key, status = ue.Key, ue.Status
		if c.texts.Text("en", key, nil) == key { // a text that needs data this page lacks
			key = "console_err_refused"
		}
	}
	c.log.InfoContext(r.Context(), "console: "+op+" refused", "session", q.ID, "err", err)
	again(&notice{Level: "error", Key: key}, status)
}
