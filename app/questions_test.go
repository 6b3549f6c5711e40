package app

import (
	"strings"
	"testing"

	"shopbot/commerce"
)

func TestQuestionLimitsFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vars    map[string]string
		want    commerce.QuestionLimits
		wantErr string
	}{
		{nil, commerce.DefaultQuestionLimits, ""},
		{map[string]string{"SHOPBOT_LIMIT_QUESTIONS_PER_HOUR": "5", "SHOPBOT_LIMIT_NEW_QUESTIONS_PER_DAY": "2"}, commerce.QuestionLimits{NewPerDay: 2, PerHour: 5}, ""},
		{map[string]string{"SHOPBOT_LIMIT_QUESTIONS_PER_HOUR": "0"}, commerce.QuestionLimits{}, "SHOPBOT_LIMIT_QUESTIONS_PER_HOUR"},
		{map[string]string{"SHOPBOT_LIMIT_NEW_QUESTIONS_PER_DAY": "many"}, commerce.QuestionLimits{}, "SHOPBOT_LIMIT_NEW_QUESTIONS_PER_DAY"},
	} {
		c, err := ConfigFromEnv(func(k string) string { return tc.vars[k] })
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err = %v; want one naming %s", tc.vars, err, tc.wantErr)
			}
			continue
		}
		if err != nil || c.QuestionLimits != tc.want {
			t.Errorf("%v: limits %+v, %v; want %+v", tc.vars, c.QuestionLimits, err, tc.want)
		}
	}
}
