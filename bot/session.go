package bot

import (
	"encoding/json"

	"shopbot/commerce"
)

// sessionVersion is the shape Session is stored in. Version 1 (no "v" key)
// was one flat object with every feature's fields side by side; it is
// still read (legacySession) and written back in the current shape.
const sessionVersion = 2

// Session is one chat's conversation state, stored as JSON with a version
// for optimistic concurrency. Each feature keeps its own part; the router
// owns the language and the awaited step. It holds nothing trusted: prices
// are re-read at checkout, ids are re-checked against the buyer.
type Session struct {
	V    int    `json:"v"`
	Lang string `json:"lang,omitempty"`
	// Step is the typed input awaited, routed to the step's feature.
	Step Step `json:"step,omitempty"`

	Cart      commerce.Cart  `json:"cart"`               // browse and cart
	Contact   Contact        `json:"contact,omitzero"`   // checkout's remembered details
	Checkout  CheckoutDraft  `json:"checkout,omitzero"`  // checkout
	Staff     StaffDraft     `json:"staff,omitzero"`     // staff at the counter
	Seller    SellerState    `json:"seller,omitzero"`    // the seller's catalog tools
	Drops     DropState      `json:"drops,omitzero"`     // drops, for buyers and sellers
	Broadcast BroadcastState `json:"broadcast,omitzero"` // broadcasts and the audience
	Orders    OrdersState    `json:"orders,omitzero"`    // a seller cancelling an order
	Link      LinkState      `json:"link,omitzero"`      // linking the buyer's chats
	Questions QuestionsState `json:"questions,omitzero"` // search and questions to the sellers
	Setup     SetupState     `json:"setup,omitzero"`     // the seller's shop setup
	Desk      DeskState      `json:"desk,omitzero"`      // the seller's order desk
	Pay       PayState       `json:"pay,omitzero"`       // a seller's refund in the making

	version int64
}

// Contact is the name and phone a buyer gave last, offered as one-tap
// choices at the next checkout (a cart's or a drop's).
type Contact struct {
	Name  string `json:"n,omitempty"`
	Phone string `json:"p,omitempty"`
}

// setStep awaits typed input for a step; "" awaits nothing.
func (s *Session) setStep(st Step) { s.Step = st }

// leaveStep stops awaiting any of steps (and leaves another feature's step alone).
func (s *Session) leaveStep(steps ...Step) {
	for _, st := range steps {
		if s.Step == st {
			s.Step = ""
			return
		}
	}
}

func decodeSession(data []byte, version int64) (Session, error) {
	var s Session
	if len(data) > 0 {
		var probe struct {
			V int `json:"v"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return Session{}, err
		}
		if probe.V < 2 {
			var old legacySession
			if err := json.Unmarshal(data, &old); err != nil {
				return Session{}, err
			}
			s = old.upgrade()
		} else if err := json.Unmarshal(data, &s); err != nil {
			return Session{}, err
		}
	}
	s.V, s.version = sessionVersion, version
	return s, nil
}

func (s *Session) encode() ([]byte, error) {
	s.V = sessionVersion
	return json.Marshal(s)
}

// legacySession is the version 1 shape: every feature's field side by
// side in one object. Sessions saved before the features got parts of
// their own are read through it.
type legacySession struct {
	Lang      string         `json:"lang,omitempty"`
	Step      Step           `json:"step,omitempty"`
	Cart      commerce.Cart  `json:"cart"`
	Checkout  CheckoutDraft  `json:"co"`
	LastName  string         `json:"ln,omitempty"`
	LastPhone string         `json:"lp,omitempty"`
	Staff     StaffDraft     `json:"sd,omitzero"`
	Listing   ListingDraft   `json:"sl,omitzero"`
	Edit      ProductEdit    `json:"se,omitzero"`
	DropBuy   DropCheckout   `json:"dco,omitzero"`
	DropNew   DropWizard     `json:"dnw,omitzero"`
	DropEdit  DropEditState  `json:"dae,omitzero"`
	Seen      int64          `json:"seen,omitzero"`
	Broadcast BroadcastDraft `json:"bc,omitzero"`
}

func (o legacySession) upgrade() Session {
	return Session{
		Lang: o.Lang, Step: o.Step, Cart: o.Cart,
		Contact:   Contact{Name: o.LastName, Phone: o.LastPhone},
		Checkout:  o.Checkout,
		Staff:     o.Staff,
		Seller:    SellerState{Listing: o.Listing, Edit: o.Edit},
		Drops:     DropState{Buy: o.DropBuy, New: o.DropNew, Edit: o.DropEdit},
		Broadcast: BroadcastState{Seen: o.Seen, Draft: o.Broadcast},
	}
}
