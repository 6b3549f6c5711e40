package staff

import (
	"strings"

	"shopbot/bot"
)

// logID is how logs name a staff identity ("tg:123" names a Telegram
// user): bot.LogHash under the key the chat's router uses, so one staff
// member has one hash in the chat's logs and the page's.
func (p *Page) logID(identity string) string { return bot.LogHash(p.logKey, identity) }

// scrub is err's text with the identity replaced by its logID.
func (p *Page) scrub(err error, identity string) string {
	if err == nil {
		return ""
	}
	if identity == "" {
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), identity, p.logID(identity))
}
