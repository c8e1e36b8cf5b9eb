package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// The river job kind and queue of queued mails. The queue is authd's own, so another river
// client in the same database that works other queues never fetches mail jobs.
const (
	outboxKind  = "authd_mail"
	outboxQueue = "authd_mail"
)

// Outbox defaults.
const (
	// DefaultOutboxWorkers is how many mails one replica sends at the same time.
	DefaultOutboxWorkers = 4
	// DefaultMaxAttempts is how often a mail is tried before river discards it. With
	// DefaultBackoff the last try is about 24 hours after the first.
	DefaultMaxAttempts = 25
)

// Retention of finished jobs. A completed job holds nothing worth keeping, so it is deleted
// soon. A discarded job stays for a week so that an operator can see why the mail failed
// (river_job.errors) and retry it.
const (
	completedJobRetention = time.Minute
	discardedJobRetention = 7 * 24 * time.Hour
)

// jobTimeout bounds one attempt and cancels the context passed to the Sender. It is far above
// DefaultSMTPTimeout, which bounds each SMTP step. stuckJobRescueAfter is how long a job may
// stay "running" before river's rescuer hands it to another worker: this happens only when
// the replica that fetched it died, and it must exceed jobTimeout.
const (
	jobTimeout          = time.Minute
	stuckJobRescueAfter = 5 * time.Minute
)

// OutboxOptions configures an Outbox. Only Secret is required.
type OutboxOptions struct {
	// Secret is the server secret. The outbox derives its encryption key from it, so every
	// replica must use the same secret, and mails queued before a change of secret cannot be
	// decrypted after it: they are retried and finally discarded.
	Secret []byte
	// Logger receives the outbox's and river's logs. Nil means slog.Default().
	Logger *slog.Logger
	// Workers is how many mails this replica sends at the same time. Zero means
	// DefaultOutboxWorkers.
	Workers int
	// MaxAttempts is how often a mail is tried in total. Zero means DefaultMaxAttempts.
	MaxAttempts int
	// Backoff returns the wait after the given failed attempt, counted from 1. Nil means
	// DefaultBackoff. Tests pass a short one.
	Backoff func(attempt int) time.Duration

	// fetchPollInterval overrides river's fallback poll for due jobs (1 s) in tests. Retries
	// due within a few seconds are only found by this poll, not by LISTEN/NOTIFY.
	fetchPollInterval time.Duration
}

// DefaultBackoff waits 1 s after the first failed attempt and doubles the wait after each
// further one, up to 2 hours. It adds or removes up to 10 % at random, so mails that failed
// together do not all retry at the same moment. Over 24 failed attempts the waits add up to
// about 24 hours.
func DefaultBackoff(attempt int) time.Duration {
	const maxWait = 2 * time.Hour

	wait := maxWait
	if attempt < 14 { // 2^13 s is already above maxWait
		wait = min(time.Duration(1<<max(attempt-1, 0))*time.Second, maxWait)
	}
	jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(wait))
	return wait + jitter
}

// Outbox queues mails in Postgres with river and sends them from background workers, so
// that a mail is sent if and only if the transaction that queued it commits, and a mail
// server outage delays mails instead of losing them.
//
// Delivery is at least once. Many replicas may run an Outbox on the same database: river
// locks each job while one worker runs it (SELECT ... FOR UPDATE SKIP LOCKED), so each mail
// goes out once in normal operation. See Work for the rare case of a second delivery.
type Outbox struct {
	client  *river.Client[pgx.Tx]
	sender  Sender
	sealer  *sealer
	backoff func(attempt int) time.Duration
	logger  *slog.Logger
	metrics *outboxMetrics
}

// NewOutbox returns an outbox that queues mails in pool's database and sends them with
// sender. MigrateOutbox must have created river's tables first. The outbox can queue mails
// at once, but sends them only between Start and Stop.
func NewOutbox(pool *pgxpool.Pool, sender Sender, opts OutboxOptions) (*Outbox, error) {
	if pool == nil {
		return nil, errors.New("create mail outbox: missing database pool")
	}
	if sender == nil {
		return nil, errors.New("create mail outbox: missing sender")
	}
	sealer, err := newSealer(opts.Secret)
	if err != nil {
		return nil, fmt.Errorf("create mail outbox: %w", err)
	}

	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Workers == 0 {
		opts.Workers = DefaultOutboxWorkers
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.Workers < 0 || opts.MaxAttempts < 0 {
		return nil, fmt.Errorf("create mail outbox: invalid options Workers=%d, MaxAttempts=%d: expected positive numbers or zero for the default",
			opts.Workers, opts.MaxAttempts)
	}

	o := &Outbox{
		sender:  sender,
		sealer:  sealer,
		backoff: opts.Backoff,
		logger:  opts.Logger,
		metrics: newOutboxMetrics(pool, opts.Logger),
	}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &outboxWorker{outbox: o}); err != nil {
		return nil, fmt.Errorf("create mail outbox: %w", err)
	}
	o.client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:                      map[string]river.QueueConfig{outboxQueue: {MaxWorkers: opts.Workers}},
		Workers:                     workers,
		MaxAttempts:                 opts.MaxAttempts,
		CompletedJobRetentionPeriod: completedJobRetention,
		DiscardedJobRetentionPeriod: discardedJobRetention,
		JobTimeout:                  jobTimeout,
		RescueStuckJobsAfter:        stuckJobRescueAfter,
		FetchPollInterval:           opts.fetchPollInterval,
		Logger:                      opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("create mail outbox: %w", err)
	}
	return o, nil
}

// Start starts the workers that send queued mails. It returns once they run, and sending
// goes on in the background until Stop is called or ctx is cancelled, which stops the outbox
// like Stop.
func (o *Outbox) Start(ctx context.Context) error {
	if err := o.client.Start(ctx); err != nil {
		return fmt.Errorf("start mail outbox: %w", err)
	}
	return nil
}

// Stop stops fetching mails and waits until the sends in progress finish. If ctx ends first,
// Stop cancels those sends, waits up to 5 s more for them to return, and returns ctx's
// error. A cancelled mail stays queued and is retried by a running replica or after the
// next Start.
func (o *Outbox) Stop(ctx context.Context) error {
	err := o.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}

	o.logger.Warn("mail outbox stop timed out; cancelling the sends in progress", "error", err)
	cancelCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if cancelErr := o.client.StopAndCancel(cancelCtx); cancelErr != nil {
		return fmt.Errorf("stop mail outbox: %w", errors.Join(err, cancelErr))
	}
	return fmt.Errorf("stop mail outbox: %w", err)
}

// Enqueue queues m in the caller's transaction tx: the mail is sent only if tx commits, and
// is not lost once it has. Queue the mail in the same transaction that stores the code it
// carries. Enqueue validates m first, so an invalid address fails here and not in a worker.
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}

	mailID := newMailID()
	sealed, err := o.sealer.seal(mailID, m)
	if err != nil {
		return fmt.Errorf("queue mail to %s: %w", m.To, err)
	}
	if _, err := o.client.InsertTx(ctx, tx, outboxArgs{MailID: mailID, Sealed: sealed}, nil); err != nil {
		return fmt.Errorf("queue mail to %s: %w", m.To, err)
	}
	return nil
}

// outboxArgs are the river job arguments of one mail. Only the random mail ID is readable;
// the message, with its recipient and code, is sealed.
type outboxArgs struct {
	MailID string `json:"mail_id"`
	Sealed []byte `json:"sealed"`
}

func (outboxArgs) Kind() string { return outboxKind }

func (outboxArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: outboxQueue} }

// sentMarker is stored as the job's river output once the mail server accepted the mail.
type sentMarker struct {
	SentAt time.Time `json:"sent_at"`
}

type outboxWorker struct {
	river.WorkerDefaults[outboxArgs]
	outbox *Outbox
}

// Work sends one queued mail.
//
// River runs a job at least once. A mail would go out twice if the server accepted it but
// the job then ran again: when river rescues a job whose replica stopped responding, or when
// a retry follows a send whose completion river did not record. Two guards narrow this:
//
//   - Right after the server accepts the mail, Work stores a sent marker as the job's output
//     in its own statement, which succeeds whatever state river has moved the job to. Every
//     attempt checks the marker first and sends nothing if it is set.
//   - SMTPSender returns nil once the server accepted the mail, even if RSET or QUIT fail.
//
// The window left is the time between the server's acceptance and the marker's commit,
// usually a few milliseconds. Only a crash of the replica or a loss of the database in that
// window leads to a second delivery, which then carries the same Message-ID as the first.
func (w *outboxWorker) Work(ctx context.Context, job *river.Job[outboxArgs]) error {
	o := w.outbox
	logger := o.logger.With("mail_id", job.Args.MailID, "job_id", job.ID, "attempt", job.Attempt)

	if len(job.Output()) > 0 {
		logger.InfoContext(ctx, "mail was already sent by an earlier attempt; not sending it again")
		return nil
	}

	m, err := o.sealer.open(job.Args.MailID, job.Args.Sealed)
	if err != nil {
		o.recordFailure(ctx, logger, job, err)
		return err
	}
	m.messageID = job.Args.MailID
	logger = logger.With("to", m.To)

	if err := o.sender.Send(ctx, m); err != nil {
		o.recordFailure(ctx, logger, job, err)
		return redactRecipient(err, m.To)
	}
	o.metrics.sent.Inc()

	// The job's context may be cancelled by now (timeout or hard stop), but the marker must
	// still be written, because the mail is out.
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err = o.client.JobUpdate(markCtx, job.ID, &river.JobUpdateParams{Output: sentMarker{SentAt: time.Now().UTC()}})
	if err != nil {
		logger.ErrorContext(ctx, "mail sent, but recording it failed; if river also fails to record completion, the mail is sent again",
			"error", err)
	} else {
		logger.InfoContext(ctx, "mail sent")
	}
	return nil
}

// recordFailure counts and logs a failed attempt. The log line contains the recipient
// address, which operators need when a user reports a missing code. It never contains the
// subject or body, because they contain the code.
func (o *Outbox) recordFailure(ctx context.Context, logger *slog.Logger, job *river.Job[outboxArgs], err error) {
	o.metrics.failedAttempts.Inc()

	if job.Attempt >= job.MaxAttempts {
		o.metrics.discarded.Inc()
		logger.ErrorContext(ctx, "mail send failed on the last attempt; river discards the mail",
			"max_attempts", job.MaxAttempts, "error", err)
		return
	}
	logger.WarnContext(ctx, "mail send failed; river retries it after a backoff",
		"max_attempts", job.MaxAttempts, "error", err)
}

// redactRecipient returns err with every mention of the recipient address replaced, for
// river to store in river_job.errors. The log line of the attempt keeps the full error.
func redactRecipient(err error, to string) error {
	pattern := regexp.MustCompile("(?i)" + regexp.QuoteMeta(to))
	return errors.New(pattern.ReplaceAllLiteralString(err.Error(), "[recipient]"))
}

// NextRetry schedules the next attempt after a failed one with the outbox's backoff.
func (w *outboxWorker) NextRetry(job *river.Job[outboxArgs]) time.Time {
	return time.Now().Add(w.outbox.backoff(job.Attempt))
}
