package staff

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shopbot/bot"
	"shopbot/commerce"
	"shopbot/staff/auth"
	"shopbot/templates"
)

// access is an authenticated request by staff of at least one point.
type access struct {
	auth.Session
	points []commerce.PickupPoint
}

// admit lets staff in: a valid session (else 401), for POSTs a body within
// MaxBody (else 413) carrying the session's CSRF token (else 403), and an
// identity that is staff of some active point (else 403). It writes the
// refusal itself.
func (p *Page) admit(w http.ResponseWriter, r *http.Request) (access, bool) {
	sess, ok, present := p.auth.Session(r)
	if !ok {
		if present {
			p.auth.Logout(w) // expired or forged: drop it
		}
		p.render(w, r, http.StatusUnauthorized, &view{Kind: kindAnon})
		return access{}, false
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				p.render(w, r, http.StatusRequestEntityTooLarge, errorView(sess.Identity, "staffpage_form_too_large"))
			} else {
				p.render(w, r, http.StatusBadRequest, errorView(sess.Identity, "staffpage_form_unreadable"))
			}
			return access{}, false
		}
		if !sess.CheckCSRF(r.PostForm.Get("csrf")) {
			p.log.WarnContext(r.Context(), "staff: CSRF token missing or wrong", "staff", p.logID(sess.Identity), "path", r.URL.Path)
			p.render(w, r, http.StatusForbidden, errorView(sess.Identity, "staffpage_expired"))
			return access{}, false
		}
	}
	points, err := p.pickup.StaffPoints(r.Context(), sess.Identity)
	if err != nil {
		p.internal(w, r, "staff points", sess.Identity, err)
		return access{}, false
	}
	if len(points) == 0 {
		p.render(w, r, http.StatusForbidden, &view{Kind: kindForbidden, Identity: sess.Identity, CSRF: sess.CSRF})
		return access{}, false
	}
	return access{Session: sess, points: points}, true
}

// point picks the point named by id among the staff's points; the first
// when id is empty. ok is false for a point the staff does not work at.
func (q access) point(id string) (commerce.PickupPoint, bool) {
	if id == "" {
		return q.points[0], true
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return commerce.PickupPoint{}, false
	}
	i := slices.IndexFunc(q.points, func(p commerce.PickupPoint) bool { return p.ID == n })
	if i < 0 {
		return commerce.PickupPoint{}, false
	}
	return q.points[i], true
}

// login answers GET /staff/login?token=…: a valid token starts a session.
// The answer is a page that moves on to /staff by itself rather than an
// HTTP redirect: a SameSite=Strict cookie is not sent along a redirect
// chain that started on another site (the chat app), but is sent on a
// navigation started by our own page.
func (p *Page) login(w http.ResponseWriter, r *http.Request) {
	sess, err := p.auth.Login(w, r.URL.Query().Get("token"))
	if err != nil {
		expired := errors.Is(err, auth.ErrExpired)
		p.log.InfoContext(r.Context(), "staff: login link refused", "expired", expired)
		key := "staffpage_link_invalid"
		if expired {
			key = "staffpage_link_expired"
		}
		p.render(w, r, http.StatusUnauthorized, &view{Kind: kindAnon, Notice: errorNotice(key)})
		return
	}
	p.log.InfoContext(r.Context(), "staff: signed in", "staff", p.logID(sess.Identity))
	p.render(w, r, http.StatusOK, &view{Kind: kindSignedIn, Identity: sess.Identity})
}

// logout answers POST /staff/logout: the session cookie is dropped.
func (p *Page) logout(w http.ResponseWriter, r *http.Request) {
	sess, ok, _ := p.auth.Session(r)
	if !ok {
		p.render(w, r, http.StatusUnauthorized, &view{Kind: kindAnon})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil || !sess.CheckCSRF(r.PostForm.Get("csrf")) {
		p.render(w, r, http.StatusForbidden, errorView(sess.Identity, "staffpage_expired"))
		return
	}
	p.auth.Logout(w)
	p.render(w, r, http.StatusOK, &view{Kind: kindSignedOut})
}

// home answers GET /staff[?point=ID][&t=TOKEN][&done=…]. With t (the URL of
// a scanned pickup QR) the code is checked at once.
func (p *Page) home(w http.ResponseWriter, r *http.Request) {
	q, ok := p.admit(w, r)
	if !ok {
		return
	}
	query := r.URL.Query()
	pt, ok := q.point(query.Get("point"))
	if !ok {
		p.notStaffHere(w, r, q)
		return
	}
	t := strings.TrimSpace(query.Get("t"))
	if t == "" {
		p.counter(w, r, q, pt, http.StatusOK, func(v *view) { v.Notice = doneNotice(query.Get("done")) })
		return
	}
	if in, err := commerce.ParseRedeemInput(t); err != nil || in.Token == "" {
		p.counter(w, r, q, pt, http.StatusOK, func(v *view) { v.Input = t })
		return
	}
	p.check(w, r, q, pt, t)
}

// atPoint admits a staff form and reads its point, which must be one of
// the staff member's; otherwise it has answered and ok is false.
func (p *Page) atPoint(w http.ResponseWriter, r *http.Request) (access, commerce.PickupPoint, bool) {
	q, ok := p.admit(w, r)
	if !ok {
		return q, commerce.PickupPoint{}, false
	}
	pt, ok := q.point(r.PostForm.Get("point"))
	if !ok {
		p.notStaffHere(w, r, q)
		return q, pt, false
	}
	return q, pt, true
}

// notStaffHere answers a request for a point the staff member does not
// work at with their first point and the table's forbidden text.
func (p *Page) notStaffHere(w http.ResponseWriter, r *http.Request, q access) {
	ue, _ := bot.ErrorText(commerce.ErrForbidden, bot.OnStaffPage)
	p.counter(w, r, q, q.points[0], ue.Status, func(v *view) { v.Notice = errorNotice(ue.Key) })
}

// inspect answers POST /staff/inspect (point, code): the order the code
// collects, with a button to hand it over.
func (p *Page) inspect(w http.ResponseWriter, r *http.Request) {
	q, pt, ok := p.atPoint(w, r)
	if !ok {
		return
	}
	input := strings.TrimSpace(r.PostForm.Get("code"))
	if input == "" {
		p.counter(w, r, q, pt, http.StatusUnprocessableEntity, func(v *view) { v.Notice = errorNotice("staffpage_enter_code") })
		return
	}
	p.check(w, r, q, pt, input)
}

// check inspects input at pt. A genuine token of another of the staff
// member's points is checked there instead.
func (p *Page) check(w http.ResponseWriter, r *http.Request, q access, pt commerce.PickupPoint, input string) {
	ctx := r.Context()
	col, err := p.pickup.Inspect(ctx, q.Identity, pt.ID, input)
	if errors.Is(err, commerce.ErrWrongPoint) {
		for _, other := range q.points {
			if other.ID == pt.ID {
				continue
			}
			c, err2 := p.pickup.Inspect(ctx, q.Identity, other.ID, input)
			if !errors.Is(err2, commerce.ErrWrongPoint) {
				col, err, pt = c, err2, other
				break
			}
		}
	}
	if err != nil {
		p.failed(w, r, q, pt, "inspect", err)
		return
	}
	p.counter(w, r, q, pt, http.StatusOK, func(v *view) {
		v.Check = p.orderView(pt, col)
		v.Check.Input = input
	})
}

// redeem answers POST /staff/redeem (point, code): the order is handed over.
func (p *Page) redeem(w http.ResponseWriter, r *http.Request) {
	q, pt, ok := p.atPoint(w, r)
	if !ok {
		return
	}
	input := strings.TrimSpace(r.PostForm.Get("code"))
	col, err := p.pickup.Redeem(r.Context(), q.Identity, pt.ID, input)
	if err != nil {
		p.failed(w, r, q, pt, "redeem", err)
		return
	}
	p.log.InfoContext(r.Context(), "staff: order handed over", "order", col.Order.Number, "point", pt.Code, "staff", p.logID(q.Identity))
	p.counter(w, r, q, pt, http.StatusOK, func(v *view) {
		v.Done = p.orderView(pt, col)
		v.Notice = &notice{Level: "ok", Key: "staffpage_done"}
	})
}

// decide answers POST /staff/returns/{id}/accept|reject (point, note).
func (p *Page) decide(w http.ResponseWriter, r *http.Request, accept bool) {
	q, pt, ok := p.atPoint(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		p.failed(w, r, q, pt, "return decision", fmt.Errorf("return id %q: %w", r.PathValue("id"), commerce.ErrNotFound))
		return
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	if utf8.RuneCountInString(note) > maxNote {
		p.counter(w, r, q, pt, http.StatusUnprocessableEntity, func(v *view) {
			v.Notice = &notice{Level: "error", Key: "staffpage_note_too_long", Data: map[string]any{"Max": maxNote}}
		})
		return
	}
	decide, done := p.pickup.RejectReturn, "rejected"
	if accept {
		decide, done = p.pickup.AcceptReturn, "accepted"
	}
	ret, err := decide(r.Context(), q.Identity, pt.ID, id, note)
	if errors.Is(err, commerce.ErrWrongPoint) {
		// The table's text speaks of codes; a return has its own.
		ue, _ := bot.ErrorText(err, bot.OnStaffPage)
		p.counter(w, r, q, pt, ue.Status, func(v *view) { v.Notice = errorNotice("staffpage_return_other_point") })
		return
	}
	if err != nil {
		p.failed(w, r, q, pt, "return decision", err)
		return
	}
	p.log.InfoContext(r.Context(), "staff: return decided", "return", ret.ID, "order", ret.OrderNumber, "status", ret.Status, "staff", p.logID(q.Identity))
	// Post/redirect/get: reloading the page does not decide twice.
	http.Redirect(w, r, "/staff?point="+strconv.FormatInt(pt.ID, 10)+"&done="+done, http.StatusSeeOther)
}

// failed shows staff what went wrong with op at pt: the error table's text
// and status for the staff page, or, for an error no one at the counter can
// act on, "something went wrong".
func (p *Page) failed(w http.ResponseWriter, r *http.Request, q access, pt commerce.PickupPoint, op string, err error) {
	ue, ok := bot.ErrorText(err, bot.OnStaffPage)
	if !ok {
		p.internal(w, r, op, q.Identity, err)
		return
	}
	n := errorNotice(ue.Key)
	if errors.Is(err, commerce.ErrRateLimited) {
		wait := p.retryAfter
		at := p.now().Add(wait)
		if loc, lerr := p.pickup.Location(pt); lerr == nil {
			at = at.In(loc)
		}
		n.Data = map[string]any{"At": at.Format("15:04"), "Minutes": int((wait + time.Minute - 1) / time.Minute)}
		p.log.WarnContext(r.Context(), "staff: "+op+": rate limited", "staff", p.logID(q.Identity), "point", pt.Code)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
	} else {
		p.log.InfoContext(r.Context(), "staff: "+op+" refused", "staff", p.logID(q.Identity), "point", pt.Code, "err", p.scrub(err, q.Identity))
	}
	if p.texts.Text(templates.Default, n.Key, n.Data) == n.Key {
		// A row with only a chat text that needs data this page lacks.
		p.internal(w, r, op, q.Identity, err)
		return
	}
	p.counter(w, r, q, pt, ue.Status, func(v *view) { v.Notice = n })
}

// internal logs an unexpected error and shows a generic page.
func (p *Page) internal(w http.ResponseWriter, r *http.Request, op, identity string, err error) {
	p.log.ErrorContext(r.Context(), "staff: "+op, "staff", p.logID(identity), "err", p.scrub(err, identity))
	p.render(w, r, http.StatusInternalServerError, errorView(identity, "staffpage_internal"))
}

func doneNotice(done string) *notice {
	switch done {
	case "accepted":
		return &notice{Level: "ok", Key: "staffpage_return_accepted"}
	case "rejected":
		return &notice{Level: "ok", Key: "staffpage_return_rejected"}
	}
	return nil
}
