package snippet

import (
	"fmt"
	"html"
	"strings"
)

// EmbedCode is the snippet's two script tags for a Tally served at
// publicURL and the vendor's publicKey: what a remedy says to install and
// what the dashboard shows to copy.
func EmbedCode(publicURL, publicKey string) string {
	base := strings.TrimRight(publicURL, "/")
	return "<script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>\n" +
		fmt.Sprintf("<script async src=\"%s/snippet.js\" data-key=\"%s\"></script>", html.EscapeString(base), html.EscapeString(publicKey))
}
