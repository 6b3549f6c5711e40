package templates

func init() {
	topicSamples["paypage"] = func(n int) map[string]any {
		return map[string]any{"Number": "K7Q2M9", "Time": []string{"", "20:15", "09:05", "23:59"}[n]}
	}
}
