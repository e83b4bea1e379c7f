package attribution

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks signatures: a secret is "whsec_" and the base64 of its
// random bytes; a delivery's webhook-signature header is "v1," and the
// base64 HMAC-SHA256, under the secret's bytes, of "id.timestamp.body"
// (timestamp in Unix seconds). Several signatures are space-separated.

// PrefixWebhookSecret starts a webhook signing secret.
const PrefixWebhookSecret = "whsec_"

// webhookSecretBytes is the secret's randomness (256 bits).
const webhookSecretBytes = 32

// NewWebhookSecret returns a new signing secret.
func NewWebhookSecret() string {
	b := make([]byte, webhookSecretBytes)
	rand.Read(b) // never fails (crypto/rand panics on a broken system)
	return PrefixWebhookSecret + base64.StdEncoding.EncodeToString(b)
}

// SignWebhook returns the webhook-signature header of a delivery of body
// with id at ts, one signature per secret. A secret that does not decode
// (never stored so) signs nothing.
func SignWebhook(secrets []string, id string, ts time.Time, body []byte) string {
	var sigs []string
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, PrefixWebhookSecret))
		if err != nil {
			continue
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}
