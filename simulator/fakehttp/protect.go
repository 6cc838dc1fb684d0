package fakehttp

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	dsruntime "github.com/dualsync/dualsync/runtime"
	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/simulator/fake"
)

// limiter enforces Dataverse's service protection per user, or F&O's
// resource-based throttling for all callers (user ""). Windows slide on
// the configured clock; execution time is measured on the wall clock.
type limiter struct {
	side  plan.Side
	clock dsruntime.Clock

	mu        sync.Mutex
	dv        Protection
	fo        Load
	users     map[string]*usage
	throttled int64
}

type usage struct {
	hits     []time.Time // accepted requests in the window
	exec     []execution // finished requests in the window
	execSum  time.Duration
	inflight int
}

type execution struct {
	end time.Time
	dur time.Duration
}

func newDVLimiter(clock dsruntime.Clock, p Protection) *limiter {
	return &limiter{side: plan.DV, clock: clock, dv: p.withDefaults(), users: map[string]*usage{}}
}

func newFOLimiter(clock dsruntime.Clock, l Load) *limiter {
	return &limiter{side: plan.FO, clock: clock, fo: l, users: map[string]*usage{}}
}

func (l *limiter) setProtection(p Protection) {
	l.mu.Lock()
	l.dv = p.withDefaults()
	l.dv.Off = p.Off
	l.mu.Unlock()
}

func (l *limiter) setLoad(ld Load) {
	l.mu.Lock()
	l.fo = ld
	l.mu.Unlock()
}

// window returns the sliding window and prunes u to it.
func (l *limiter) prune(u *usage, now time.Time, window time.Duration) {
	start := now.Add(-window)
	i := 0
	for i < len(u.hits) && !u.hits[i].After(start) {
		i++
	}
	u.hits = u.hits[i:]
	j := 0
	for j < len(u.exec) && !u.exec[j].end.After(start) {
		u.execSum -= u.exec[j].dur
		j++
	}
	u.exec = u.exec[j:]
}

func ceilSeconds(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return (d + time.Second - 1) / time.Second * time.Second
}

// acquire admits one request of user or refuses it with a 429; release
// must be called when the request is answered.
func (l *limiter) acquire(user string) (func(), *fake.Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.side == plan.FO {
		user = ""
	}
	u := l.users[user]
	if u == nil {
		u = &usage{}
		l.users[user] = u
	}
	now := l.clock.Now()
	if e := l.check(u, now); e != nil {
		l.throttled++
		return nil, e
	}
	u.hits = append(u.hits, now)
	u.inflight++
	start := time.Now()
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		u.inflight--
		d := time.Since(start)
		u.exec = append(u.exec, execution{end: l.clock.Now(), dur: d})
		u.execSum += d
	}, nil
}

func (l *limiter) check(u *usage, now time.Time) *fake.Error {
	if l.side == plan.FO {
		ld := l.fo
		if ld.Window > 0 {
			l.prune(u, now, ld.Window)
		} else {
			u.hits = u.hits[:0]
			u.exec, u.execSum = u.exec[:0], 0
		}
		retry := max(ld.RetryAfter, time.Second)
		busy := &fake.Error{Side: plan.FO, Status: 429, RetryAfter: ceilSeconds(retry),
			Message: "This request could not be processed at this time due to system experiencing high resource utilization."}
		if ld.Concurrent > 0 && u.inflight >= ld.Concurrent {
			return busy
		}
		if ld.Requests > 0 && ld.Window > 0 && len(u.hits) >= ld.Requests {
			busy.RetryAfter = ceilSeconds(max(retry, u.hits[0].Add(ld.Window).Sub(now)))
			return busy
		}
		return nil
	}
	p := l.dv
	if p.Off {
		u.hits = u.hits[:0]
		u.exec, u.execSum = u.exec[:0], 0
		return nil
	}
	l.prune(u, now, p.Window)
	secs := int(p.Window / time.Second)
	if u.inflight >= p.Concurrent {
		return &fake.Error{Side: plan.DV, Status: 429, Code: dsruntime.CodeConcurrencyLimit, RetryAfter: time.Second,
			Message: fmt.Sprintf("Number of concurrent requests exceeded the limit of %d.", p.Concurrent)}
	}
	if len(u.hits) >= p.Requests {
		return &fake.Error{Side: plan.DV, Status: 429, Code: dsruntime.CodeRequestLimitReached,
			RetryAfter: ceilSeconds(u.hits[0].Add(p.Window).Sub(now)),
			Message:    fmt.Sprintf("Number of requests exceeded the limit of %d over time window of %d seconds.", p.Requests, secs)}
	}
	if u.execSum >= p.ExecutionTime {
		wait := p.Window
		if len(u.exec) > 0 {
			wait = u.exec[0].end.Add(p.Window).Sub(now)
		}
		return &fake.Error{Side: plan.DV, Status: 429, Code: dsruntime.CodeExecutionTimeLimit, RetryAfter: ceilSeconds(wait),
			Message: fmt.Sprintf("Combined execution time of incoming requests exceeded limit of %d milliseconds over time window of %d seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
				p.ExecutionTime.Milliseconds(), secs)}
	}
	return nil
}

// headers sets Dataverse's remaining-capacity headers for user.
func (l *limiter) headers(h http.Header, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.dv
	if p.Off {
		return
	}
	u := l.users[user]
	used, exec := 0, time.Duration(0)
	if u != nil {
		l.prune(u, l.clock.Now(), p.Window)
		used, exec = len(u.hits), u.execSum
	}
	h.Set("x-ms-ratelimit-burst-remaining-xrm-requests", strconv.Itoa(max(0, p.Requests-used)))
	h.Set("x-ms-ratelimit-time-remaining-xrm-requests", strconv.FormatFloat(max(0, (p.ExecutionTime-exec).Seconds()), 'f', 2, 64))
}

// count returns the requests refused so far.
func (l *limiter) count() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.throttled
}
