package clickinfo

import (
	"crypto/sha256"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// DefaultAgentCacheSize is used when NewAgentParser gets a size <= 0.
const DefaultAgentCacheSize = 10000

// maxKeyLen bounds the memory one cache entry can pin: longer user agents
// are keyed by their SHA-256 so a flood of huge headers cannot bloat the cache.
const maxKeyLen = 256

// AgentParser parses user agents and remembers the verdicts. Bot detection
// costs ~200µs a call and clicks repeat the same few user agents, so the
// cache is what makes per-click parsing affordable. Safe for concurrent use.
type AgentParser struct {
	// A verdict never changes, so entries do not expire; the least recently
	// used go first when the cache is full.
	verdicts *expirable.LRU[string, Agent]
}

// NewAgentParser returns a parser caching at most maxEntries verdicts
// (DefaultAgentCacheSize when maxEntries <= 0).
func NewAgentParser(maxEntries int) *AgentParser {
	if maxEntries <= 0 {
		maxEntries = DefaultAgentCacheSize
	}
	return &AgentParser{verdicts: expirable.NewLRU[string, Agent](maxEntries, nil, 0)}
}

// Parse returns the Agent for ua, from the cache when possible.
func (p *AgentParser) Parse(ua string) Agent {
	key := cacheKey(ua)
	if a, ok := p.verdicts.Get(key); ok {
		return a
	}
	// Parsed outside any lock: two goroutines may parse the same new agent
	// at once, which is cheaper than serialising every miss.
	a := parseAgent(ua)
	p.verdicts.Add(key, a)
	return a
}

// Len reports how many verdicts are cached.
func (p *AgentParser) Len() int { return p.verdicts.Len() }

func cacheKey(ua string) string {
	if len(ua) <= maxKeyLen {
		return ua
	}
	sum := sha256.Sum256([]byte(ua))
	// The NUL prefix keeps hashed keys apart from any real (short) agent.
	return "\x00" + string(sum[:])
}
