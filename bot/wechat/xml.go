package wechat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"

	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// xmlLimits bound what strictXML accepts.
type xmlLimits struct {
	maxText  int // bytes of character data in one element
	maxElems int // elements in the document
	maxDepth int // nesting, the root being depth 1
}

var (
	// envelopeLimits: <xml><ToUserName/><Encrypt/></xml>, Encrypt up to the body.
	envelopeLimits = xmlLimits{maxText: MaxBody, maxElems: 16, maxDepth: 2}
	// messageLimits: a decrypted message or event (WeChat text is at most 2048 bytes).
	messageLimits = xmlLimits{maxText: 8 << 10, maxElems: 128, maxDepth: 5}
)

// errXML is returned for any document strictXML refuses.
var errXML = errors.New("wechat: malformed or disallowed XML")

// repeatable names the elements that legitimately repeat under one parent
// (lists in some events); every other element must be unique in its parent.
var repeatable = map[string]bool{"item": true, "List": true}

// strictXML checks that data is one <xml> document as WeChat sends it: no
// DOCTYPE or other directive (so no entity definitions), no processing
// instruction but the XML declaration, no undefined entity, UTF-8 only, no
// element repeated under its parent, and the limits in l. encoding/xml
// itself never expands external entities; this refuses them outright and
// closes the duplicated-element trick (encoding/xml keeps the last one,
// which may not be what a signature or an earlier check looked at).
func strictXML(data []byte, l xmlLimits) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = nil // non-UTF-8 declarations fail
	type frame struct {
		seen map[string]bool
		text int
	}
	var stack []frame
	elems, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return errXML
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elems++
			if elems > l.maxElems || len(stack) >= l.maxDepth || len(t.Attr) > 4 || t.Name.Space != "" || len(t.Name.Local) > 64 {
				return errXML
			}
			if len(stack) == 0 {
				roots++
				if roots > 1 || t.Name.Local != "xml" {
					return errXML
				}
			} else {
				parent := stack[len(stack)-1]
				if parent.seen[t.Name.Local] && !repeatable[t.Name.Local] {
					return errXML
				}
				parent.seen[t.Name.Local] = true
			}
			stack = append(stack, frame{seen: map[string]bool{}})
		case xml.EndElement:
			if len(stack) == 0 {
				return errXML
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return errXML // text outside the root
				}
				continue
			}
			top := &stack[len(stack)-1]
			if top.text += len(t); top.text > l.maxText {
				return errXML
			}
		case xml.Directive: // <!DOCTYPE …>, <!ENTITY …>
			return errXML
		case xml.ProcInst:
			if t.Target != "xml" || elems > 0 {
				return errXML
			}
		case xml.Comment:
			// harmless
		}
	}
	if roots != 1 || len(stack) != 0 {
		return errXML
	}
	return nil
}

// envelope is the outer body of a safe-mode callback.
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	Encrypt    string   `xml:"Encrypt"`
}

func parseEnvelope(body []byte) (envelope, error) {
	var e envelope
	if err := strictXML(body, envelopeLimits); err != nil {
		return e, err
	}
	if err := xml.Unmarshal(body, &e); err != nil || e.Encrypt == "" {
		return e, errXML
	}
	return e, nil
}

// parseMessage decodes a (decrypted) message or event.
func parseMessage(data []byte) (*message.MixMessage, error) {
	if err := strictXML(data, messageLimits); err != nil {
		return nil, err
	}
	var m message.MixMessage
	if err := xml.Unmarshal(data, &m); err != nil {
		return nil, errXML
	}
	return &m, nil
}
