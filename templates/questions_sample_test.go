package templates

func init() {
	topicSamples["questions"] = func(n int) map[string]any {
		type order struct{ Number, Status string }
		type line struct {
			Buyer    bool
			At, Text string
		}
		return map[string]any{
			"N": n, "Ask": n == 1, "Name": "Anna", "Channel": "WeChat", "Lang": "Русский",
			"Orders": []order{{"K7Q2M9", "confirmed"}, {"P3XW8R", "picked up"}}[:n-1],
			"Text":   "Do you deliver to Moscow?",
			"More":   n > 1, "Telegram": n == 1, "Answered": n > 1,
			"Lines": []line{{true, "2026-11-25 18:04", "Do you deliver to Moscow?"}, {false, "2026-11-25 18:30", "Yes, in 10 days."}}[:n-1],
		}
	}
}
