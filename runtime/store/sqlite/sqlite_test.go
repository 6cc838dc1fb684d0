package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/dualsync/dualsync/runtime/store"
	"github.com/dualsync/dualsync/runtime/store/storetest"
)

func TestConformance(t *testing.T) {
	open := func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "dualsync.db"), store.Config{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	reopen := func(t *testing.T, closed store.Store, cfg store.Config) (store.Store, error) {
		s, err := Open(closed.(*Store).Path(), cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	storetest.Run(t, open, reopen)
}
