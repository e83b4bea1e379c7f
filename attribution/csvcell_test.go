package attribution_test

import (
	"testing"

	"github.com/tally-dev/tally/attribution"
)

func TestCSVText(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"newsletter":                   "newsletter",
		`=HYPERLINK("http://x","y")`:   `'=HYPERLINK("http://x","y")`,
		"+1":                           "'+1",
		"-2":                           "'-2",
		"@x":                           "'@x",
		"\tcmd":                        "'\tcmd",
		"\rcmd":                        "'\rcmd",
		" =1":                          " =1",
		"a=1":                          "a=1",
		"'=1":                          "'=1",
		"ünïcode":                      "ünïcode",
		"2026-01-15T12:00:00Z":         "2026-01-15T12:00:00Z",
		"ada+tag@example.com":          "ada+tag@example.com",
		"\n=1":                         "\n=1",
		"pur_01kf0rdqg0syc3j57wfa5tgb": "pur_01kf0rdqg0syc3j57wfa5tgb",
	} {
		if got := attribution.CSVText(in); got != want {
			t.Errorf("CSVText(%q) = %q, want %q", in, got, want)
		}
	}
}
