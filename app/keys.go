package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/secretbox"
)

// tokenCodec builds the click-token codec. Keys come from TALLY_HASH_KEY and
// TALLY_BLOCK_KEY (comma-separated, newest first, for rotation) or are
// generated on first start and kept in the database, so a restart keeps every
// issued token valid.
func tokenCodec(ctx context.Context, s *store.Store, cfg Config) (*attribution.TokenCodec, error) {
	var hashKeys, blockKeys [][]byte
	if cfg.HashKey != "" {
		var err error
		if hashKeys, err = parseKeys("TALLY_HASH_KEY", cfg.HashKey); err != nil {
			return nil, err
		}
		if blockKeys, err = parseKeys("TALLY_BLOCK_KEY", cfg.BlockKey); err != nil {
			return nil, err
		}
	} else {
		h, err := s.Setting(ctx, "cookie_hash_key", randomHex(64))
		if err != nil {
			return nil, err
		}
		b, err := s.Setting(ctx, "cookie_block_key", randomHex(32))
		if err != nil {
			return nil, err
		}
		hk, _ := hex.DecodeString(h)
		bk, _ := hex.DecodeString(b)
		hashKeys, blockKeys = [][]byte{hk}, [][]byte{bk}
	}
	var pairs [][]byte
	for i, hk := range hashKeys {
		if len(hk) < 32 {
			return nil, fmt.Errorf("TALLY_HASH_KEY: each key needs at least 32 bytes")
		}
		var bk []byte
		if i < len(blockKeys) {
			bk = blockKeys[i]
			if l := len(bk); l != 16 && l != 24 && l != 32 {
				return nil, fmt.Errorf("TALLY_BLOCK_KEY: each key must be 16, 24 or 32 bytes")
			}
		}
		pairs = append(pairs, hk, bk)
	}
	return attribution.NewTokenCodec(pairs...)
}

// secretBox builds the encryption of stored secrets from TALLY_SECRET_KEY
// (comma-separated, newest first) or, when unset, from a key generated on
// first start and kept in the settings table. Production should set
// TALLY_SECRET_KEY from a secret store: a key kept beside the data it
// protects only guards against leaks of the vendors table alone.
func secretBox(ctx context.Context, s *store.Store, cfg Config) (*secretbox.Box, error) {
	var keys [][]byte
	if cfg.SecretKey != "" {
		var err error
		if keys, err = parseKeys("TALLY_SECRET_KEY", cfg.SecretKey); err != nil {
			return nil, err
		}
	} else {
		k, err := s.Setting(ctx, "secret_key", randomHex(secretbox.KeySize))
		if err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(k)
		if err != nil {
			return nil, fmt.Errorf("settings.secret_key: %w", err)
		}
		keys = [][]byte{b}
	}
	for _, k := range keys {
		if len(k) != secretbox.KeySize {
			return nil, fmt.Errorf("TALLY_SECRET_KEY: each key must be %d bytes (64 hex characters or 44 base64), got %d", secretbox.KeySize, len(k))
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("TALLY_SECRET_KEY: no key given")
	}
	return secretbox.New(keys...)
}

// ipSalt returns the salt of IP hashes, generated once per deployment.
func ipSalt(ctx context.Context, s *store.Store) ([]byte, error) {
	v, err := s.Setting(ctx, "ip_salt", randomHex(32))
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

func randomHex(n int) func() (string, error) {
	return func() (string, error) {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return hex.EncodeToString(b), nil
	}
}

// parseKeys reads comma-separated keys in hex or base64.
func parseKeys(name, v string) ([][]byte, error) {
	var out [][]byte
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if b, err := hex.DecodeString(s); err == nil {
			out = append(out, b)
		} else if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			out = append(out, b)
		} else if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
			out = append(out, b)
		} else {
			return nil, fmt.Errorf("%s: keys must be hex or base64", name)
		}
	}
	return out, nil
}
