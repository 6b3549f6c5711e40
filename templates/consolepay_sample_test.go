package templates

func init() {
	topicSamples["consolepay"] = func(n int) map[string]any {
		return map[string]any{"Method": []string{"", "WeChat Pay", "", "cash"}[n], "Tail": "4821", "Amount": "¥159.00"}
	}
}
