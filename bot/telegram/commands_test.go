package telegram

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"shopbot/bot"
)

// Sellers' private chats get the seller commands after the buyer ones, per
// language; everyone else keeps the buyer menu.
func TestSetCommandsSellerScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRouter(func(_ *testEnv, o *bot.Options) {
		o.Admins = []string{"tg:42", "wx:oAbc", "tg:7", "tg:nope", "web:alice"}
	}))
	if err := e.a.SetCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	type menu struct{ scope, lang string }
	got := map[menu][]string{}
	for _, c := range e.api.Calls("setMyCommands") {
		scope := ""
		if s := c.Params.Get("scope"); s != "" && s != "null" {
			var sc struct {
				Type   string `json:"type"`
				ChatID int64  `json:"chat_id"`
			}
			if err := json.Unmarshal([]byte(s), &sc); err != nil || sc.Type != "chat" {
				t.Fatalf("scope %s: %v", s, err)
			}
			scope = "chat:" + strconv.FormatInt(sc.ChatID, 10)
		}
		var cmds []struct{ Command string }
		if err := json.Unmarshal([]byte(c.Params.Get("commands")), &cmds); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, cmd := range cmds {
			names = append(names, cmd.Command)
		}
		got[menu{scope, c.Params.Get("language_code")}] = names
	}
	buyer := "start shop cart orders link lang help"
	seller := buyer + " products newdrop drops broadcast post order settings categories points questions reply console"
	want := map[menu]string{}
	for _, lang := range []string{"", "zh", "en", "ru"} {
		want[menu{"", lang}] = buyer
		want[menu{"chat:42", lang}] = seller
		want[menu{"chat:7", lang}] = seller
	}
	if len(got) != len(want) {
		t.Fatalf("menus %v; want %d", got, len(want))
	}
	for m, w := range want {
		if g := strings.Join(got[m], " "); g != w {
			t.Errorf("menu %+v = %q; want %q", m, g, w)
		}
	}
}
