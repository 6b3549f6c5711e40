package templates

import "time"

func init() {
	topicSamples["link"] = func(n int) map[string]any {
		chats := []string{"Telegram ···2345 (this chat)", "Web chat ···9f3a", "WeChat ···Qx7w"}[:n]
		return map[string]any{
			"Code": "K7Q2-M9XA", "Minutes": 10, "Linked": n > 1, "Chats": chats,
			"Other": "Web chat ···9f3a", "Last": n == 1, "Chosen": n == 1,
			"Channel": "Telegram", "Tail": []string{"", "", "2345"}[n-1], "This": n == 3,
		}
	}
	topicSamples["limits"] = func(n int) map[string]any {
		cst := time.FixedZone("CST", 8*3600)
		return map[string]any{"Max": n, "Until": time.Date(2026, 12, 27, 14, 30, 0, 0, cst)}
	}
}
