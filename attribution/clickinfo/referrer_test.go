package clickinfo_test

import (
	"testing"

	"github.com/tally-dev/tally/attribution/clickinfo"
)

func TestClassifyReferrer(t *testing.T) {
	tests := []struct {
		referer    string
		self       []string
		wantHost   string
		wantSource string
	}{
		{"", nil, "", "direct"},
		{"   ", nil, "", "direct"},
		{"https://go.vendor.com/r/abc", []string{"GO.Vendor.com"}, "go.vendor.com", "direct"},
		{"https://www.go.vendor.com/", []string{"go.vendor.com"}, "go.vendor.com", "direct"},
		{"http://localhost:8080/x", []string{"localhost:8080"}, "localhost", "direct"},
		{"https://go.vendor.com/", []string{"other.com"}, "go.vendor.com", "vendor.com"},
		{"http://%zz", nil, "", "unknown"},
		{"https://", nil, "", "unknown"},
		{"mailto:a@b.com", nil, "", "unknown"},
		{"https://www.facebook.com/", nil, "facebook.com", "facebook"},
		{"https://m.facebook.com/story.php", nil, "m.facebook.com", "facebook"},
		{"https://l.facebook.com/l.php?u=x", nil, "l.facebook.com", "facebook"},
		{"https://lm.facebook.com/", nil, "lm.facebook.com", "facebook"},
		{"https://fb.com/", nil, "fb.com", "facebook"},
		{"https://fb.me/x", nil, "fb.me", "facebook"},
		{"https://l.instagram.com/?u=x", nil, "l.instagram.com", "instagram"},
		{"https://www.instagram.com/", nil, "instagram.com", "instagram"},
		{"https://www.google.com/", nil, "google.com", "google"},
		{"https://www.google.co.uk/", nil, "google.co.uk", "google"},
		{"https://www.google.de/", nil, "google.de", "google"},
		{"https://news.google.com/", nil, "news.google.com", "google"},
		{"https://linktr.ee/someone", nil, "linktr.ee", "linktree"},
		{"https://twitter.com/", nil, "twitter.com", "twitter"},
		{"https://x.com/a/status/1", nil, "x.com", "twitter"},
		{"https://t.co/abc", nil, "t.co", "twitter"},
		{"https://www.youtube.com/watch?v=1", nil, "youtube.com", "youtube"},
		{"https://m.youtube.com/", nil, "m.youtube.com", "youtube"},
		{"https://youtu.be/1", nil, "youtu.be", "youtube"},
		{"https://www.linkedin.com/feed", nil, "linkedin.com", "linkedin"},
		{"https://lnkd.in/x", nil, "lnkd.in", "linkedin"},
		{"https://old.reddit.com/r/go", nil, "old.reddit.com", "reddit"},
		{"https://www.tiktok.com/", nil, "tiktok.com", "tiktok"},
		{"https://www.pinterest.com/", nil, "pinterest.com", "pinterest"},
		{"https://pinterest.co.uk/", nil, "pinterest.co.uk", "pinterest"},
		{"https://pin.it/x", nil, "pin.it", "pinterest"},
		{"https://www.bing.com/search?q=x", nil, "bing.com", "bing"},
		{"https://duckduckgo.com/", nil, "duckduckgo.com", "duckduckgo"},
		{"https://search.yahoo.com/", nil, "search.yahoo.com", "yahoo"},
		{"https://www.threads.net/", nil, "threads.net", "threads"},
		{"https://web.whatsapp.com/", nil, "web.whatsapp.com", "whatsapp"},
		{"https://t.me/chan", nil, "t.me", "telegram"},
		{"https://discord.com/channels/1", nil, "discord.com", "discord"},
		{"https://someone.substack.com/p/post", nil, "someone.substack.com", "substack"},
		{"https://medium.com/@a/post", nil, "medium.com", "medium"},
		{"https://www.producthunt.com/posts/x", nil, "producthunt.com", "producthunt"},
		{"https://blog.example.co.uk/post", nil, "blog.example.co.uk", "example.co.uk"},
		{"HTTPS://WWW.Example.COM/Path", nil, "example.com", "example.com"},
		{"https://example.com./", nil, "example.com", "example.com"},
		{"https://user:pw@shop.example.com:8443/x", nil, "shop.example.com", "example.com"},
		{"example.org/page", nil, "example.org", "example.org"},
		{"http://203.0.113.7/", nil, "203.0.113.7", "203.0.113.7"},
		{"http://[2001:db8::1]:8080/", nil, "2001:db8::1", "2001:db8::1"},
		{"android-app://com.google.android.gm/", nil, "com.google.android.gm", "google"},
		{"android-app://org.example.app", nil, "org.example.app", "org.example.app"},
	}
	for _, tt := range tests {
		t.Run(tt.referer, func(t *testing.T) {
			host, source := clickinfo.ClassifyReferrer(tt.referer, tt.self...)
			if host != tt.wantHost || source != tt.wantSource {
				t.Errorf("ClassifyReferrer(%q, %q) = (%q, %q), want (%q, %q)",
					tt.referer, tt.self, host, source, tt.wantHost, tt.wantSource)
			}
		})
	}
}
