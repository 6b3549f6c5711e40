package templates

import "shopbot/commerce"

func init() {
	topicSamples["orderdesk"] = func(n int) map[string]any {
		type order struct {
			Number, Name, Status, Date string
			Total                      commerce.Money
			Units                      int
			Paid                       bool
		}
		type shelf struct {
			Name string
			N    int
		}
		type note struct{ Body, Date string }
		orders := []order{
			{"K7Q2M9", "Li Wei", "confirmed", "2026-11-25 18:04", commerce.CNY(55700), 3, false},
			{"P3XW8R", "Anna", "ready for pickup", "2026-11-25 18:05", commerce.CNY(12900), 1, true},
			{"Q2M9K7", "王芳", "shipped", "2026-11-25 18:05", commerce.CNY(25800), 2, false},
		}[:n]
		return map[string]any{"Orders": orders, "More": (n - 1) * 7, "Shelves": []shelf{{"New", 3}, {"To ship", 12}, {"Overdue", 0}}[:n],
			"Shelf": "To ship", "Count": 12 * n, "Page": n, "Pages": n, "Query": "1234", "Paid": n == 1, "Awaiting": n == 3, "Method": "cash",
			"Amount": commerce.CNY(55700), "Notes": []note{{"Delayed by one day", "2026-11-26 10:00"}, {"Arrives tomorrow", "2026-11-27 09:30"}}[:n-1],
			"Note": "Your parcel is delayed by one day."}
	}
}
