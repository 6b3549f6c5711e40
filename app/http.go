package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"shopbot/bot"
)

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *prometheus.CounterVec
	platform *prometheus.CounterVec // by platform and event
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopbot_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shopbot_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shopbot_bot_events_total",
			Help: "Conversation outcomes: message, duplicate, order_placed, order_confirmed, order_cancelled, error, limited (over the sender's message limit).",
		}, []string{"event"}),
	}
	m.platform = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shopbot_platform_events_total",
		Help: "Chat platform adapter outcomes (updates, rejected requests, sends, retries, blocked users) by platform.",
	}, []string{"platform", "event"})
	m.reg.MustRegister(m.requests, m.latency, m.events, m.platform,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, e := range []bot.Event{bot.EventMessage, bot.EventDuplicate, bot.EventOrderPlaced, bot.EventOrderConfirm, bot.EventOrderCancel,
		bot.EventError, bot.EventLimited} {
		m.events.WithLabelValues(string(e)) // export zeros from the start
	}
	return m
}

func (m *metrics) event(e bot.Event) { m.events.WithLabelValues(string(e)).Inc() }

// platformEvent returns a counter callback for one platform's adapter.
func (m *metrics) platformEvent(platform string) func(string) {
	return func(name string) { m.platform.WithLabelValues(platform, name).Inc() }
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

type ctxKey int

const requestIDKey ctxKey = iota

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// RequestID returns the id of the request being served, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware gives every request an id (kept from X-Request-Id when sane),
// counts and times it by route pattern, and logs failures.
func (a *App) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDRe.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				a.log.ErrorContext(r.Context(), "panic serving request", "panic", p, "path", r.URL.Path)
				if sw.code == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			a.metrics.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			a.metrics.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
			if code >= 500 {
				a.log.WarnContext(r.Context(), "request failed", "route", route, "code", code)
			} else {
				a.log.DebugContext(r.Context(), "request", "route", route, "code", code, "ms", time.Since(start).Milliseconds())
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// contextHandler adds the request id to every log record made with a request context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// quietHandler drops records below a level: River's routine info logs stay
// out of the operator's way unless SHOPBOT_LOG_LEVEL=debug.
type quietHandler struct {
	slog.Handler
	min slog.Level
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as), h.min}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name), h.min}
}
