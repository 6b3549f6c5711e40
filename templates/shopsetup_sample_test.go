package templates

func init() {
	topicSamples["shopsetup"] = func(n int) map[string]any {
		return map[string]any{
			"Shop": "环球优选 Global Picks", "Currency": "CNY", "Languages": []string{"zh-CN", "en", "ru"}[:n],
			"DefaultLang": "zh-CN", "TimeZone": "Asia/Shanghai", "Region": "CN", "ContactHours": "Mo-Fr 10:00-19:00",
			"Welcome": n > 1, "Value": "Mars/Olympus", "Step": n, "Steps": 6,
		}
	}
}
