package templates

func init() {
	topicSamples["broadcast"] = func(n int) map[string]any {
		return map[string]any{
			"Max": 1000, "Telegram": "1,234", "WeChat": "56", "Web": "7", "Total": "1,297", "Image": n%2 == 1,
			"ID": 12, "Sent": "1,200", "Done": "1,215", "Blocked": 3, "OptedOut": 12, "Skipped": n % 3, "Failed": n % 2,
			"Cancelled": n == 3, "Took": "4m10s",
		}
	}
}
