-- Dropping the core tables deletes every user. This is only for development
-- databases that authd created itself.
DROP TABLE IF EXISTS "verification";
DROP TABLE IF EXISTS "account";
DROP TABLE IF EXISTS "session";
DROP TABLE IF EXISTS "user";
