package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"shopbot/commerce"
	"shopbot/templates"
)

// allOn is a router with every feature switched on. Its services are never
// called: only the route table is looked at.
func allOn(t *testing.T) *Router {
	t.Helper()
	texts, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	type audience struct{ commerce.AudienceStore }
	type broadcasts struct{ commerce.BroadcastStore }
	return NewRouter(Options{
		Shop: &commerce.Shop{}, Texts: texts, Pickup: &commerce.Pickup{}, Seller: &commerce.Seller{},
		Drops: &commerce.DropService{}, GroupPosts: &GroupPosts{}, Audience: audience{}, Broadcasts: broadcasts{},
		Persons: &commerce.Persons{}, Setup: &commerce.ShopSetup{}, Desk: &commerce.OrderDesk{}, Restock: &commerce.Restock{}, Questions: &commerce.Questions{},
		Payments: &commerce.Payments{},
	})
}

// routeConst is a constant of one of the route types declared in package bot.
type routeConst struct {
	name, typ, value, pos string
}

// routeConsts parses the package's non-test files for constants of type
// Verb, Command, Step and DeepLink.
func routeConsts(t *testing.T) []routeConst {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []routeConst
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok {
					continue
				}
				switch id.Name {
				case "Verb", "Command", "Step", "DeepLink":
				default:
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: %s is not a string literal", fset.Position(n.Pos()), n.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, routeConst{name: n.Name, typ: id.Name, value: v, pos: fset.Position(n.Pos()).String()})
				}
			}
		}
	}
	if len(out) < 50 {
		t.Fatalf("found %d route constants; the parser missed them", len(out))
	}
	return out
}

// Every verb, command, step and deep link declared is routed exactly once
// with every feature on, and no two constants of a kind share a value.
func TestEveryRouteConstantIsRouted(t *testing.T) {
	r := allOn(t)
	seen := map[string]string{}
	for _, c := range routeConsts(t) {
		key := c.typ + " " + c.value
		if prev, dup := seen[key]; dup {
			t.Errorf("%s: %s %q is also %s", c.pos, c.typ, c.value, prev)
		}
		seen[key] = c.name
		var routed bool
		switch c.typ {
		case "Verb":
			_, routed = r.routes.actions[Verb(c.value)]
		case "Command":
			_, routed = r.routes.commands[Command(c.value)]
		case "Step":
			_, routed = r.routes.steps[Step(c.value)]
		case "DeepLink":
			_, routed = r.routes.links[DeepLink(c.value)]
		}
		if !routed {
			t.Errorf("%s: %s %s (%q) has no route", c.pos, c.typ, c.name, c.value)
		}
	}
	// And the other way round: nothing is routed that no constant names.
	for v := range r.routes.actions {
		if _, ok := seen["Verb "+string(v)]; !ok {
			t.Errorf("verb %q is routed but declared by no constant", v)
		}
	}
	for c := range r.routes.commands {
		if _, ok := seen["Command "+string(c)]; !ok {
			t.Errorf("command %q is routed but declared by no constant", c)
		}
	}
}

func TestBuildRouteTableRefusesDuplicates(t *testing.T) {
	noop := func(*turn, args) ([]Reply, error) { return nil, nil }
	cmd := func(*turn, string) ([]Reply, error) { return nil, nil }
	step := func(*turn, string) ([]Reply, error) { return nil, nil }
	link := func(*turn, string) ([]Reply, bool, error) { return nil, false, nil }
	loc := func(*turn, float64, float64) ([]Reply, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		a, b routes
		want string
	}{
		{"verb", routes{actions: map[Verb]actionFunc{"x": noop}}, routes{actions: map[Verb]actionFunc{"x": noop}}, `verb "x" routed twice`},
		{"command", routes{commands: map[Command]commandFunc{"/x": cmd}}, routes{commands: map[Command]commandFunc{"/x": cmd}}, `command "/x" routed twice`},
		{"step", routes{steps: map[Step]stepFunc{"s": step}}, routes{steps: map[Step]stepFunc{"s": step}}, `step "s" routed twice`},
		{"deep link", routes{links: map[DeepLink]linkFunc{"d": link}}, routes{links: map[DeepLink]linkFunc{"d": link}}, `deep link "d" routed twice`},
		{"location", routes{location: loc}, routes{location: loc}, "location answered twice"},
		{"bad verb", routes{actions: map[Verb]actionFunc{"a:b": noop}}, routes{}, `verb "a:b" is not`},
		{"long verb", routes{actions: map[Verb]actionFunc{"abcdefghi": noop}}, routes{}, `verb "abcdefghi" is not`},
		{"bad command", routes{commands: map[Command]commandFunc{"Start": cmd}}, routes{}, `command "Start" is not`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildRouteTable(tc.a, tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("buildRouteTable = %v; want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := buildRouteTable(routes{actions: map[Verb]actionFunc{"x": noop}}, routes{actions: map[Verb]actionFunc{"y": noop}}); err != nil {
		t.Fatalf("distinct verbs: %v", err)
	}
}

// The real table of NewRouter refuses the same: a feature that claimed a
// verb another feature has makes NewRouter panic at once.
func TestNewRouterPanicsOnADuplicateVerb(t *testing.T) {
	r := allOn(t)
	list := append(r.featureRoutes(), routes{actions: map[Verb]actionFunc{VerbDropBuy: nil}})
	if _, err := buildRouteTable(list...); err == nil || !strings.Contains(err.Error(), `"dby" routed twice`) {
		t.Fatalf("a second dby: %v", err)
	}
}

// A feature switched off routes nothing of its own.
func TestSwitchedOffFeaturesRouteNothing(t *testing.T) {
	texts, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	bare := NewRouter(Options{Shop: &commerce.Shop{}, Texts: texts})
	for _, v := range []Verb{VerbDropBuy, VerbPickupSlots, VerbHandOver, VerbSellerCard, VerbBroadcastSend, VerbChainTap, VerbDropNew, VerbPayWeChat, VerbPayRefund} {
		if bare.HasRoute(v.Of(1)) {
			t.Errorf("%s is routed with its feature off", v)
		}
	}
	for _, c := range []Command{CmdDrop, CmdStaff, CmdProducts, CmdBroadcast, CmdPost, CmdPoints, CmdStop} {
		if _, ok := bare.routes.commands[c]; ok {
			t.Errorf("%s is routed with its feature off", c)
		}
	}
	for _, v := range []Verb{VerbHome, VerbCategories, VerbCart, VerbCheckout, VerbOrders} {
		if !bare.HasRoute(v.Of()) {
			t.Errorf("%s is not routed with the core shop on", v)
		}
	}
}

func TestVerbOf(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{VerbHome.Of(), "home"},
		{VerbCategory.Of(int64(12), 0), "cat:12:0"},
		{VerbDropBuy.Of(int64(3), 2, "ab12"), "dby:3:2:ab12"},
		{VerbReturnKind.Of(int64(7), commerce.ReturnKind("repair")), "rk:7:repair"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q; want %q", tc.got, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a float argument did not panic")
		}
	}()
	_ = VerbHome.Of(1.5)
}
