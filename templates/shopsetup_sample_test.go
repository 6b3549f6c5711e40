package templates

func init() {
	topicSamples["shopsetup"] = func(n int) map[string]any {
		return map[string]any{
			"Shop": "环球优选 Global Picks", "Currency": "CNY", "Languages": []string{"中文", "中文, English, Русский"}[n/2],
			"DefaultLang": "zh-CN", "TimeZone": "Asia/Shanghai", "Region": "CN", "ContactHours": "Mo-Fr 10:00-19:00",
			"Welcome": n > 1, "Value": "Mars/Olympus", "Step": n, "Steps": 6, "Max": 40, "N": n - 1, "Title": "保健品",
			"Lang": "中文", "Categories": []map[string]any{{"Title": "零食", "Hidden": false}, {"Title": "Baby care", "Hidden": true}}[:n-1],
			"PointCode": "SH-JINGAN", "Point": "静安自提点", "Address": "南京西路 1266 号", "City": []string{"", "上海"}[n/2],
			"Position": []string{"", "31.2304, 121.4737"}[n/2], "Bonded": n > 1, "Active": n > 1, "Hours": "Mo-Fr 10:00-21:00",
		}
	}
}
