-- Service keys authenticate application backends (Authorization: Bearer).
-- Only the SHA-256 of a key is stored; the key itself is shown once at creation.
CREATE TABLE IF NOT EXISTS "authd_service_key" (
    "id" text NOT NULL PRIMARY KEY,
    "name" text NOT NULL,
    "start" text NOT NULL,
    "keyHash" text NOT NULL UNIQUE,
    "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "lastUsedAt" timestamptz,
    "revokedAt" timestamptz
);
