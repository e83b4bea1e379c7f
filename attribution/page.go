package attribution

// Page is cursor pagination: Cursor is the id of the last item already seen
// (lists are ordered by id, newest first), Limit the page size.
type Page struct {
	Cursor string
	Limit  int
}

// Page size bounds.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// Normalize clamps the limit.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	return p
}
