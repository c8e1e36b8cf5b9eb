DROP TABLE IF EXISTS "authd_service_key";
