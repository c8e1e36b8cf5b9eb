-- Counters of the core rate limiter when AUTHD_RATE_LIMIT_STORAGE=database,
-- shared by every replica. One row per "<client ip>|<path>" key.
--
-- The table is UNLOGGED: counters are short-lived (one window, seconds to
-- minutes), so skipping the write-ahead log halves the cost of each counted
-- request. The price is that Postgres empties the table after a crash and
-- does not copy it to standbys; after a failover every client starts with a
-- fresh window, which is the same as restarting an in-memory limiter.
CREATE UNLOGGED TABLE IF NOT EXISTS "authd_rate_limit" (
    "key" text NOT NULL PRIMARY KEY,
    -- Requests admitted in the current window.
    "count" integer NOT NULL,
    -- Time of the last admitted request, in epoch milliseconds.
    "lastRequest" bigint NOT NULL,
    -- Window of the rule that counted the key, in milliseconds, so the
    -- cleanup can tell expired rows without knowing the rules.
    "windowMs" bigint NOT NULL
);
