package templates

import "shopbot/commerce"

func init() {
	topicSamples["orderdesk"] = func(n int) map[string]any {
		type order struct {
			Number, Name, Status, Date, Paid string
			Total                            commerce.Money
			Units                            int
		}
		orders := []order{
			{"K7Q2M9", "Li Wei", "confirmed", "2026-11-25 18:04", "", commerce.CNY(55700), 3},
			{"P3XW8R", "Anna", "ready for pickup", "2026-11-25 18:05", "cash", commerce.CNY(12900), 1},
			{"Q2M9K7", "王芳", "shipped", "2026-11-25 18:05", "", commerce.CNY(25800), 2},
		}[:n]
		return map[string]any{"Orders": orders, "More": (n - 1) * 7}
	}
}
