-- API Key plugin. The "apikey" table has Better Auth 1.7's columns, names
-- and nullability, so a database that Better Auth created keeps working and
-- keys it issued verify in authd. Better Auth's migrator creates the two
-- millisecond columns as integer (at most about 24.8 days). A new table
-- gets bigint instead, and authd reads both.
CREATE TABLE IF NOT EXISTS "apikey" (
    "id" text NOT NULL PRIMARY KEY,
    "configId" text NOT NULL,
    "name" text,
    "start" text,
    "referenceId" text NOT NULL,
    "prefix" text,
    "key" text NOT NULL,
    "refillInterval" bigint,
    "refillAmount" integer,
    "lastRefillAt" timestamptz,
    "enabled" boolean,
    "rateLimitEnabled" boolean,
    "rateLimitTimeWindow" bigint,
    "rateLimitMax" integer,
    "requestCount" integer,
    "remaining" integer,
    "lastRequest" timestamptz,
    "expiresAt" timestamptz,
    "createdAt" timestamptz NOT NULL,
    "updatedAt" timestamptz NOT NULL,
    "permissions" text,
    "metadata" text
);

-- The per-key token bucket of authd's rate limit: tokens left at the time
-- of the last admitted request. Both are NULL for a full bucket, which is
-- how rows written by Better Auth start. They live on the key's row, not in
-- a table of their own, so that verification stays a single-row update
-- with no join, and a deleted key takes its bucket with it. Better Auth
-- ignores columns it does not know.
ALTER TABLE "apikey" ADD COLUMN IF NOT EXISTS "authdRateLimitTokens" double precision;
ALTER TABLE "apikey" ADD COLUMN IF NOT EXISTS "authdRateLimitUpdatedAt" timestamptz;

-- Verification looks a key up by its hash. The index is unique because
-- the verification statement relies on at most one row per hash. Better
-- Auth's own index on "key" (apikey_key_idx) is not unique.
CREATE UNIQUE INDEX IF NOT EXISTS "authd_apikey_key_uidx" ON "apikey" ("key");
-- Better Auth's index names, so its migrator finds nothing missing.
CREATE INDEX IF NOT EXISTS "apikey_referenceId_idx" ON "apikey" ("referenceId");
CREATE INDEX IF NOT EXISTS "apikey_configId_idx" ON "apikey" ("configId");
-- The sweep of long-expired keys.
CREATE INDEX IF NOT EXISTS "authd_apikey_expiresAt_idx" ON "apikey" ("expiresAt") WHERE "expiresAt" IS NOT NULL;

-- Decodes the JSON text of a permissions column, or returns NULL when the
-- text is empty or not JSON, as Better Auth's lenient parser does. It lets
-- the verification statement compare permissions without failing on a row
-- that another tool wrote badly.
CREATE OR REPLACE FUNCTION "authd_apikey_json"(value text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL OR btrim(value) = '' THEN
        RETURN NULL;
    END IF;
    RETURN value::jsonb;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;
