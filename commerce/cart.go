package commerce

import "fmt"

// CartLine is one product in a cart. SeenPrice is the unit price the buyer was
// shown when adding it: checkout compares it with the database price and never
// charges it.
type CartLine struct {
	ProductID int64 `json:"p"`
	Qty       int   `json:"q"`
	SeenPrice Money `json:"s"`
}

// Cart is a buyer's basket. It lives in the conversation session; it holds no
// trusted data.
type Cart struct {
	Lines []CartLine `json:"lines,omitempty"`
}

// MaxCartLines bounds the number of distinct products in one cart.
const MaxCartLines = 20

// Add adds qty units of a product (merging with an existing line) and checks the
// per-line cap. The seen price is refreshed to the latest one shown.
func (c *Cart) Add(productID int64, qty, maxQty int, seen Money) error {
	if qty <= 0 {
		return fmt.Errorf("add %d: %w", qty, ErrQuantity)
	}
	for i := range c.Lines {
		if c.Lines[i].ProductID == productID {
			if c.Lines[i].Qty+qty > maxQty {
				return fmt.Errorf("add %d to %d over cap %d: %w", qty, c.Lines[i].Qty, maxQty, ErrQuantity)
			}
			c.Lines[i].Qty += qty
			c.Lines[i].SeenPrice = seen
			return nil
		}
	}
	if qty > maxQty {
		return fmt.Errorf("add %d over cap %d: %w", qty, maxQty, ErrQuantity)
	}
	if len(c.Lines) >= MaxCartLines {
		return fmt.Errorf("cart has %d lines: %w", len(c.Lines), ErrCartFull)
	}
	c.Lines = append(c.Lines, CartLine{ProductID: productID, Qty: qty, SeenPrice: seen})
	return nil
}

// SetQty sets a line's quantity; zero removes it.
func (c *Cart) SetQty(productID int64, qty, maxQty int) error {
	if qty < 0 || qty > maxQty {
		return fmt.Errorf("set %d (cap %d): %w", qty, maxQty, ErrQuantity)
	}
	for i := range c.Lines {
		if c.Lines[i].ProductID == productID {
			if qty == 0 {
				c.Lines = append(c.Lines[:i], c.Lines[i+1:]...)
			} else {
				c.Lines[i].Qty = qty
			}
			return nil
		}
	}
	return fmt.Errorf("product %d not in cart: %w", productID, ErrNotFound)
}

// Line returns the line for a product.
func (c *Cart) Line(productID int64) (CartLine, bool) {
	for _, l := range c.Lines {
		if l.ProductID == productID {
			return l, true
		}
	}
	return CartLine{}, false
}

// Remove drops a product from the cart.
func (c *Cart) Remove(productID int64) error { return c.SetQty(productID, 0, 1<<30) }

// Clear empties the cart.
func (c *Cart) Clear() { c.Lines = nil }

// Empty reports whether the cart has no lines.
func (c *Cart) Empty() bool { return len(c.Lines) == 0 }

// Units is the total number of units in the cart.
func (c *Cart) Units() int {
	n := 0
	for _, l := range c.Lines {
		n += l.Qty
	}
	return n
}
