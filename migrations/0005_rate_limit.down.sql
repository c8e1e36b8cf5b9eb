DROP TABLE IF EXISTS "authd_rate_limit";
