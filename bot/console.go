package bot

import (
	"context"
	"strings"
	"time"
)

// The seller's console (/admin) is a web page; a seller opens it with a
// single-use login link the bot sends on /console in a private chat.
// Anyone else gets the answer to an unknown command.

// CmdConsole sends a seller a login link to the console.
const CmdConsole Command = "/console"

// ConsoleLink is a login link to the console and how long it works.
type ConsoleLink struct {
	URL   string
	Valid time.Duration
}

// consoleHandler answers /console with Options.ConsoleLink.
type consoleHandler struct {
	link func(ctx context.Context, identity string) (ConsoleLink, error)
}

func (h *consoleHandler) routes() routes {
	return routes{commands: map[Command]commandFunc{CmdConsole: h.console}}
}

func (h *consoleHandler) console(t *turn, _ string) ([]Reply, error) {
	if h.link == nil || !t.isAdmin() || t.m.Group {
		return t.help("help_unknown")
	}
	l, err := h.link(t.ctx, t.identity())
	if err != nil {
		return nil, err
	}
	var rows [][]Button
	if strings.HasPrefix(l.URL, "https://") { // platforms refuse buttons to plain http or local hosts
		rows = append(rows, []Button{{Text: t.text("console_link_button", nil), URL: l.URL}})
	}
	return say(t.text("console_link_chat", map[string]any{"URL": l.URL, "Minutes": int(l.Valid / time.Minute)}), rows...), nil
}
