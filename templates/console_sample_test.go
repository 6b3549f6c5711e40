package templates

func init() {
	topicSamples["console"] = func(n int) map[string]any {
		return map[string]any{"URL": "https://shop.example/admin/login?token=abc", "Identity": "tg:123456", "Days": 14, "Max": 5,
			"Stock": n, "Currency": "CNY", "Lang": "English", "By": "tg:123456", "Reason": "Out of stock",
			"Sent": 10 * n, "Failed": n - 1, "Blocked": 1, "OptedOut": 0, "Pending": 3 - n, "Total": 10*n + 3, "Method": "cash", "Amount": "¥159.00", "At": "2026-11-25 18:04"}
	}
}
