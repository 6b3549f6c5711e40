package templates

import "shopbot/commerce"

func init() {
	topicSamples["paycounter"] = func(n int) map[string]any {
		return map[string]any{"Amount": commerce.CNY(59900 * int64(n)), "Method": []string{"WeChat Pay", "", "cash"}[n-1]}
	}
}
