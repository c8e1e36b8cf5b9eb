-- Admin plugin: the audit log, and indexes for list-users.

-- One row per change made through the admin endpoints or the authd command
-- line, written in the transaction of the change. targetUserId has no
-- foreign key: the record of a removed user must outlive the user.
CREATE TABLE IF NOT EXISTS "authd_audit_event" (
    "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "createdAt" timestamptz NOT NULL,
    "actorType" text NOT NULL,
    "actorId" text NOT NULL,
    "action" text NOT NULL,
    "targetUserId" text,
    "requestId" text,
    "ipAddress" text,
    "details" jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX IF NOT EXISTS "authd_audit_event_createdAt_idx" ON "authd_audit_event" ("createdAt");
CREATE INDEX IF NOT EXISTS "authd_audit_event_actorId_idx" ON "authd_audit_event" ("actorId", "createdAt");
CREATE INDEX IF NOT EXISTS "authd_audit_event_targetUserId_idx" ON "authd_audit_event" ("targetUserId", "createdAt");
CREATE INDEX IF NOT EXISTS "authd_audit_event_action_idx" ON "authd_audit_event" ("action", "createdAt");

-- list-users orders by createdAt, id unless told otherwise.
CREATE INDEX IF NOT EXISTS "authd_user_createdAt_idx" ON "user" ("createdAt", "id");
CREATE INDEX IF NOT EXISTS "authd_user_role_idx" ON "user" ("role");

-- list-users searches email and name with LIKE '%value%', which only a
-- trigram index serves. pg_trgm is a trusted extension since PostgreSQL
-- 13, so the database owner may create it without superuser rights. Where
-- it still cannot be created (an older server, or a role without CREATE on
-- the database), the migration goes on without the two indexes and the
-- search scans the table instead.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'authd: pg_trgm is not available (%); list-users search will scan the user table', SQLERRM;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS "authd_user_email_trgm_idx" ON "user" USING gin ("email" gin_trgm_ops);
        CREATE INDEX IF NOT EXISTS "authd_user_name_trgm_idx" ON "user" USING gin ("name" gin_trgm_ops);
    END IF;
END
$$;
