package clickinfo_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tally-dev/tally/attribution/clickinfo"
)

const (
	uaChromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	uaSafariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	uaFirefoxLinux  = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
	uaChromeAndroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
	uaSafariIPad    = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	uaSafariMac     = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
	uaAndroidTablet = "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)

func TestAgentParser_Parse(t *testing.T) {
	tests := []struct {
		name string
		ua   string
		want clickinfo.Agent
	}{
		{"chrome windows", uaChromeWindows, clickinfo.Agent{Browser: "Chrome", OS: "Windows", Device: "desktop"}},
		{"safari iphone", uaSafariIPhone, clickinfo.Agent{Browser: "Safari", OS: "iOS", Device: "mobile"}},
		{"firefox linux", uaFirefoxLinux, clickinfo.Agent{Browser: "Firefox", OS: "Linux", Device: "desktop"}},
		{"chrome android", uaChromeAndroid, clickinfo.Agent{Browser: "Chrome", OS: "Android", Device: "mobile"}},
		{"safari ipad", uaSafariIPad, clickinfo.Agent{Browser: "Safari", OS: "iOS", Device: "tablet"}},
		{"safari mac", uaSafariMac, clickinfo.Agent{Browser: "Safari", OS: "macOS", Device: "desktop"}},
		{"android tablet without Mobile token", uaAndroidTablet, clickinfo.Agent{Browser: "Chrome", OS: "Android", Device: "tablet"}},
	}
	p := clickinfo.NewAgentParser(100)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Parse(tt.ua); got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.ua, got, tt.want)
			}
		})
	}
}

func TestAgentParser_Parse_bots(t *testing.T) {
	bots := map[string]string{
		"empty":               "",
		"blank":               "   ",
		"curl":                "curl/8.5.0",
		"wget":                "Wget/1.21.4",
		"python-requests":     "python-requests/2.31.0",
		"go http client":      "Go-http-client/1.1",
		"googlebot":           "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"bingbot":             "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"facebookexternalhit": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"twitterbot":          "Twitterbot/1.0",
		"slackbot":            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		"whatsapp":            "WhatsApp/2.23.20.0",
		"discordbot":          "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
		"linkedinbot":         "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
		"telegrambot":         "TelegramBot (like TwitterBot)",
		"headless chrome":     "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
	}
	p := clickinfo.NewAgentParser(100)
	for name, ua := range bots {
		t.Run(name, func(t *testing.T) {
			got := p.Parse(ua)
			if !got.Bot || got.Device != "bot" {
				t.Errorf("Parse(%q) = %+v, want Bot=true Device=bot", ua, got)
			}
		})
	}
}

func TestAgentParser_Parse_cached(t *testing.T) {
	uas := []string{uaChromeWindows, uaSafariIPhone, "curl/8.5.0", ""}
	p := clickinfo.NewAgentParser(10)
	for _, ua := range uas {
		first := p.Parse(ua)
		if second := p.Parse(ua); second != first {
			t.Errorf("cached Parse(%q) = %+v, first call gave %+v", ua, second, first)
		}
		if fresh := clickinfo.NewAgentParser(1).Parse(ua); fresh != first {
			t.Errorf("Parse(%q) = %+v in a fresh parser, %+v in a warm one", ua, fresh, first)
		}
	}
	if got := p.Len(); got != len(uas) {
		t.Errorf("Len() = %d, want %d", got, len(uas))
	}
}

func TestAgentParser_Parse_bounded(t *testing.T) {
	const max = 8
	p := clickinfo.NewAgentParser(max)
	for i := range 200 {
		p.Parse(fmt.Sprintf("curl/%d.0", i))
		if p.Len() > max {
			t.Fatalf("after %d agents Len() = %d, want <= %d", i+1, p.Len(), max)
		}
	}
	// Long agents are cached under a fixed-size key and still parse right.
	long := uaChromeWindows + string(make([]byte, 4096))
	if got := p.Parse(long); got.Bot || got.Browser != "Chrome" {
		t.Errorf("Parse(long chrome UA) = %+v", got)
	}
	if p.Len() > max {
		t.Errorf("Len() = %d, want <= %d", p.Len(), max)
	}
}

func TestNewAgentParser_defaultSize(t *testing.T) {
	p := clickinfo.NewAgentParser(0)
	if got := p.Parse(uaFirefoxLinux); got.Browser != "Firefox" {
		t.Errorf("Parse = %+v", got)
	}
}

func TestAgentParser_Parse_concurrent(t *testing.T) {
	p := clickinfo.NewAgentParser(4)
	uas := []string{uaChromeWindows, uaSafariIPhone, uaFirefoxLinux, uaChromeAndroid, uaSafariIPad, "curl/8.5.0"}
	want := make([]clickinfo.Agent, len(uas))
	for i, ua := range uas {
		want[i] = clickinfo.NewAgentParser(1).Parse(ua)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				k := (g + i) % len(uas)
				if got := p.Parse(uas[k]); got != want[k] {
					t.Errorf("Parse(%q) = %+v, want %+v", uas[k], got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkAgentParser_Parse(b *testing.B) {
	b.Run("cached", func(b *testing.B) {
		p := clickinfo.NewAgentParser(100)
		p.Parse(uaChromeWindows)
		b.ReportAllocs()
		for b.Loop() {
			p.Parse(uaChromeWindows)
		}
	})
	b.Run("uncached", func(b *testing.B) {
		// A one-entry cache fed two alternating agents always misses.
		p := clickinfo.NewAgentParser(1)
		uas := [2]string{uaChromeWindows, uaSafariIPhone}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p.Parse(uas[i&1])
			i++
		}
	})
}
