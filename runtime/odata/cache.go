package odata

import "sync"

// IDCache remembers, per Dataverse entity set, which record id (GUID)
// holds which key. Dataverse names deleted rows and lookup targets by id
// only: the cache turns them back into keys, and lets writes address
// records whose key values cannot appear in a URL.
//
// The connector fills it from every row it reads or writes. In memory it
// is lost on restart: lookups are then read again by id (one GET per
// referenced record), but a row deleted before it was seen again cannot be
// named and its delete is missed until a full re-read reconciles. A
// production runtime should therefore pass a cache backed by its store;
// the cursor cannot carry it, being per row and as large as the table.
type IDCache interface {
	// Key returns the key of the record with id in set.
	Key(set, id string) (string, bool)
	// ID returns the id of the record with key in set.
	ID(set, key string) (string, bool)
	// Put records that id holds key in set.
	Put(set, id, key string)
	// Forget drops id from set (the record was deleted).
	Forget(set, id string)
}

// NewMemoryIDCache returns an IDCache in memory, safe for concurrent use.
func NewMemoryIDCache() IDCache {
	return &memoryIDs{keys: map[string]map[string]string{}, ids: map[string]map[string]string{}}
}

type memoryIDs struct {
	mu   sync.Mutex
	keys map[string]map[string]string // set → id → key
	ids  map[string]map[string]string // set → key → id
}

func (c *memoryIDs) Key(set, id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[set][id]
	return k, ok
}

func (c *memoryIDs) ID(set, key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.ids[set][key]
	return id, ok
}

func (c *memoryIDs) Put(set, id, key string) {
	if id == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys[set] == nil {
		c.keys[set], c.ids[set] = map[string]string{}, map[string]string{}
	}
	if old, ok := c.keys[set][id]; ok && old != key {
		delete(c.ids[set], old)
	}
	c.keys[set][id] = key
	c.ids[set][key] = id
}

func (c *memoryIDs) Forget(set, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.keys[set][id]; ok {
		delete(c.ids[set], k)
		delete(c.keys[set], id)
	}
}
