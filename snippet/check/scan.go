package check

import (
	"bytes"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Scan is what an HTML page says about Tally's snippet.
type Scan struct {
	// Snippets are the <script src=…/snippet.js> tags, in document order.
	Snippets []SnippetTag
	// QueueStub reports an inline script defining the tally() queue.
	QueueStub bool
	// TagManager reports a tag manager script, which may inject the snippet
	// where a static fetch cannot see it.
	TagManager bool
}

// SnippetTag is one snippet script tag.
type SnippetTag struct {
	Src    string
	Key    string
	HasKey bool // a data-key attribute is present (maybe empty)
}

// ScanHTML parses body as HTML and finds the snippet's script tags.
func ScanHTML(body []byte) Scan {
	var s Scan
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return s
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Script {
			continue
		}
		src, key, hasKey := "", "", false
		for _, a := range n.Attr {
			switch strings.ToLower(a.Key) {
			case "src":
				src = strings.TrimSpace(a.Val)
			case "data-key":
				key, hasKey = strings.TrimSpace(a.Val), true
			}
		}
		if src == "" {
			if c := n.FirstChild; c != nil && c.Type == html.TextNode && strings.Contains(c.Data, "tally.q") {
				s.QueueStub = true
			}
			continue
		}
		if isSnippetSrc(src) {
			s.Snippets = append(s.Snippets, SnippetTag{Src: src, Key: key, HasKey: hasKey})
		} else if strings.Contains(src, "googletagmanager.com") || strings.Contains(src, "segment.com/analytics") {
			s.TagManager = true
		}
	}
	return s
}

// isSnippetSrc reports whether a script src names Tally's snippet.js.
func isSnippetSrc(src string) bool {
	u, err := url.Parse(src)
	if err != nil {
		return false
	}
	return path.Base(u.Path) == "snippet.js"
}
