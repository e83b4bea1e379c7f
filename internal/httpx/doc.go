// Package httpx holds the HTTP helpers every edge package shares (api,
// snippet, webhooks): strict JSON decoding, body-size errors, text
// clipping and NUL checks, the error answer with its status mapping, and
// the list answer. It knows the domain's error codes and nothing else of
// the domain.
package httpx
