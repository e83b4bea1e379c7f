package clickinfo

import (
	"crypto/sha256"
	"sync"
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
	max int

	mu      sync.RWMutex
	entries map[string]Agent
}

// NewAgentParser returns a parser caching at most maxEntries verdicts
// (DefaultAgentCacheSize when maxEntries <= 0).
func NewAgentParser(maxEntries int) *AgentParser {
	if maxEntries <= 0 {
		maxEntries = DefaultAgentCacheSize
	}
	return &AgentParser{max: maxEntries, entries: make(map[string]Agent)}
}

// Parse returns the Agent for ua, from the cache when possible.
func (p *AgentParser) Parse(ua string) Agent {
	key := cacheKey(ua)

	p.mu.RLock()
	a, ok := p.entries[key]
	p.mu.RUnlock()
	if ok {
		return a
	}

	// Parse outside the lock: two goroutines may parse the same new agent
	// at once, which is cheaper than serialising every miss.
	a = parseAgent(ua)

	p.mu.Lock()
	if _, ok := p.entries[key]; !ok {
		if len(p.entries) >= p.max {
			p.evictOne()
		}
		p.entries[key] = a
	}
	p.mu.Unlock()
	return a
}

// Len reports how many verdicts are cached.
func (p *AgentParser) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.entries)
}

// evictOne drops an arbitrary entry. Go randomises map iteration order, so
// this is random eviction at O(1) cost and without bookkeeping; popular
// agents are simply re-cached on their next click. Callers hold p.mu.
func (p *AgentParser) evictOne() {
	for k := range p.entries {
		delete(p.entries, k)
		return
	}
}

func cacheKey(ua string) string {
	if len(ua) <= maxKeyLen {
		return ua
	}
	sum := sha256.Sum256([]byte(ua))
	// The NUL prefix keeps hashed keys apart from any real (short) agent.
	return "\x00" + string(sum[:])
}
