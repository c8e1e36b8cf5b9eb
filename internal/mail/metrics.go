package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// queueDepthTimeout bounds the query behind the queue depth gauge, so a slow database
// cannot stall a scrape.
const queueDepthTimeout = 2 * time.Second

type outboxMetrics struct {
	sent           prometheus.Counter
	failedAttempts prometheus.Counter
	discarded      prometheus.Counter
	queueDepth     *queueDepthCollector
}

func newOutboxMetrics(pool *pgxpool.Pool, logger *slog.Logger) *outboxMetrics {
	return &outboxMetrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authd_mail_sent_total",
			Help: "Mails that the mail server accepted, sent by this replica.",
		}),
		failedAttempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authd_mail_send_failures_total",
			Help: "Failed attempts to send a queued mail on this replica; each is retried unless it was the last.",
		}),
		discarded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authd_mail_discarded_total",
			Help: "Mails given up on this replica after their last attempt failed.",
		}),
		queueDepth: &queueDepthCollector{
			pool:   pool,
			logger: logger,
			desc: prometheus.NewDesc("authd_mail_queue_jobs",
				"Queued mails waiting to be sent, by river job state, across all replicas.",
				[]string{"state"}, nil),
		},
	}
}

// Collectors returns the outbox's Prometheus collectors for the caller to register:
// authd_mail_sent_total, authd_mail_send_failures_total and authd_mail_discarded_total
// count this replica's work, and authd_mail_queue_jobs{state="available"|"retryable"} is
// read from the database at each scrape, so it is the same on every replica.
func (o *Outbox) Collectors() []prometheus.Collector {
	m := o.metrics
	return []prometheus.Collector{m.sent, m.failedAttempts, m.discarded, m.queueDepth}
}

// queueDepthCollector counts the mail jobs that wait for a worker: "available" ones are due
// now or soon, "retryable" ones failed and wait for their backoff.
type queueDepthCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	desc   *prometheus.Desc
}

func (c *queueDepthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect queries river_job. If the query fails it logs the error and reports nothing, so
// that the other metrics of the scrape still arrive.
func (c *queueDepthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueDepthTimeout)
	defer cancel()

	var available, retryable int64
	err := c.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE state = 'available'),
		       count(*) FILTER (WHERE state = 'retryable')
		FROM river_job
		WHERE kind = $1 AND state IN ('available', 'retryable')`, outboxKind).Scan(&available, &retryable)
	if err != nil {
		c.logger.Warn("count queued mails for the authd_mail_queue_jobs metric failed", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(available), "available")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(retryable), "retryable")
}
