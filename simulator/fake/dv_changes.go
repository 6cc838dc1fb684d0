package fake

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DeltaPage is one answer of a change-tracking query.
type DeltaPage struct {
	// Rows are changed records, then deleted ones ($deletedEntity: ID and
	// Deleted only), in version order.
	Rows []Row
	// More says the page was cut at the page size: Token continues it
	// (@odata.nextLink); otherwise Token is the @odata.deltaLink token.
	More  bool
	Token string
}

// Changes runs a change-tracking query (Prefer: odata.track-changes) on a
// table: with an empty token every current record; with a delta token
// the records changed and deleted since. maxPageSize defaults to, and is
// capped at, 5,000. An expired token answers 400 with
// CodeDeltaTokenExpired.
func (a DVAPI) Changes(set, token string, maxPageSize int) (DeltaPage, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.gate(ReadOps, set); e != nil {
		return DeltaPage{}, e
	}
	return s.changes(set, token, maxPageSize)
}

// changes is Changes without the gate; the lock is held.
func (s *DV) changes(set, token string, maxPageSize int) (DeltaPage, error) {
	t := s.tables[set]
	if t == nil {
		return DeltaPage{}, dvNoSet(set)
	}
	if maxPageSize <= 0 || maxPageSize > 5000 {
		maxPageSize = 5000
	}
	now := s.now()
	// An initial read (every current record) starts at the environment's
	// version now; its delta link continues from there, so that deletes
	// before it are not reported and changes while it pages are.
	var since int64
	initial, start := token == "", s.ver
	if token != "" {
		d, ok := parseDeltaToken(token)
		if !ok {
			return DeltaPage{}, dvError(400, "0x80040203", fmt.Sprintf("The delta token '%s' is not valid.", token))
		}
		if now.Sub(d.issued) > s.cfg.DeltaTokenTTL || d.gen < s.generation {
			return DeltaPage{}, dvError(400, CodeDeltaTokenExpired,
				fmt.Sprintf("The delta token '%s' has expired: read the table again without a token.", token))
		}
		since, initial, start = d.ver, d.start >= 0, d.start
	}
	i, _ := slices.BinarySearchFunc(t.log, since+1, func(c dvChange, v int64) int { return cmp.Compare(c.ver, v) })
	var page DeltaPage
	last := since
	for ; i < len(t.log); i++ {
		c := t.log[i]
		if t.latest[c.id] != c.ver || (c.deleted && initial) {
			continue
		}
		if len(page.Rows) == maxPageSize {
			page.More = true
			break
		}
		if c.deleted {
			page.Rows = append(page.Rows, Row{ID: c.id, Version: c.ver, Deleted: true})
		} else {
			page.Rows = append(page.Rows, s.out(t, t.byID[c.id]))
		}
		last = c.ver
	}
	switch {
	case initial && page.More:
		page.Token = s.deltaToken(last, now, start)
	case initial:
		page.Token = s.deltaToken(start, now, -1)
	default:
		page.Token = s.deltaToken(last, now, -1)
	}
	return page, nil
}

// deltaToken formats a token: the last version delivered and the time it
// was issued, "<version>!<issued>"; "!g<n>" names the token generation
// when ExpireDeltaTokens has been called; a next link of an initial read
// adds the version the read started at, "!init<start>".
func (s *DV) deltaToken(ver int64, issued time.Time, start int64) string {
	tok := strconv.FormatInt(ver, 10) + "!" + issued.UTC().Format(time.RFC3339)
	if s.generation > 0 {
		tok += "!g" + strconv.FormatInt(s.generation, 10)
	}
	if start >= 0 {
		tok += "!init" + strconv.FormatInt(start, 10)
	}
	return tok
}

type deltaTok struct {
	ver, gen int64
	issued   time.Time
	start    int64 // -1 unless a next link of an initial read
}

func parseDeltaToken(tok string) (deltaTok, bool) {
	d := deltaTok{start: -1}
	parts := strings.Split(tok, "!")
	if len(parts) < 2 || len(parts) > 4 {
		return d, false
	}
	var err error
	if d.ver, err = strconv.ParseInt(parts[0], 10, 64); err != nil || d.ver < 0 {
		return d, false
	}
	if d.issued, err = time.Parse(time.RFC3339, parts[1]); err != nil {
		return d, false
	}
	for _, x := range parts[2:] {
		var n int64
		switch {
		case strings.HasPrefix(x, "g"):
			n, err = strconv.ParseInt(x[1:], 10, 64)
			d.gen = n
		case strings.HasPrefix(x, "init"):
			n, err = strconv.ParseInt(x[4:], 10, 64)
			d.start = n
		default:
			return d, false
		}
		if err != nil || n < 0 {
			return d, false
		}
	}
	return d, true
}

// ExpireDeltaTokens makes every delta token issued so far expired, as if
// they had outlived DeltaTokenTTL.
func (s *DV) ExpireDeltaTokens() {
	s.mu.Lock()
	s.generation++
	s.mu.Unlock()
}

// DeletedKey returns the key text of a deleted record by its id. The
// real service's change feed names deleted records by id only; this
// simulator extension lets an adapter that has not seen the record name
// it (a production connector keeps its own id-to-key map).
func (s *DV) DeletedKey(set, id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[set]
	if t == nil {
		return "", false
	}
	if r := t.tombs[id]; r != nil {
		return s.userKey(t, r), true
	}
	if r := t.byID[id]; r != nil {
		return s.userKey(t, r), true
	}
	return "", false
}
