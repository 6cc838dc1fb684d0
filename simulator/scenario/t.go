package scenario

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptT implements testscript.T outside of go test: the root runs each
// script as a child, at once and in order (Parallel does nothing), and a
// child keeps its log, its outcome and its scenario session.
type scriptT struct {
	name     string
	verbose  bool
	log      strings.Builder
	failed   bool
	skipped  bool
	elapsed  time.Duration
	sess     *session
	children map[string]*scriptT
}

// stop unwinds a script on FailNow and Skip, as runtime.Goexit does for
// a *testing.T.
type stop struct{}

func (t *scriptT) Log(args ...any) {
	s := fmt.Sprintln(args...)
	t.log.WriteString(s)
}

func (t *scriptT) Fatal(args ...any) {
	t.Log(args...)
	t.FailNow()
}

func (t *scriptT) FailNow() {
	t.failed = true
	panic(stop{})
}

func (t *scriptT) Skip(args ...any) {
	t.Log(args...)
	t.skipped = true
	panic(stop{})
}

func (t *scriptT) Parallel() {}

func (t *scriptT) Verbose() bool { return t.verbose }

// Run runs f as the script called name, to completion, before returning.
func (t *scriptT) Run(name string, f func(testscript.T)) {
	c := &scriptT{name: name, verbose: t.verbose, children: map[string]*scriptT{}}
	if t.children != nil {
		t.children[name] = c
	}
	began := time.Now()
	if err := c.guard(func() { f(c) }); err != nil {
		c.failed = true
		c.Log(err.Error())
	}
	c.elapsed = time.Since(began)
}

// guard runs f, absorbing a stop and turning any other panic (a bug in a
// command or in the code under test) into an error, so that one script
// cannot take the whole run down.
func (t *scriptT) guard(f func()) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, ok := r.(stop); ok {
			return
		}
		err = errors.New(fmt.Sprintf("panic: %v\n%s", r, debug.Stack()))
	}()
	f()
	return nil
}

// trace returns the script's world traces.
func (t *scriptT) trace() []byte {
	if t.sess == nil {
		return nil
	}
	return t.sess.trace()
}
