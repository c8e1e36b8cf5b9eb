package apikey

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

// benchKeys stores n keys of one new user, without a rate limit and
// without a remaining count, and returns their hashes. With syncCommit
// false the pool's sessions do not wait for the WAL flush at commit, which
// shows the statement's own cost apart from the disk's.
func benchKeys(b *testing.B, n int, syncCommit bool) (*store.Store, []string) {
	b.Helper()
	ctx := context.Background()
	u, err := url.Parse(testdb.New(b))
	if err != nil {
		b.Fatal(err)
	}
	if !syncCommit {
		// pgx sends unknown URL parameters as session settings.
		q := u.Query()
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
	}
	st, err := store.Open(ctx, u.String(), store.PoolOptions{MaxConns: 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	now := time.Now()
	user := &store.User{ID: randstr.ID(), Name: "Bench", Email: "bench-" + randstr.ID() + "@example.com",
		CreatedAt: now, UpdatedAt: now}
	if err := store.InsertUser(ctx, st.Pool, user); err != nil {
		b.Fatal(err)
	}
	hashes := make([]string, n)
	for i := range hashes {
		plaintext := Generate("", 64)
		hashes[i] = Hash(plaintext)
		k := &Key{ID: randstr.ID(), ConfigID: defaultConfigID, ReferenceID: user.ID, Hash: hashes[i],
			Enabled: ptr(true), RateLimitEnabled: ptr(false), RequestCount: ptr(int64(0)),
			CreatedAt: now, UpdatedAt: now}
		if err := InsertKey(ctx, st.Pool, k); err != nil {
			b.Fatal(err)
		}
	}
	return st, hashes
}

// BenchmarkVerifyStatement runs the verification statement alone: one
// round trip per use.
func BenchmarkVerifyStatement(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("synchronous_commit=%v", sync), func(b *testing.B) {
			st, hashes := benchKeys(b, 1, sync)
			ctx := context.Background()
			for b.Loop() {
				res, err := useKey(ctx, st.Pool, useRequest{Hash: hashes[0], Now: time.Now()}, true)
				if err != nil || res.Code != CodeValid {
					b.Fatalf("use: %v %v", res, err)
				}
			}
		})
	}
}

// BenchmarkVerifyStatementParallel uses 64 keys from many goroutines, so
// row locks rarely meet: the throughput of the statement itself.
func BenchmarkVerifyStatementParallel(b *testing.B) {
	st, hashes := benchKeys(b, 64, true)
	ctx := context.Background()
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		hash := hashes[next.Add(1)%int64(len(hashes))]
		for pb.Next() {
			res, err := useKey(ctx, st.Pool, useRequest{Hash: hash, Now: time.Now()}, true)
			if err != nil || res.Code != CodeValid {
				b.Error(fmt.Sprint("use: ", res, err))
				return
			}
		}
	})
}

// BenchmarkReadStatement runs the read that judges an unlimited key, from
// many goroutines on one key: no lock and no write, so nothing serialises.
func BenchmarkReadStatement(b *testing.B) {
	st, hashes := benchKeys(b, 1, true)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, unlimited, err := readKey(ctx, st.Pool, useRequest{Hash: hashes[0], Now: time.Now()}, true)
			if err != nil || res.Code != CodeValid || !unlimited {
				b.Error(fmt.Sprint("read: ", res, unlimited, err))
				return
			}
		}
	})
}
