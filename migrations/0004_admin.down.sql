-- pg_trgm stays installed: other tables of the database may use it.
DROP INDEX IF EXISTS "authd_user_name_trgm_idx";
DROP INDEX IF EXISTS "authd_user_email_trgm_idx";
DROP INDEX IF EXISTS "authd_user_role_idx";
DROP INDEX IF EXISTS "authd_user_createdAt_idx";
DROP TABLE IF EXISTS "authd_audit_event";
