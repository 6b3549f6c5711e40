package bot

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Verb names what a button does: the part of its action before the first
// ":". Each verb is a constant declared next to the handler it is routed
// to, and that constant is used both where the button is made (Verb.Of)
// and in the feature's routes. Verbs are short (Telegram's callback data is
// at most 64 bytes) and never change once shipped: buttons in messages sent
// long ago still carry them.
type Verb string

// Of is the action of a button: the verb and its arguments joined by ":".
// Arguments are integers or strings (of any string type) without ":".
func (v Verb) Of(args ...any) string {
	if len(args) == 0 {
		return string(v)
	}
	var b strings.Builder
	b.WriteString(string(v))
	for _, a := range args {
		b.WriteByte(':')
		switch v := reflect.ValueOf(a); v.Kind() {
		case reflect.String:
			b.WriteString(v.String())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			b.WriteString(strconv.FormatInt(v.Int(), 10))
		default:
			panic(fmt.Sprintf("bot: button argument of type %T", a))
		}
	}
	return b.String()
}

// Command is a slash command, lower case, with its slash ("/drop").
type Command string

// Step names the typed input a session awaits (Session.Step). Steps are
// stored in sessions: their values never change.
type Step string

// DeepLink is the kind of a start payload: the part before the first "_"
// ("d" in "d_spring26").
type DeepLink string

// args are a button's arguments: its action after the verb, split on ":".
type args []string

// str is argument i, or "".
func (a args) str(i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

// id is argument i as a positive database id.
func (a args) id(i int) (int64, bool) { return parseID(a.str(i)) }

// num is argument i as an int within [lo, hi].
func (a args) num(i, lo, hi int) (int, bool) { return parseInt(a.str(i), lo, hi) }

// Handler shapes, one per kind of route.
type (
	// actionFunc handles a button press.
	actionFunc func(t *turn, a args) ([]Reply, error)
	// commandFunc handles "/cmd arg" (arg trimmed, possibly empty).
	commandFunc func(t *turn, arg string) ([]Reply, error)
	// linkFunc handles a start payload's rest ("spring26" of "d_spring26");
	// ok=false when it is not one of its links (the welcome is shown).
	linkFunc func(t *turn, rest string) (r []Reply, ok bool, err error)
	// stepFunc handles typed text while Session.Step names it.
	stepFunc func(t *turn, text string) ([]Reply, error)
	// inputFunc looks at a message no route claimed (a photo, or text that
	// is not a command); ok=false passes it on to the next.
	inputFunc func(t *turn, text string) (r []Reply, ok bool, err error)
	// locationFunc answers a shared location.
	locationFunc func(t *turn, lat, lon float64) ([]Reply, error)
)

// routes is what a feature contributes to the route table, and the table
// itself once merged. Each feature handler returns its own from a routes
// method, next to its code; NewRouter collects those of the features
// switched on, in one place, and a feature switched off contributes
// nothing.
type routes struct {
	actions  map[Verb]actionFunc
	commands map[Command]commandFunc
	links    map[DeepLink]linkFunc
	steps    map[Step]stepFunc
	// photos are tried in order on a picture; codes on typed text before
	// the awaited step (staff typing a pickup code); texts on typed text
	// no step awaited, before "didn't understand".
	photos, codes, texts []inputFunc
	location             locationFunc
}

// buildRouteTable merges the features' routes. A verb, command, deep link
// or step routed twice, or a location answered twice, is an error naming
// it: two features must never claim the same input.
func buildRouteTable(features ...routes) (*routes, error) {
	rt := &routes{actions: map[Verb]actionFunc{}, commands: map[Command]commandFunc{},
		links: map[DeepLink]linkFunc{}, steps: map[Step]stepFunc{}}
	var errs []string
	for _, f := range features {
		errs = append(errs, merge(rt.actions, f.actions, "verb")...)
		errs = append(errs, merge(rt.commands, f.commands, "command")...)
		errs = append(errs, merge(rt.links, f.links, "deep link")...)
		errs = append(errs, merge(rt.steps, f.steps, "step")...)
		rt.photos = append(rt.photos, f.photos...)
		rt.codes = append(rt.codes, f.codes...)
		rt.texts = append(rt.texts, f.texts...)
		if f.location != nil {
			if rt.location != nil {
				errs = append(errs, "location answered twice")
			}
			rt.location = f.location
		}
	}
	for v := range rt.actions {
		if v == "" || strings.Contains(string(v), ":") || len(v) > 8 {
			errs = append(errs, fmt.Sprintf("verb %q is not 1-8 characters without ':'", v))
		}
	}
	for c := range rt.commands {
		if !strings.HasPrefix(string(c), "/") || strings.ToLower(string(c)) != string(c) {
			errs = append(errs, fmt.Sprintf("command %q is not lower case with a slash", c))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("bot: route table: %s", strings.Join(errs, "; "))
	}
	return rt, nil
}

func merge[K ~string, F any](dst, src map[K]F, kind string) []string {
	var errs []string
	for k, f := range src {
		if _, dup := dst[k]; dup {
			errs = append(errs, fmt.Sprintf("%s %q routed twice", kind, k))
			continue
		}
		dst[k] = f
	}
	return errs
}

// routed reports whether a button's action has a route.
func (rt *routes) routed(action string) bool {
	verb, _, _ := strings.Cut(action, ":")
	_, ok := rt.actions[Verb(verb)]
	return ok
}

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

func parseInt(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= lo && n <= hi
}
