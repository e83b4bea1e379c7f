package secretbox_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/secretbox"
)

func TestBox(t *testing.T) {
	t.Parallel()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, _ := secretbox.New(oldKey)
	rotated, err := secretbox.New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	const where, plain = "vendors.stripe_webhook_secret:ven_1", "whsec_abc"

	sealed, err := old.Seal(plain, where)
	if err != nil || !strings.HasPrefix(sealed, secretbox.Prefix) || strings.Contains(sealed, "whsec") {
		t.Fatalf("Seal = %q, %v", sealed, err)
	}
	if again, _ := old.Seal(plain, where); again == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if got, err := rotated.Open(sealed, where); err != nil || got != plain {
		t.Errorf("rotated box cannot open the old key's value: %q, %v", got, err)
	}
	resealed, _ := rotated.Seal(plain, where)
	if _, err := old.Open(resealed, where); err == nil {
		t.Error("the newest key does not encrypt")
	}
	if _, err := old.Open(sealed, "vendors.stripe_webhook_secret:ven_2"); err == nil {
		t.Error("a value opens at another row")
	}
	// Change the last two characters, to something they are not.
	tail := "AA"
	if sealed[len(sealed)-2:] == tail {
		tail = "BB"
	}
	tampered := sealed[:len(sealed)-2] + tail
	if _, err := old.Open(tampered, where); err == nil {
		t.Error("a tampered value opens")
	}
	for _, bad := range []string{secretbox.Prefix, secretbox.Prefix + "!!", secretbox.Prefix + "AAAA"} {
		if _, err := old.Open(bad, where); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
	// Legacy clear values and the empty value read as they are.
	for _, s := range []string{"whsec_legacy", ""} {
		if got, err := old.Open(s, where); err != nil || got != s {
			t.Errorf("Open(%q) = %q, %v", s, got, err)
		}
	}
	if got, _ := old.Seal("", where); got != "" {
		t.Errorf("Seal(\"\") = %q", got)
	}
	for _, k := range [][]byte{nil, make([]byte, 16), make([]byte, 33)} {
		if _, err := secretbox.New(k); err == nil {
			t.Errorf("key of %d bytes accepted", len(k))
		}
	}
}
