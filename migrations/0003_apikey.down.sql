-- Dropping the table deletes every API key, including keys that Better
-- Auth issued. This is only for development databases.
DROP FUNCTION IF EXISTS "authd_apikey_json"(text);
DROP TABLE IF EXISTS "apikey";
