package clickinfo

import (
	"strings"

	"github.com/mileusna/useragent"
	"github.com/x-way/crawlerdetect"
)

// Device classes stored with a click.
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceBot     = "bot"
	DeviceUnknown = "unknown"
)

// Agent is what Tally keeps of a user agent.
type Agent struct {
	Browser string // e.g. "Chrome", "Safari", "Firefox", "" when unknown
	OS      string // e.g. "iOS", "Android", "Windows", "macOS", "Linux"
	Device  string // "desktop" | "mobile" | "tablet" | "bot" | "unknown"
	Bot     bool
}

// parseAgent does the uncached work. Both libraries are consulted because
// each misses bots the other catches (useragent does not flag curl;
// crawlerdetect does not classify devices).
func parseAgent(ua string) Agent {
	ua = strings.TrimSpace(ua)
	parsed := useragent.Parse(ua)
	a := Agent{
		Browser: browserName(parsed.Name),
		OS:      parsed.OS,
	}
	switch {
	// An empty user agent is never a person's browser.
	case ua == "" || parsed.Bot || crawlerdetect.IsCrawler(ua):
		a.Bot = true
		a.Device = DeviceBot
	case parsed.Tablet || androidTablet(parsed, ua):
		a.Device = DeviceTablet
	case parsed.Mobile:
		a.Device = DeviceMobile
	case parsed.Desktop:
		a.Device = DeviceDesktop
	default:
		a.Device = DeviceUnknown
	}
	return a
}

// browserName folds the parser's variants into the names reports group by,
// so "Mobile Safari" and "Safari" are one browser.
func browserName(name string) string {
	switch name {
	case useragent.MobileSafari:
		return useragent.Safari
	case useragent.Msie:
		return useragent.InternetExplorer
	}
	return name
}

// androidTablet applies Android's convention that phones send "Mobile" and
// tablets do not; the parser only knows a few tablet models by name.
func androidTablet(parsed useragent.UserAgent, ua string) bool {
	return parsed.OS == useragent.Android && !strings.Contains(ua, "Mobile")
}
