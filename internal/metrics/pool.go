package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector reports the statistics of a pgx pool at each scrape. They
// describe this replica's pool only.
type PoolCollector struct {
	pool *pgxpool.Pool

	conns         *prometheus.Desc
	maxConns      *prometheus.Desc
	acquires      *prometheus.Desc
	emptyAcquires *prometheus.Desc
	canceled      *prometheus.Desc
	acquireTime   *prometheus.Desc
	emptyWaitTime *prometheus.Desc
	newConns      *prometheus.Desc
}

// NewPoolCollector returns a collector of pool's statistics.
func NewPoolCollector(pool *pgxpool.Pool) *PoolCollector {
	return &PoolCollector{
		pool: pool,
		conns: prometheus.NewDesc("authd_db_pool_connections",
			"Connections of the database pool by state: acquired (in use), idle, constructing.", []string{"state"}, nil),
		maxConns: prometheus.NewDesc("authd_db_pool_max_connections",
			"Largest number of connections the pool opens (AUTHD_DATABASE_MAX_CONNS).", nil, nil),
		acquires: prometheus.NewDesc("authd_db_pool_acquires_total",
			"Connections handed out by the pool.", nil, nil),
		emptyAcquires: prometheus.NewDesc("authd_db_pool_empty_acquires_total",
			"Acquires that found no idle connection and had to wait for one or open one; a fast rise means the pool is too small.", nil, nil),
		canceled: prometheus.NewDesc("authd_db_pool_canceled_acquires_total",
			"Acquires given up because the request's context ended first.", nil, nil),
		acquireTime: prometheus.NewDesc("authd_db_pool_acquire_seconds_total",
			"Time spent acquiring connections, summed over all acquires.", nil, nil),
		emptyWaitTime: prometheus.NewDesc("authd_db_pool_empty_acquire_wait_seconds_total",
			"Time spent waiting by acquires that found no idle connection.", nil, nil),
		newConns: prometheus.NewDesc("authd_db_pool_new_connections_total",
			"Connections the pool opened to Postgres.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.maxConns, c.acquires, c.emptyAcquires, c.canceled, c.acquireTime, c.emptyWaitTime, c.newConns} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. pgxpool.Stat reads counters in
// memory, so a scrape costs no query.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(c.maxConns, gauge, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.acquires, counter, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.emptyAcquires, counter, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.canceled, counter, float64(s.CanceledAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.acquireTime, counter, s.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(c.emptyWaitTime, counter, s.EmptyAcquireWaitTime().Seconds())
	ch <- prometheus.MustNewConstMetric(c.newConns, counter, float64(s.NewConnsCount()))
}
