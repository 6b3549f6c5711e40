package bot

import (
	"encoding/json"

	"shopbot/commerce"
)

// Session is one chat's conversation state. It is stored as JSON with a
// version; it holds nothing trusted: prices are re-read at checkout.
type Session struct {
	Lang     string        `json:"lang,omitempty"`
	Step     string        `json:"step,omitempty"` // awaited text input: "", stepName, stepPhone
	Cart     commerce.Cart `json:"cart"`
	Checkout CheckoutDraft `json:"co"`
	// Remembered contact details, offered as one-tap choices next time.
	LastName  string `json:"ln,omitempty"`
	LastPhone string `json:"lp,omitempty"`
	// Staff is a pickup code a staff member entered, held between showing
	// the order and handing it over, so the code never travels in a button.
	Staff StaffDraft `json:"sd,omitzero"`
	// Listing is a product a seller is adding from a photo; Edit a field of
	// a product a seller is changing (seller.go).
	Listing ListingDraft `json:"sl,omitzero"`
	Edit    ProductEdit  `json:"se,omitzero"`
	// DropBuy is a drop reservation being turned into an order; DropNew a
	// drop a seller is putting together.
	DropBuy DropCheckout `json:"dco,omitzero"`
	DropNew DropWizard   `json:"dnw,omitzero"`
	// DropEdit is the drop field a seller is changing (bot/dropadmin.go).
	DropEdit DropEditState `json:"dae,omitzero"`
	// Seen is the day (unix days) the user was last recorded in the
	// broadcast audience; Broadcast is a seller's draft in the wizard.
	Seen      int64          `json:"seen,omitzero"`
	Broadcast BroadcastDraft `json:"bc,omitzero"`

	version int64
}

// CheckoutDraft is a checkout in progress.
type CheckoutDraft struct {
	Nonce   string `json:"n,omitempty"` // identifies this checkout; its buttons carry it
	PointID int64  `json:"pt,omitempty"`
	Name    string `json:"nm,omitempty"`
}

// StaffDraft is a redemption in progress at the counter. Its buttons carry
// only the nonce; the code and the point stay here.
type StaffDraft struct {
	Nonce   string `json:"n,omitempty"`
	Input   string `json:"in,omitempty"` // the code or token as ParseRedeemInput read it
	PointID int64  `json:"pt,omitempty"` // set once the code was inspected at a point
}

// Steps awaiting typed input.
const (
	stepName  = "co_name"
	stepPhone = "co_phone"
)

func decodeSession(data []byte, version int64) (Session, error) {
	var s Session
	if len(data) > 0 {
		if err := json.Unmarshal(data, &s); err != nil {
			return Session{}, err
		}
	}
	s.version = version
	return s, nil
}

func (s *Session) encode() ([]byte, error) { return json.Marshal(s) }
