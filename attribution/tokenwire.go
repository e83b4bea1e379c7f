package attribution

import (
	"encoding/binary"
	"errors"
	"strings"

	"github.com/oklog/ulid/v2"
)

// tokenWire is the securecookie serializer of click tokens: a compact binary
// form instead of JSON, because the token rides in every referral URL (a
// third of the length) and is encoded on every redirect. Ids that are the
// usual prefix + ULID take 17 bytes; anything else is kept as a string.
type tokenWire struct{}

const tokenWireVersion = 1

var errTokenWire = errors.New("token: malformed payload")

func (tokenWire) Serialize(src any) ([]byte, error) {
	t, ok := src.(ClickToken)
	if !ok {
		p, ok := src.(*ClickToken)
		if !ok {
			return nil, errTokenWire
		}
		t = *p
	}
	return appendToken(make([]byte, 0, 80), t), nil
}

// appendToken appends the wire form of t to b.
func appendToken(b []byte, t ClickToken) []byte {
	b = append(b, tokenWireVersion)
	b = appendID(b, PrefixClick, t.ClickID)
	b = appendID(b, PrefixLink, t.LinkID)
	b = appendID(b, PrefixPartner, t.PartnerID)
	b = appendID(b, PrefixVendor, t.VendorID)
	return binary.AppendVarint(b, t.ClickedAt)
}

func (tokenWire) Deserialize(src []byte, dst any) error {
	t, ok := dst.(*ClickToken)
	if !ok || len(src) == 0 {
		return errTokenWire
	}
	if src[0] != tokenWireVersion {
		return errTokenWire
	}
	rest := src[1:]
	var err error
	for _, f := range []struct {
		prefix string
		out    *string
	}{{PrefixClick, &t.ClickID}, {PrefixLink, &t.LinkID}, {PrefixPartner, &t.PartnerID}, {PrefixVendor, &t.VendorID}} {
		if *f.out, rest, err = readID(rest, f.prefix); err != nil {
			return err
		}
	}
	v, n := binary.Varint(rest)
	if n <= 0 || n != len(rest) {
		return errTokenWire
	}
	t.ClickedAt = v
	return nil
}

// appendID writes 1 + 16 bytes for prefix+ULID, else 0 + length + bytes.
func appendID(b []byte, prefix, id string) []byte {
	if strings.HasPrefix(id, prefix) && len(id) == len(prefix)+ulid.EncodedSize {
		// ParseStrict reads Crockford base32 in either case (and nothing
		// else, one character per value); a ULID that would not print back
		// the same (upper-case letters) stays a string.
		if u, err := ulid.ParseStrict(id[len(prefix):]); err == nil && strings.ToLower(id) == id {
			b = append(b, 1)
			return append(b, u[:]...)
		}
	}
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(len(id)))
	return append(b, id...)
}

func readID(b []byte, prefix string) (string, []byte, error) {
	if len(b) == 0 {
		return "", nil, errTokenWire
	}
	switch b[0] {
	case 1:
		if len(b) < 17 {
			return "", nil, errTokenWire
		}
		var u ulid.ULID
		copy(u[:], b[1:17])
		return formatID(prefix, u), b[17:], nil
	case 0:
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > 256 || uint64(len(b)-1-k) < n {
			return "", nil, errTokenWire
		}
		start := 1 + k
		return string(b[start : start+int(n)]), b[start+int(n):], nil
	}
	return "", nil, errTokenWire
}
