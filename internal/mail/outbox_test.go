package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/authd/authd/internal/mail/smtptest"
)

const testSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// migratedDatabase returns a pool on a fresh database with river's tables.
func migratedDatabase(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := newEmptyDatabase(t)
	if err := MigrateOutbox(context.Background(), pool); err != nil {
		t.Fatalf("MigrateOutbox: %v", err)
	}
	return pool
}

// newTestOutbox fills in test defaults: a 50 ms backoff and a 100 ms poll, the shortest river allows, so that retries take
// milliseconds instead of seconds.
func newTestOutbox(t testing.TB, pool *pgxpool.Pool, sender Sender, opts OutboxOptions) *Outbox {
	t.Helper()
	if opts.Secret == nil {
		opts.Secret = []byte(testSecret)
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
	}
	opts.fetchPollInterval = 100 * time.Millisecond

	o, err := NewOutbox(pool, sender, opts)
	if err != nil {
		t.Fatalf("NewOutbox: %v", err)
	}
	return o
}

func startOutbox(t testing.TB, o *Outbox) {
	t.Helper()
	if err := o.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := o.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

// enqueueCommitted queues m in a transaction of its own and commits it.
func enqueueCommitted(t testing.TB, pool *pgxpool.Pool, o *Outbox, m Message) {
	t.Helper()
	ctx := context.Background()

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := o.Enqueue(ctx, tx, m); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

// jobStates counts the mail jobs in each river state.
func jobStates(t testing.TB, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		"SELECT state::text, count(*) FROM river_job WHERE kind = $1 GROUP BY state", outboxKind)
	if err != nil {
		t.Fatalf("count jobs: %v", err)
	}
	states := map[string]int{}
	for rows.Next() {
		var state string
		var count int
		if err := rows.Scan(&state, &count); err != nil {
			t.Fatalf("scan job count: %v", err)
		}
		states[state] = count
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("count jobs: %v", err)
	}
	return states
}

// waitUntil polls condition every 20 ms and fails the test after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, condition func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if condition() {
			return
		}
	}
	t.Fatalf("timed out after %s waiting until %s", timeout, what)
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var metric dto.Metric
	if err := c.Write(&metric); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return metric.GetCounter().GetValue()
}

func TestMigrateOutboxIdempotent(t *testing.T) {
	t.Parallel()

	pool := newEmptyDatabase(t)
	ctx := context.Background()

	// Replicas starting together all migrate at once.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = MigrateOutbox(ctx, pool) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent MigrateOutbox %d: %v", i, err)
		}
	}

	var before int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM river_migration").Scan(&before); err != nil {
		t.Fatalf("count river migrations: %v", err)
	}
	if err := MigrateOutbox(ctx, pool); err != nil {
		t.Fatalf("MigrateOutbox on a migrated database: %v", err)
	}
	var after int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM river_migration").Scan(&after); err != nil {
		t.Fatalf("count river migrations: %v", err)
	}
	if before == 0 || after != before {
		t.Errorf("river_migration rows: %d after the first runs, %d after another; want the same non-zero count", before, after)
	}
}

func TestOutboxCommittedDeliveredOnce(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	server := smtptest.Start(t)
	o := newTestOutbox(t, pool, newTestSMTPSender(t, testSMTPConfig(server)), OutboxOptions{})
	startOutbox(t, o)

	m := testMessage("alice@example.com")
	enqueueCommitted(t, pool, o, m)

	got := server.WaitFor(t, "alice@example.com", 10*time.Second)
	if got.Subject != m.Subject || got.Text != strings.ReplaceAll(m.Text, "\r\n", "\n") {
		t.Errorf("received subject %q and text %q, want %q and %q", got.Subject, got.Text, m.Subject, m.Text)
	}
	waitUntil(t, 10*time.Second, "the job is completed", func() bool { return jobStates(t, pool)["completed"] == 1 })

	var output []byte
	err := pool.QueryRow(context.Background(), "SELECT metadata->'output' FROM river_job WHERE kind = $1", outboxKind).Scan(&output)
	if err != nil {
		t.Fatalf("read job output: %v", err)
	}
	var marker sentMarker
	if err := json.Unmarshal(output, &marker); err != nil || marker.SentAt.IsZero() {
		t.Errorf("job output %s is no sent marker (%v)", output, err)
	}

	// A mail sent twice would arrive within the poll interval; wait for many of them.
	time.Sleep(500 * time.Millisecond)
	if n := len(server.MessagesTo("alice@example.com")); n != 1 {
		t.Errorf("received %d mails, want 1", n)
	}
	if v := counterValue(t, o.metrics.sent); v != 1 {
		t.Errorf("sent counter = %v, want 1", v)
	}
}

func TestOutboxRolledBackNeverSent(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	server := smtptest.Start(t)
	o := newTestOutbox(t, pool, newTestSMTPSender(t, testSMTPConfig(server)), OutboxOptions{})
	startOutbox(t, o)
	ctx := context.Background()

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if err := o.Enqueue(ctx, tx, testMessage("ghost@example.com")); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatalf("rollback: %v", err)
	}

	// A mail queued later arrives, so the workers ran past the rolled-back one.
	enqueueCommitted(t, pool, o, testMessage("later@example.com"))
	server.WaitFor(t, "later@example.com", 10*time.Second)
	time.Sleep(300 * time.Millisecond)

	if n := len(server.MessagesTo("ghost@example.com")); n != 0 {
		t.Errorf("received %d mails from a rolled-back transaction, want 0", n)
	}
	total := 0
	for _, count := range jobStates(t, pool) {
		total += count
	}
	if total != 1 {
		t.Errorf("river_job holds %d mail jobs, want only the committed one", total)
	}
}

func TestOutboxRetriesAfterOutage(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	server := smtptest.Start(t)
	o := newTestOutbox(t, pool, newTestSMTPSender(t, testSMTPConfig(server)), OutboxOptions{})

	server.Stop()
	startOutbox(t, o)
	enqueueCommitted(t, pool, o, testMessage("bob@example.com"))

	waitUntil(t, 10*time.Second, "two attempts failed", func() bool { return counterValue(t, o.metrics.failedAttempts) >= 2 })
	if n := len(server.Messages()); n != 0 {
		t.Fatalf("received %d mails while the server was down", n)
	}

	server.Restart()
	server.WaitFor(t, "bob@example.com", 10*time.Second)
	waitUntil(t, 10*time.Second, "the job is completed", func() bool { return jobStates(t, pool)["completed"] == 1 })

	var attempt, errorCount int
	var errorsText string
	err := pool.QueryRow(context.Background(),
		"SELECT attempt, coalesce(array_length(errors, 1), 0), errors::text FROM river_job WHERE kind = $1",
		outboxKind).Scan(&attempt, &errorCount, &errorsText)
	if err != nil {
		t.Fatalf("read job: %v", err)
	}
	if attempt < 3 || errorCount != attempt-1 {
		t.Errorf("job has attempt %d with %d errors, want at least 3 attempts and one error for each failed one", attempt, errorCount)
	}
	if strings.Contains(errorsText, "bob@example.com") || !strings.Contains(errorsText, "[recipient]") {
		t.Errorf("river_job.errors does not hide the recipient: %s", errorsText)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(server.MessagesTo("bob@example.com")); n != 1 {
		t.Errorf("received %d mails, want 1", n)
	}
	if v := counterValue(t, o.metrics.discarded); v != 0 {
		t.Errorf("discarded counter = %v, want 0", v)
	}
}

// countingSender counts the messages that each replica sent, by recipient.
type countingSender struct {
	Sender
	name string

	mu    *sync.Mutex
	sends map[string][]string // recipient -> names of the replicas that sent to it
}

func (s countingSender) Send(ctx context.Context, m Message) error {
	if err := s.Sender.Send(ctx, m); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends[m.To] = append(s.sends[m.To], s.name)
	return nil
}

func TestOutboxTwoReplicasExactlyOnce(t *testing.T) {
	t.Parallel()

	const mails = 50

	poolA := migratedDatabase(t)
	poolB := newPool(t, poolA)
	server := smtptest.Start(t)
	smtpSender := newTestSMTPSender(t, testSMTPConfig(server))

	var mu sync.Mutex
	sends := map[string][]string{}
	replicaA := newTestOutbox(t, poolA, countingSender{Sender: smtpSender, name: "A", mu: &mu, sends: sends}, OutboxOptions{})
	replicaB := newTestOutbox(t, poolB, countingSender{Sender: smtpSender, name: "B", mu: &mu, sends: sends}, OutboxOptions{})
	startOutbox(t, replicaA)
	startOutbox(t, replicaB)

	for i := range mails {
		if i%2 == 0 {
			enqueueCommitted(t, poolA, replicaA, testMessage(fmt.Sprintf("user%02d@example.com", i)))
		} else {
			enqueueCommitted(t, poolB, replicaB, testMessage(fmt.Sprintf("user%02d@example.com", i)))
		}
	}

	waitUntil(t, 30*time.Second, fmt.Sprintf("%d mails arrived", mails), func() bool { return len(server.Messages()) >= mails })
	waitUntil(t, 10*time.Second, "every job is completed", func() bool { return jobStates(t, poolA)["completed"] == mails })
	time.Sleep(500 * time.Millisecond)

	if n := len(server.Messages()); n != mails {
		t.Errorf("received %d mails, want %d", n, mails)
	}
	mu.Lock()
	defer mu.Unlock()
	byReplica := map[string]int{}
	for i := range mails {
		to := fmt.Sprintf("user%02d@example.com", i)
		if n := len(server.MessagesTo(to)); n != 1 {
			t.Errorf("%s received %d mails, want 1", to, n)
		}
		if len(sends[to]) != 1 {
			t.Errorf("%s was sent by replicas %v, want exactly one", to, sends[to])
		}
		for _, name := range sends[to] {
			byReplica[name]++
		}
	}
	t.Logf("mails sent by replica: %v", byReplica)
}

func TestOutboxArgsEncrypted(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	o := newTestOutbox(t, pool, NewLogSender(testLogger(t)), OutboxOptions{}) // not started, so the job stays

	enqueueCommitted(t, pool, o, testMessage("alice@example.com"))

	var row string
	err := pool.QueryRow(context.Background(),
		"SELECT concat_ws(' ', args::text, metadata::text, tags::text) FROM river_job WHERE kind = $1", outboxKind).Scan(&row)
	if err != nil {
		t.Fatalf("read job: %v", err)
	}
	for _, secret := range []string{"123456", "alice", "example.com", "sign-in", "Use this code"} {
		if strings.Contains(row, secret) {
			t.Errorf("river_job row contains %q in plain text: %s", secret, row)
		}
	}
}

func TestOutboxSkipsSentMarker(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	server := smtptest.Start(t)
	o := newTestOutbox(t, pool, newTestSMTPSender(t, testSMTPConfig(server)), OutboxOptions{})
	ctx := context.Background()

	// The marker stands for an earlier attempt whose send succeeded but whose completion was
	// lost, such as one on a replica that crashed right after the server accepted the mail.
	enqueueCommitted(t, pool, o, testMessage("carol@example.com"))
	_, err := pool.Exec(ctx, `UPDATE river_job SET metadata = jsonb_set(metadata, '{output}', '{"sent_at": "2030-01-01T00:00:00Z"}')
		WHERE kind = $1`, outboxKind)
	if err != nil {
		t.Fatalf("set sent marker: %v", err)
	}
	enqueueCommitted(t, pool, o, testMessage("later@example.com"))

	startOutbox(t, o)
	server.WaitFor(t, "later@example.com", 10*time.Second)
	waitUntil(t, 10*time.Second, "both jobs are completed", func() bool { return jobStates(t, pool)["completed"] == 2 })

	if n := len(server.MessagesTo("carol@example.com")); n != 0 {
		t.Errorf("received %d mails for a job marked as sent, want 0", n)
	}
}

func TestOutboxDiscardsAfterMaxAttempts(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	server := smtptest.Start(t)
	server.Stop()
	o := newTestOutbox(t, pool, newTestSMTPSender(t, testSMTPConfig(server)), OutboxOptions{MaxAttempts: 2})
	startOutbox(t, o)

	enqueueCommitted(t, pool, o, testMessage("dave@example.com"))
	waitUntil(t, 10*time.Second, "the job is discarded", func() bool { return jobStates(t, pool)["discarded"] == 1 })

	if v := counterValue(t, o.metrics.failedAttempts); v != 2 {
		t.Errorf("failed attempts counter = %v, want 2", v)
	}
	if v := counterValue(t, o.metrics.discarded); v != 1 {
		t.Errorf("discarded counter = %v, want 1", v)
	}
}

// blockingSender signals each Send on started and returns only when release is closed or
// ctx ends.
type blockingSender struct {
	started chan struct{}
	release chan struct{}
	sent    atomic.Int32
}

func (s *blockingSender) Send(ctx context.Context, _ Message) error {
	s.started <- struct{}{}
	select {
	case <-s.release:
		s.sent.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestOutboxStopWaitsForSend(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	sender := &blockingSender{started: make(chan struct{}, 1), release: make(chan struct{})}
	o := newTestOutbox(t, pool, sender, OutboxOptions{})
	startOutbox(t, o)

	enqueueCommitted(t, pool, o, testMessage("erin@example.com"))
	select {
	case <-sender.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no send started")
	}

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- o.Stop(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a send was in progress", err)
	case <-time.After(300 * time.Millisecond):
	}

	close(sender.release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return after the send finished")
	}
	if sender.sent.Load() != 1 {
		t.Errorf("sender finished %d sends, want 1", sender.sent.Load())
	}
	if states := jobStates(t, pool); states["completed"] != 1 {
		t.Errorf("job states after Stop = %v, want one completed job", states)
	}
}

func TestOutboxStopTimeoutCancelsSend(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	sender := &blockingSender{started: make(chan struct{}, 1), release: make(chan struct{})}
	o := newTestOutbox(t, pool, sender, OutboxOptions{})
	startOutbox(t, o)

	enqueueCommitted(t, pool, o, testMessage("frank@example.com"))
	select {
	case <-sender.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no send started")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := o.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want a deadline error", err)
	}
	if states := jobStates(t, pool); states["available"]+states["retryable"] != 1 {
		t.Errorf("job states after a cancelled send = %v, want the job queued for a retry", states)
	}
}

func TestOutboxEnqueueRejectsInvalid(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	o := newTestOutbox(t, pool, NewLogSender(testLogger(t)), OutboxOptions{})
	ctx := context.Background()

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	m := testMessage("not-an-address")
	if err := o.Enqueue(ctx, tx, m); err == nil || !strings.Contains(err.Error(), "not-an-address") {
		t.Errorf("Enqueue error = %v, want one naming the invalid address", err)
	}
}

func TestOutboxQueueDepthMetric(t *testing.T) {
	t.Parallel()

	pool := migratedDatabase(t)
	o := newTestOutbox(t, pool, NewLogSender(testLogger(t)), OutboxOptions{}) // not started

	for i := range 3 {
		enqueueCommitted(t, pool, o, testMessage(fmt.Sprintf("user%d@example.com", i)))
	}
	_, err := pool.Exec(context.Background(), `UPDATE river_job SET state = 'retryable'
		WHERE id = (SELECT min(id) FROM river_job WHERE kind = $1)`, outboxKind)
	if err != nil {
		t.Fatalf("mark a job retryable: %v", err)
	}

	registry := prometheus.NewPedanticRegistry()
	registry.MustRegister(o.Collectors()...)
	families, err := registry.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}

	depth := map[string]float64{}
	names := map[string]bool{}
	for _, family := range families {
		names[family.GetName()] = true
		if family.GetName() != "authd_mail_queue_jobs" {
			continue
		}
		for _, metric := range family.GetMetric() {
			depth[metric.GetLabel()[0].GetValue()] = metric.GetGauge().GetValue()
		}
	}
	if depth["available"] != 2 || depth["retryable"] != 1 {
		t.Errorf("authd_mail_queue_jobs = %v, want available 2 and retryable 1", depth)
	}
	for _, name := range []string{"authd_mail_sent_total", "authd_mail_send_failures_total", "authd_mail_discarded_total"} {
		if !names[name] {
			t.Errorf("metric %s is missing from %v", name, names)
		}
	}
}

func TestNewOutboxValidates(t *testing.T) {
	t.Parallel()

	pool := &pgxpool.Pool{} // never used: every case fails before
	sender := NewLogSender(nil)
	secret := []byte(testSecret)

	cases := []struct {
		name   string
		pool   *pgxpool.Pool
		sender Sender
		opts   OutboxOptions
		want   string
	}{
		{"missing pool", nil, sender, OutboxOptions{Secret: secret}, "missing database pool"},
		{"missing sender", pool, nil, OutboxOptions{Secret: secret}, "missing sender"},
		{"missing secret", pool, sender, OutboxOptions{}, "OutboxOptions.Secret"},
		{"negative workers", pool, sender, OutboxOptions{Secret: secret, Workers: -1}, "Workers=-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewOutbox(tc.pool, tc.sender, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewOutbox error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()

	cases := []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{5, 16 * time.Second},
		{13, 4096 * time.Second},
		{14, 2 * time.Hour},
		{24, 2 * time.Hour},
		{400, 2 * time.Hour},
	}
	for _, tc := range cases {
		for range 20 {
			got := DefaultBackoff(tc.attempt)
			if got < tc.want*9/10 || got > tc.want*11/10 {
				t.Errorf("DefaultBackoff(%d) = %s, want %s ± 10%%", tc.attempt, got, tc.want)
			}
		}
	}

	var total time.Duration
	for attempt := 1; attempt < DefaultMaxAttempts; attempt++ {
		total += DefaultBackoff(attempt)
	}
	if total < 22*time.Hour || total > 28*time.Hour {
		t.Errorf("waits over %d attempts add up to %s, want about 24 hours", DefaultMaxAttempts, total)
	}
}

// BenchmarkOutboxEnqueue measures one Enqueue in a transaction of its own, commit included,
// which is the cost that queuing a mail adds to a request.
func BenchmarkOutboxEnqueue(b *testing.B) {
	pool := migratedDatabase(b)
	o := newTestOutbox(b, pool, NewLogSender(testLogger(b)), OutboxOptions{}) // not started

	m := testMessage("alice@example.com")
	for b.Loop() {
		enqueueCommitted(b, pool, o, m)
	}
}

// BenchmarkOutboxDelivery measures the time from the commit of a queued mail until the SMTP
// server has received it, one mail at a time, with the production fetch settings.
func BenchmarkOutboxDelivery(b *testing.B) {
	pool := migratedDatabase(b)
	server := smtptest.Start(b)
	o, err := NewOutbox(pool, newTestSMTPSender(b, testSMTPConfig(server)), OutboxOptions{Secret: []byte(testSecret), Logger: testLogger(b)})
	if err != nil {
		b.Fatalf("NewOutbox: %v", err)
	}
	startOutbox(b, o)

	m := testMessage("alice@example.com")
	for b.Loop() {
		enqueueCommitted(b, pool, o, m)
		server.WaitFor(b, "alice@example.com", 10*time.Second)
	}
}
