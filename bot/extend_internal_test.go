package bot

import (
	"context"
	"testing"

	"shopbot/templates"
)

// TestExtensionsDispatch checks that each table is consulted where the core
// flows leave a message unclaimed, and that a duplicate key panics.
func TestExtensionsDispatch(t *testing.T) {
	// The test's handlers claim everything: take them out again afterwards,
	// or every photo and text of the other tests in this binary goes to them.
	photos, texts := extPhotos, extTexts
	t.Cleanup(func() {
		extPhotos, extTexts = photos, texts
		delete(extCommands, "/xtest")
		delete(extActions, "xt")
		delete(extDeepLinks, "xt")
		delete(extSteps, "xt_step")
	})
	got := ""
	mark := func(s string) []Reply { got = s; return say(s) }
	registerCommand("/xtest", func(t *turn, arg string) ([]Reply, error) { return mark("cmd " + arg), nil })
	registerAction("xt", func(t *turn, rest string, args []string) ([]Reply, error) {
		return mark("act " + rest + " " + args[len(args)-1]), nil
	})
	registerDeepLink("xt", func(t *turn, rest string) ([]Reply, bool, error) { return mark("link " + rest), rest != "no", nil })
	registerStep("xt_step", func(t *turn, text string) ([]Reply, error) { return mark("step " + text), nil })
	registerText(func(t *turn, text string) ([]Reply, bool, error) {
		if text != "+1" {
			return nil, false, nil
		}
		return mark("text"), true, nil
	})
	registerPhoto(func(t *turn, caption string) ([]Reply, bool, error) { return mark("photo " + caption), true, nil })

	r := NewRouter(Options{Texts: templates.MustLoad()})
	for _, tc := range []struct {
		step string
		m    Message
		want string
	}{
		{"", Message{Text: "/xtest  hello "}, "cmd hello"},
		{"", Message{Action: "xt:1:b"}, "act 1:b b"},
		{"", Message{Text: "/start xt_ab12"}, "link ab12"},
		{"xt_step", Message{Text: "Li Wei"}, "step Li Wei"},
		{"", Message{Text: "+1"}, "text"},
		{"", Message{Photo: []byte{1}, Text: "caption"}, "photo caption"},
		{"", Message{Text: "/start xt_no"}, "link no"}, // not claimed: the welcome follows
	} {
		got = ""
		if _, err := r.step(context.Background(), &Session{Step: tc.step}, tc.m); err != nil {
			t.Fatalf("%+v: %v", tc.m, err)
		}
		if got != tc.want {
			t.Errorf("%+v dispatched to %q; want %q", tc.m, got, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("registering /xtest twice did not panic")
		}
	}()
	registerCommand("/xtest", nil)
}
