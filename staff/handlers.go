package staff

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
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

// admit lets staff in: a live session (else 401), for POSTs a body within
// MaxBody (else 413) carrying the session's CSRF token (else 403), and an
// identity that is staff of some active point (else 403). It writes the
// refusal itself.
func (p *Page) admit(w http.ResponseWriter, r *http.Request) (access, bool) {
	sess, ok := p.session(w, r)
	if !ok {
		return access{}, false
	}
	if r.Method == http.MethodPost && !p.checkForm(w, r, sess) {
		return access{}, false
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

// session returns the live session of r; otherwise it has answered 401
// (dropping a cookie that names no live session) or 500.
func (p *Page) session(w http.ResponseWriter, r *http.Request) (auth.Session, bool) {
	sess, err := p.auth.Session(r)
	switch {
	case err == nil:
		return sess, true
	case errors.Is(err, auth.ErrInvalid):
		p.auth.DropCookie(w) // ended, expired or forged
		fallthrough
	case errors.Is(err, auth.ErrNoSession):
		p.render(w, r, http.StatusUnauthorized, &view{Kind: kindAnon})
	default:
		p.internal(w, r, "session", "", err)
	}
	return auth.Session{}, false
}

// checkForm reads a POST body within MaxBody carrying the session's CSRF
// token; otherwise it has answered 413, 400 or 403.
func (p *Page) checkForm(w http.ResponseWriter, r *http.Request, sess auth.Session) bool {
	if !p.readForm(w, r, sess.Identity) {
		return false
	}
	if !sess.CheckCSRF(r.PostForm.Get("csrf")) {
		p.log.WarnContext(r.Context(), "staff: CSRF token missing or wrong", "staff", p.logID(sess.Identity), "session", sess.ID, "path", r.URL.Path)
		p.render(w, r, http.StatusForbidden, errorView(sess.Identity, "staffpage_expired"))
		return false
	}
	return true
}

// readForm reads a POST body within MaxBody; otherwise it has answered 413
// or 400.
func (p *Page) readForm(w http.ResponseWriter, r *http.Request, identity string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.render(w, r, http.StatusRequestEntityTooLarge, errorView(identity, "staffpage_form_too_large"))
		} else {
			p.render(w, r, http.StatusBadRequest, errorView(identity, "staffpage_form_unreadable"))
		}
		return false
	}
	return true
}

// clerk is who checks codes in r: the staff member, their session and the
// client's address, which the wrong-code limits count. IPv6 clients are
// counted by their /64, which one subscriber usually has whole.
func (p *Page) clerk(r *http.Request, q access) commerce.Clerk {
	c := commerce.Clerk{Staff: q.Identity, Session: q.ID}
	if a := p.proxies.Addr(r); a.IsValid() {
		if a.Is6() {
			c.Addr = netip.PrefixFrom(a, 64).Masked().String()
		} else {
			c.Addr = a.String()
		}
	}
	return c
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

// loginPage answers GET /staff/login?token=…: whom a valid link signs in,
// with a button that does it. Opening the link signs no one in: chat apps
// fetch the links in messages for their previews, and a single-use link
// must not be spent on that. A used link opened again by the browser it
// signed in moves on to the staff page when the session cookie comes along
// (not from another site: SameSite=Strict); otherwise the page says the
// link was used and offers the staff page.
func (p *Page) loginPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	l, err := p.auth.CheckLink(r.Context(), token)
	if errors.Is(err, auth.ErrUsed) {
		if sess, serr := p.auth.Session(r); serr == nil && sess.Identity == l.Identity {
			p.render(w, r, http.StatusOK, &view{Kind: kindSignedIn, Identity: sess.Identity})
			return
		}
	}
	if err != nil {
		p.linkRefused(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, &view{Kind: kindLogin, Identity: l.Identity, Token: token})
}

// login answers POST /staff/login (token): a valid, unused link starts a
// session, and never works again. The answer is a page that moves on to
// /staff by itself.
func (p *Page) login(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r, "") {
		return
	}
	old, oldErr := p.auth.Session(r)
	sess, err := p.auth.Login(r.Context(), w, r.PostForm.Get("token"))
	if err != nil {
		p.linkRefused(w, r, err)
		return
	}
	if oldErr == nil {
		// The browser signed in again: its previous session ends.
		if err := p.auth.End(r.Context(), old); err != nil {
			p.log.WarnContext(r.Context(), "staff: end the previous session", "session", old.ID, "err", err)
		}
	}
	p.log.InfoContext(r.Context(), "staff: signed in", "staff", p.logID(sess.Identity), "session", sess.ID)
	p.render(w, r, http.StatusOK, &view{Kind: kindSignedIn, Identity: sess.Identity})
}

// linkRefused tells why a login link signs no one in: invalid or expired
// (401), used (410), or our failure (500).
func (p *Page) linkRefused(w http.ResponseWriter, r *http.Request, err error) {
	why, status, ok := auth.Refusal(err)
	if !ok {
		p.internal(w, r, "login link", "", err)
		return
	}
	p.log.InfoContext(r.Context(), "staff: login link refused", "why", why)
	p.render(w, r, status, &view{Kind: kindAnon, Notice: errorNotice("staffpage_link_" + why), Back: status == http.StatusGone})
}

// logout answers POST /staff/logout and POST /staff/logout/everywhere: the
// session ends on the server — everywhere: every session of the staff
// member, and their unused login links — and the cookie is dropped.
func (p *Page) logout(w http.ResponseWriter, r *http.Request, everywhere bool) {
	sess, ok := p.session(w, r)
	if !ok || !p.checkForm(w, r, sess) {
		return
	}
	v := &view{Kind: kindSignedOut}
	if everywhere {
		n, links, err := p.auth.SignOutEverywhere(r.Context(), sess.Identity)
		if err != nil {
			p.internal(w, r, "sign out everywhere", sess.Identity, err)
			return
		}
		p.auth.DropCookie(w)
		p.log.InfoContext(r.Context(), "staff: signed out everywhere", "staff", p.logID(sess.Identity), "sessions", n, "links", links)
		v.Notice = &notice{Level: "ok", Key: "staffpage_signed_out_everywhere"}
	} else if err := p.auth.Logout(r.Context(), w, sess); err != nil {
		p.internal(w, r, "logout", sess.Identity, err)
		return
	}
	p.render(w, r, http.StatusOK, v)
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
	clerk := p.clerk(r, q)
	col, err := p.pickup.InspectBy(ctx, clerk, pt.ID, input)
	if errors.Is(err, commerce.ErrWrongPoint) {
		for _, other := range q.points {
			if other.ID == pt.ID {
				continue
			}
			c, err2 := p.pickup.InspectBy(ctx, clerk, other.ID, input)
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
	pay, ok := p.payment(w, r, q, pt)
	if !ok {
		return
	}
	col, err := p.pickup.HandOverBy(r.Context(), p.clerk(r, q), pt.ID, input, pay)
	if errors.Is(err, commerce.ErrAlreadyPaid) && col.Order.ID != 0 {
		// Paid by the buyer's QR meanwhile (paycounter.go): show it paid.
		p.paidMeanwhile(w, r, q, pt, col, input)
		return
	}
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
		p.log.WarnContext(r.Context(), "staff: "+op+": rate limited", "staff", p.logID(q.Identity), "session", q.ID, "point", pt.Code)
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

// payment reads the payment at pickup of the hand-over form (payment,
// amount, currency): nil when the form has none (an order paid before;
// an unpaid one is then refused with ErrPaymentRequired). A bad method
// or amount is answered here (ok false).
func (p *Page) payment(w http.ResponseWriter, r *http.Request, q access, pt commerce.PickupPoint) (*commerce.Payment, bool) {
	method := r.PostForm.Get("payment")
	if method == "" {
		return nil, true
	}
	m, err := commerce.ParsePaymentMethod(method)
	amount, aerr := commerce.ParseMoney(strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("amount")), ",", "."), r.PostForm.Get("currency"))
	if err != nil || aerr != nil || amount.Amount <= 0 {
		p.counter(w, r, q, pt, http.StatusUnprocessableEntity, func(v *view) { v.Notice = errorNotice("staff_pay_amount_bad") })
		return nil, false
	}
	return &commerce.Payment{Method: m, Amount: amount}, true
}
