package web

// The pickup counter's page: staff of a pickup point sign in with a link the
// seller gives them (shopbot staff link IDENTITY), check the code or QR a
// buyer shows, hand the order over, and decide returns brought back to the
// counter. Everything is rendered on the server with html/template; the page
// needs no script and no external asset.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shopbot/commerce"
)

//go:embed static/staff.html
var staffHTML string

// Defaults and limits of the staff page.
const (
	// StaffSessionTTL is how long a staff session lasts after signing in
	// with a login link, unless StaffOptions.SessionTTL says otherwise.
	StaffSessionTTL = 12 * time.Hour
	// MaxStaffLoginTTL is the longest validity LoginLink accepts.
	MaxStaffLoginTTL = 30 * 24 * time.Hour
	// StaffMaxBody is the largest accepted form body of a staff POST.
	StaffMaxBody = 16 << 10

	// staffRetryAfter is what staff are told to wait after too many wrong
	// codes, unless StaffOptions.RetryAfter says otherwise: commerce's
	// default wrong-code window (PickupOptions.StaffLimit.Per).
	staffRetryAfter = 10 * time.Minute
	// maxStaffToken bounds the login token and session cookie looked at.
	maxStaffToken = 512
	staffSIDLen   = 16
	// staffTokenVersion starts every signed login token and session.
	staffTokenVersion = 1
	staffMaxNote      = 500
)

// StaffOptions configures the staff page.
type StaffOptions struct {
	Pickup *commerce.Pickup
	// Secret is the HMAC key of login links, session cookies and CSRF
	// tokens: at least commerce.MinSecretLen (32) bytes, stable across
	// restarts and replicas. Keys for each use are derived from it.
	Secret []byte
	// PublicURL is the base of login links ("https://shop.example").
	PublicURL string
	Log       *slog.Logger
	Clock     func() time.Time // default time.Now
	// Secure sets the Secure flag of the session cookie (and names it
	// "__Host-…"); set it when PublicURL is https.
	Secure bool
	// SessionTTL is how long a sign-in lasts (default StaffSessionTTL).
	SessionTTL time.Duration
	// RetryAfter is the wait staff are told after too many wrong codes;
	// set it to the Pickup service's StaffLimit.Per (default 10 min).
	RetryAfter time.Duration
}

// Staff serves the pickup counter's pages under /staff.
type Staff struct {
	pickup     *commerce.Pickup
	log        *slog.Logger
	now        func() time.Time
	base       string
	secure     bool
	sessionTTL time.Duration
	retryAfter time.Duration

	loginKey, sessionKey, csrfKey []byte
	tmpl                          *template.Template
}

// NewStaff checks the options and builds the staff page. It fails with
// commerce.ErrInvalid without a Pickup service, with a short secret or a
// PublicURL that is not an absolute http(s) URL.
func NewStaff(o StaffOptions) (*Staff, error) {
	if o.Pickup == nil {
		return nil, fmt.Errorf("staff page: no pickup service: %w", commerce.ErrInvalid)
	}
	if len(o.Secret) < commerce.MinSecretLen {
		return nil, fmt.Errorf("staff page: secret of %d bytes, need %d: %w", len(o.Secret), commerce.MinSecretLen, commerce.ErrInvalid)
	}
	u, err := url.Parse(o.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("staff page: public URL %q: %w", o.PublicURL, commerce.ErrInvalid)
	}
	tmpl, err := template.New("staff").Parse(staffHTML)
	if err != nil {
		return nil, fmt.Errorf("staff page template: %w", err)
	}
	s := &Staff{
		pickup: o.Pickup, log: o.Log, now: o.Clock, base: strings.TrimRight(o.PublicURL, "/"),
		secure: o.Secure, sessionTTL: o.SessionTTL, retryAfter: o.RetryAfter,
		loginKey:   deriveStaffKey(o.Secret, "shopbot staff login v1"),
		sessionKey: deriveStaffKey(o.Secret, "shopbot staff session v1"),
		csrfKey:    deriveStaffKey(o.Secret, "shopbot staff csrf v1"),
		tmpl:       tmpl,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = StaffSessionTTL
	}
	if s.retryAfter <= 0 {
		s.retryAfter = staffRetryAfter
	}
	return s, nil
}

// Register adds the staff routes to mux: GET /staff, POST /staff/inspect,
// POST /staff/redeem, POST /staff/returns/{id}/accept and …/reject,
// GET /staff/login and POST /staff/logout.
func (s *Staff) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff", s.home)
	mux.HandleFunc("GET /staff/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /staff/inspect", s.inspect)
	mux.HandleFunc("POST /staff/redeem", s.redeem)
	mux.HandleFunc("POST /staff/returns/{id}/accept", func(w http.ResponseWriter, r *http.Request) { s.decide(w, r, true) })
	mux.HandleFunc("POST /staff/returns/{id}/reject", func(w http.ResponseWriter, r *http.Request) { s.decide(w, r, false) })
	mux.HandleFunc("GET /staff/login", s.login)
	mux.HandleFunc("POST /staff/logout", s.logout)
}

// ---- signed tokens ----

func deriveStaffKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func staffMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

var (
	errStaffTokenInvalid = errors.New("staff token invalid")
	errStaffTokenExpired = errors.New("staff token expired")
)

// signStaff returns base64url(version, expiry, extra, identity, HMAC).
func signStaff(key []byte, expires time.Time, extra []byte, identity string) string {
	body := []byte{staffTokenVersion}
	body = binary.BigEndian.AppendUint64(body, uint64(expires.Unix()))
	body = append(body, extra...)
	body = append(body, identity...)
	body = append(body, staffMAC(key, body)...)
	return base64.RawURLEncoding.EncodeToString(body)
}

// verifyStaff checks a token made by signStaff with extraLen bytes of extra
// in constant time, then its expiry at now.
func verifyStaff(key []byte, tok string, extraLen int, now time.Time) (identity string, extra []byte, expires time.Time, err error) {
	if len(tok) > maxStaffToken {
		return "", nil, time.Time{}, errStaffTokenInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || len(raw) < 1+8+extraLen+1+sha256.Size {
		return "", nil, time.Time{}, errStaffTokenInvalid
	}
	body, mac := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !hmac.Equal(mac, staffMAC(key, body)) || body[0] != staffTokenVersion {
		return "", nil, time.Time{}, errStaffTokenInvalid
	}
	exp := int64(binary.BigEndian.Uint64(body[1:9]))
	extra = body[9 : 9+extraLen]
	identity = string(body[9+extraLen:])
	if !commerce.ValidIdentity(identity) || exp < 0 {
		return "", nil, time.Time{}, errStaffTokenInvalid
	}
	expires = time.Unix(exp, 0).UTC()
	if !now.Before(expires) {
		return identity, extra, expires, errStaffTokenExpired
	}
	return identity, extra, expires, nil
}

// LoginLink returns "<PublicURL>/staff/login?token=…": a link that signs
// identity ("tg:123", "web:staff-jingan") in to the staff page, valid for
// ttl (at most MaxStaffLoginTTL). Whoever holds it can sign in until it
// expires: hand it over privately. ErrInvalid for a malformed identity or a
// ttl out of range.
func (s *Staff) LoginLink(identity string, ttl time.Duration) (string, error) {
	if !commerce.ValidIdentity(identity) {
		return "", fmt.Errorf("staff login link: identity %q: %w", identity, commerce.ErrInvalid)
	}
	if ttl < time.Second || ttl > MaxStaffLoginTTL {
		return "", fmt.Errorf("staff login link: validity %v: %w", ttl, commerce.ErrInvalid)
	}
	tok := signStaff(s.loginKey, s.now().Add(ttl), nil, identity)
	return s.base + "/staff/login?token=" + tok, nil
}

// verifyLogin checks a login token; errStaffTokenExpired for a genuine but
// expired one, errStaffTokenInvalid for anything else.
func (s *Staff) verifyLogin(tok string, now time.Time) (string, error) {
	identity, _, _, err := verifyStaff(s.loginKey, tok, 0, now)
	return identity, err
}

// ---- sessions ----

type staffSession struct {
	identity string
	sid      []byte
	csrf     string
}

func (s *Staff) cookieName() string {
	if s.secure {
		return "__Host-shopbot_staff"
	}
	return "shopbot_staff"
}

func (s *Staff) csrfToken(sid []byte) string {
	return base64.RawURLEncoding.EncodeToString(staffMAC(s.csrfKey, sid))
}

func (s *Staff) setSession(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
}

// session returns the signed-in staff member, if any.
func (s *Staff) session(r *http.Request) (staffSession, bool) {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return staffSession{}, false
	}
	identity, sid, _, err := verifyStaff(s.sessionKey, c.Value, staffSIDLen, s.now())
	if err != nil {
		return staffSession{}, false
	}
	return staffSession{identity: identity, sid: sid, csrf: s.csrfToken(sid)}, true
}

// staffReq is an authenticated request by staff of at least one point.
type staffReq struct {
	staffSession
	points []commerce.PickupPoint
}

// auth admits staff: a valid session (else 401), for POSTs a body within
// StaffMaxBody (else 413) carrying the session's CSRF token (else 403), and
// an identity that is staff of some active point (else 403). It writes the
// refusal itself.
func (s *Staff) auth(w http.ResponseWriter, r *http.Request) (staffReq, bool) {
	sess, ok := s.session(r)
	if !ok {
		if _, err := r.Cookie(s.cookieName()); err == nil {
			s.setSession(w, "", -1) // expired or forged: drop it
		}
		s.render(w, r, http.StatusUnauthorized, &staffPage{Kind: "anon"})
		return staffReq{}, false
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, StaffMaxBody)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.render(w, r, http.StatusRequestEntityTooLarge, &staffPage{Kind: "error", Identity: sess.identity,
					Notice: newStaffNotice("error", "提交内容过长。", "The form was too large.")})
			} else {
				s.render(w, r, http.StatusBadRequest, &staffPage{Kind: "error", Identity: sess.identity,
					Notice: newStaffNotice("error", "无法读取表单。", "The form could not be read.")})
			}
			return staffReq{}, false
		}
		if got := r.PostForm.Get("csrf"); !hmac.Equal([]byte(got), []byte(sess.csrf)) {
			s.log.WarnContext(r.Context(), "staff: CSRF token missing or wrong", "staff", sess.identity, "path", r.URL.Path)
			s.render(w, r, http.StatusForbidden, &staffPage{Kind: "error", Identity: sess.identity,
				Notice: newStaffNotice("error", "页面已过期，请返回员工页面重试。", "This page expired. Go back to the staff page and try again.")})
			return staffReq{}, false
		}
	}
	points, err := s.pickup.StaffPoints(r.Context(), sess.identity)
	if err != nil {
		s.internal(w, r, "staff points", sess.identity, err)
		return staffReq{}, false
	}
	if len(points) == 0 {
		s.render(w, r, http.StatusForbidden, &staffPage{Kind: "forbidden", Identity: sess.identity, CSRF: sess.csrf})
		return staffReq{}, false
	}
	return staffReq{staffSession: sess, points: points}, true
}

// point picks the point named by id among the staff's points; the first
// when id is empty. ok is false for a point the staff does not work at.
func (q staffReq) point(id string) (commerce.PickupPoint, bool) {
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

// ---- handlers ----

// login answers GET /staff/login?token=…: a valid token starts a session.
// The answer is a page that moves on to /staff by itself rather than an
// HTTP redirect: a SameSite=Strict cookie is not sent along a redirect
// chain that started on another site (the chat app), but is sent on a
// navigation started by our own page.
func (s *Staff) login(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	identity, err := s.verifyLogin(r.URL.Query().Get("token"), now)
	if err != nil {
		expired := errors.Is(err, errStaffTokenExpired)
		s.log.InfoContext(r.Context(), "staff: login link refused", "expired", expired)
		n := newStaffNotice("error", "登录链接无效。", "This login link is not valid.")
		if expired {
			n = newStaffNotice("error", "登录链接已过期。", "This login link has expired.")
		}
		s.render(w, r, http.StatusUnauthorized, &staffPage{Kind: "anon", Notice: n})
		return
	}
	sid := make([]byte, staffSIDLen)
	_, _ = rand.Read(sid) // crypto/rand.Read never returns an error
	s.setSession(w, signStaff(s.sessionKey, now.Add(s.sessionTTL), sid, identity), int(s.sessionTTL/time.Second))
	s.log.InfoContext(r.Context(), "staff: signed in", "staff", identity)
	s.render(w, r, http.StatusOK, &staffPage{Kind: "signed_in", Identity: identity})
}

// logout answers POST /staff/logout: the session cookie is dropped.
func (s *Staff) logout(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.session(r)
	if !ok {
		s.render(w, r, http.StatusUnauthorized, &staffPage{Kind: "anon"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, StaffMaxBody)
	if err := r.ParseForm(); err != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(sess.csrf)) {
		s.render(w, r, http.StatusForbidden, &staffPage{Kind: "error", Identity: sess.identity,
			Notice: newStaffNotice("error", "页面已过期，请返回员工页面重试。", "This page expired. Go back to the staff page and try again.")})
		return
	}
	s.setSession(w, "", -1)
	s.render(w, r, http.StatusOK, &staffPage{Kind: "signed_out"})
}

// home answers GET /staff[?point=ID][&t=TOKEN][&done=…]. With t (the URL of
// a scanned pickup QR) the code is checked at once.
func (s *Staff) home(w http.ResponseWriter, r *http.Request) {
	q, ok := s.auth(w, r)
	if !ok {
		return
	}
	query := r.URL.Query()
	pt, ok := q.point(query.Get("point"))
	if !ok {
		s.counter(w, r, q, q.points[0], http.StatusForbidden, func(p *staffPage) { p.Notice = staffForbidden })
		return
	}
	t := strings.TrimSpace(query.Get("t"))
	if t == "" {
		s.counter(w, r, q, pt, http.StatusOK, func(p *staffPage) { p.Notice = staffDoneNotice(query.Get("done")) })
		return
	}
	if in, err := commerce.ParseRedeemInput(t); err != nil || in.Token == "" {
		s.counter(w, r, q, pt, http.StatusOK, func(p *staffPage) { p.Input = t })
		return
	}
	s.check(w, r, q, pt, t)
}

// atPoint authenticates a staff form and reads its point, which must be
// one of the staff member's; otherwise it has answered and ok is false.
func (s *Staff) atPoint(w http.ResponseWriter, r *http.Request) (staffReq, commerce.PickupPoint, bool) {
	q, ok := s.auth(w, r)
	if !ok {
		return q, commerce.PickupPoint{}, false
	}
	pt, ok := q.point(r.PostForm.Get("point"))
	if !ok {
		s.counter(w, r, q, q.points[0], http.StatusForbidden, func(p *staffPage) { p.Notice = staffForbidden })
		return q, pt, false
	}
	return q, pt, true
}

// inspect answers POST /staff/inspect (point, code): the order the code
// collects, with a button to hand it over.
func (s *Staff) inspect(w http.ResponseWriter, r *http.Request) {
	q, pt, ok := s.atPoint(w, r)
	if !ok {
		return
	}
	input := strings.TrimSpace(r.PostForm.Get("code"))
	if input == "" {
		s.counter(w, r, q, pt, http.StatusUnprocessableEntity, func(p *staffPage) {
			p.Notice = newStaffNotice("error", "请输入取件码或扫描二维码。", "Enter the 6-digit code or scan the QR code.")
		})
		return
	}
	s.check(w, r, q, pt, input)
}

// check inspects input at pt. A genuine token of another of the staff
// member's points is checked there instead.
func (s *Staff) check(w http.ResponseWriter, r *http.Request, q staffReq, pt commerce.PickupPoint, input string) {
	ctx := r.Context()
	col, err := s.pickup.Inspect(ctx, q.identity, pt.ID, input)
	if errors.Is(err, commerce.ErrWrongPoint) {
		for _, other := range q.points {
			if other.ID == pt.ID {
				continue
			}
			c, err2 := s.pickup.Inspect(ctx, q.identity, other.ID, input)
			if !errors.Is(err2, commerce.ErrWrongPoint) {
				col, err, pt = c, err2, other
				break
			}
		}
	}
	if err != nil {
		s.failed(w, r, q, pt, "inspect", err)
		return
	}
	s.counter(w, r, q, pt, http.StatusOK, func(p *staffPage) {
		p.Check = s.orderView(pt, col)
		p.Check.Input = input
	})
}

// redeem answers POST /staff/redeem (point, code): the order is handed over.
func (s *Staff) redeem(w http.ResponseWriter, r *http.Request) {
	q, pt, ok := s.atPoint(w, r)
	if !ok {
		return
	}
	input := strings.TrimSpace(r.PostForm.Get("code"))
	col, err := s.pickup.Redeem(r.Context(), q.identity, pt.ID, input)
	if err != nil {
		s.failed(w, r, q, pt, "redeem", err)
		return
	}
	s.log.InfoContext(r.Context(), "staff: order handed over", "order", col.Order.Number, "point", pt.Code, "staff", q.identity)
	s.counter(w, r, q, pt, http.StatusOK, func(p *staffPage) {
		p.Done = s.orderView(pt, col)
		p.Notice = newStaffNotice("ok", "已交付，订单完成。", "Handed over. The order is collected.")
	})
}

// decide answers POST /staff/returns/{id}/accept|reject (point, note).
func (s *Staff) decide(w http.ResponseWriter, r *http.Request, accept bool) {
	q, pt, ok := s.atPoint(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.failed(w, r, q, pt, "return decision", fmt.Errorf("return id %q: %w", r.PathValue("id"), commerce.ErrNotFound))
		return
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	if utf8.RuneCountInString(note) > staffMaxNote {
		s.counter(w, r, q, pt, http.StatusUnprocessableEntity, func(p *staffPage) {
			p.Notice = newStaffNotice("error", "备注过长（最多 500 字）。", "The note is too long (500 characters at most).")
		})
		return
	}
	decide, done := s.pickup.RejectReturn, "rejected"
	if accept {
		decide, done = s.pickup.AcceptReturn, "accepted"
	}
	ret, err := decide(r.Context(), q.identity, pt.ID, id, note)
	if errors.Is(err, commerce.ErrWrongPoint) {
		s.counter(w, r, q, pt, http.StatusUnprocessableEntity, func(p *staffPage) {
			p.Notice = newStaffNotice("error", "该退货由其他自提点处理。", "This return is handled at another pickup point.")
		})
		return
	}
	if err != nil {
		s.failed(w, r, q, pt, "return decision", err)
		return
	}
	s.log.InfoContext(r.Context(), "staff: return decided", "return", ret.ID, "order", ret.OrderNumber, "status", ret.Status, "staff", q.identity)
	// Post/redirect/get: reloading the page does not decide twice.
	http.Redirect(w, r, "/staff?point="+strconv.FormatInt(pt.ID, 10)+"&done="+done, http.StatusSeeOther)
}

// ---- outcomes ----

// staffOutcome is what staff are told about a sentinel error.
type staffOutcome struct {
	err    error
	status int
	zh, en string
}

// staffOutcomes maps the domain's errors to what staff see; anything else is
// an internal error, logged and shown as "something went wrong".
var staffOutcomes = []staffOutcome{
	{commerce.ErrForbidden, http.StatusForbidden, "你不是该自提点的工作人员。", "You are not staff of this pickup point."},
	{commerce.ErrAlreadyCollected, http.StatusConflict, "该订单已经取走了，不要重复交付。", "This order was already collected. Do not hand it over again."},
	{commerce.ErrCodeExpired, http.StatusGone, "取件码已过期，请联系卖家重新发码。", "This code has expired. Ask the seller to issue a new one."},
	{commerce.ErrWrongPoint, http.StatusUnprocessableEntity, "这是其他自提点的取件码，请告知顾客正确的自提点。", "This code is for another pickup point. Tell the buyer where to collect."},
	{commerce.ErrWrongCode, http.StatusUnprocessableEntity, "取件码错误，请核对数字或重新扫码。", "Wrong code. Check the digits or scan again."},
	{commerce.ErrInvalidTransition, http.StatusConflict, "该退货已处理或已被顾客取消。", "This return was already decided or withdrawn by the buyer."},
	{commerce.ErrConflict, http.StatusConflict, "订单刚刚被更改，请刷新后重试。", "The order changed meanwhile. Reload and try again."},
	{commerce.ErrNotFound, http.StatusNotFound, "未找到该记录。", "Not found."},
}

var staffForbidden = newStaffNotice("error", staffOutcomes[0].zh, staffOutcomes[0].en)

// failed shows staff what went wrong with op at pt.
func (s *Staff) failed(w http.ResponseWriter, r *http.Request, q staffReq, pt commerce.PickupPoint, op string, err error) {
	if errors.Is(err, commerce.ErrRateLimited) {
		wait := s.retryAfter
		at := s.now().Add(wait)
		if loc, lerr := s.pickup.Location(pt); lerr == nil {
			at = at.In(loc)
		}
		s.log.WarnContext(r.Context(), "staff: "+op+": rate limited", "staff", q.identity, "point", pt.Code)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
		mins := strconv.Itoa(int((wait + time.Minute - 1) / time.Minute))
		s.counter(w, r, q, pt, http.StatusTooManyRequests, func(p *staffPage) {
			p.Notice = newStaffNotice("error",
				"错误次数过多，请在 "+at.Format("15:04")+" 之后再试（约 "+mins+" 分钟）。",
				"Too many wrong codes. Try again after "+at.Format("15:04")+" (in about "+mins+" min).")
		})
		return
	}
	for _, o := range staffOutcomes {
		if errors.Is(err, o.err) {
			s.log.InfoContext(r.Context(), "staff: "+op+" refused", "staff", q.identity, "point", pt.Code, "err", err)
			s.counter(w, r, q, pt, o.status, func(p *staffPage) { p.Notice = newStaffNotice("error", o.zh, o.en) })
			return
		}
	}
	s.internal(w, r, op, q.identity, err)
}

// internal logs an unexpected error and shows a generic page.
func (s *Staff) internal(w http.ResponseWriter, r *http.Request, op, identity string, err error) {
	s.log.ErrorContext(r.Context(), "staff: "+op, "staff", identity, "err", err)
	s.render(w, r, http.StatusInternalServerError, &staffPage{Kind: "error", Identity: identity,
		Notice: newStaffNotice("error", "出错了，请稍后再试。", "Something went wrong. Please try again in a moment.")})
}

func staffDoneNotice(done string) *staffNotice {
	switch done {
	case "accepted":
		return newStaffNotice("ok", "已接收退回的商品。", "Return accepted.")
	case "rejected":
		return newStaffNotice("ok", "已拒绝该退货。", "Return rejected.")
	}
	return nil
}

// ---- views ----

// staffPage is what staff.html renders. Kind is one of anon (not signed
// in), signed_in, signed_out, forbidden (not staff anywhere), error, counter.
type staffPage struct {
	Kind     string
	Identity string
	CSRF     string
	Notice   *staffNotice
	Points   []staffPointView
	Point    staffPointView
	Input    string
	Check    *staffOrderView // inspected, awaiting hand-over
	Done     *staffOrderView // handed over
	Returns  []staffReturnView
}

type staffNotice struct{ Level, ZH, EN string }

func newStaffNotice(level, zh, en string) *staffNotice {
	return &staffNotice{Level: level, ZH: zh, EN: en}
}

type staffPointView struct {
	ID       int64
	Code     string
	Name     string // Chinese
	NameEN   string
	Selected bool
}

type staffLineView struct {
	SKU, Title, TitleEN string
	Qty                 int
}

type staffOrderView struct {
	PointID    int64
	Number     string
	FirstName  string
	Lines      []staffLineView
	Total      string
	Booking    string // "2026-11-25 14:00–14:15"; empty for a walk-in
	ReadyAt    string
	RedeemedAt string
	Input      string // the code or token, for the hand-over form
}

type staffReturnView struct {
	ID          int64
	PointID     int64
	Point       string
	OrderNumber string
	Kind        [2]string // zh, en
	Reason      [2]string
	Note        string
	Slot        string
	Created     string
}

var staffReturnKinds = map[commerce.ReturnKind][2]string{
	commerce.ReturnRefund:   {"退货", "Return"},
	commerce.ReturnExchange: {"换货", "Exchange"},
	commerce.ReturnRepair:   {"维修", "Repair"},
}

var staffReturnReasons = map[string][2]string{
	"defective":        {"质量问题", "Defective"},
	"damaged":          {"运输损坏", "Damaged in transit"},
	"wrong_item":       {"发错商品", "Wrong item"},
	"wrong_size":       {"尺码不合适", "Wrong size"},
	"not_as_described": {"与描述不符", "Not as described"},
	"changed_mind":     {"不想要了", "Changed mind"},
	"other":            {"其他", "Other"},
}

func staffPointOf(p commerce.PickupPoint) staffPointView {
	return staffPointView{ID: p.ID, Code: p.Code, Name: p.Name.In("zh-CN"), NameEN: p.Name.In("en")}
}

const staffTimeLayout = "2006-01-02 15:04"

// localTime formats t in the point's zone ("" for a zero time).
func (s *Staff) localTime(pt commerce.PickupPoint, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if loc, err := s.pickup.Location(pt); err == nil {
		t = t.In(loc)
	}
	return t.Format(staffTimeLayout)
}

func (s *Staff) span(pt commerce.PickupPoint, start, end time.Time) string {
	if start.IsZero() {
		return ""
	}
	out := s.localTime(pt, start)
	if !end.IsZero() {
		e := s.localTime(pt, end)
		if len(e) > 11 && e[:11] == out[:11] {
			e = e[11:]
		}
		out += "–" + e
	}
	return out
}

func (s *Staff) orderView(pt commerce.PickupPoint, c commerce.Collection) *staffOrderView {
	v := &staffOrderView{PointID: pt.ID, Number: c.Order.Number, FirstName: c.FirstName, Total: c.Order.Total.String(),
		ReadyAt: s.localTime(pt, c.Code.ReadyAt), RedeemedAt: s.localTime(pt, c.Code.RedeemedAt)}
	for _, l := range c.Order.Lines {
		v.Lines = append(v.Lines, staffLineView{SKU: l.SKU, Title: l.Title.In("zh-CN"), TitleEN: l.Title.In("en"), Qty: l.Qty})
	}
	if c.Booking != nil {
		v.Booking = s.span(pt, c.Booking.Start, c.Booking.End)
	}
	return v
}

// counter renders the counter page for pt with status; edit fills in the
// outcome of the request.
func (s *Staff) counter(w http.ResponseWriter, r *http.Request, q staffReq, pt commerce.PickupPoint, status int, edit func(*staffPage)) {
	p := &staffPage{Kind: "counter", Identity: q.identity, CSRF: q.csrf, Point: staffPointOf(pt)}
	for _, sp := range q.points {
		v := staffPointOf(sp)
		v.Selected = sp.ID == pt.ID
		p.Points = append(p.Points, v)
		rets, err := s.pickup.OpenReturns(r.Context(), q.identity, sp.ID)
		if err != nil {
			s.internal(w, r, "open returns", q.identity, err)
			return
		}
		for _, rt := range rets {
			p.Returns = append(p.Returns, staffReturnView{ID: rt.ID, PointID: sp.ID, Point: v.Name, OrderNumber: rt.OrderNumber,
				Kind: staffLabel(staffReturnKinds[rt.Kind], string(rt.Kind)), Reason: staffLabel(staffReturnReasons[rt.Reason], rt.Reason),
				Note: rt.Note, Slot: s.span(sp, rt.SlotStart, rt.SlotEnd), Created: s.localTime(sp, rt.CreatedAt)})
		}
	}
	if edit != nil {
		edit(p)
	}
	s.render(w, r, status, p)
}

func staffLabel(l [2]string, raw string) [2]string {
	if l[0] == "" {
		return [2]string{raw, raw}
	}
	return l
}

// render writes the page with headers that keep it out of caches, frames
// and referrers (a scanned token travels in the URL).
func (s *Staff) render(w http.ResponseWriter, r *http.Request, status int, p *staffPage) {
	var buf bytes.Buffer
	if err := s.tmpl.Execute(&buf, p); err != nil {
		s.log.ErrorContext(r.Context(), "staff: render page", "kind", p.Kind, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
