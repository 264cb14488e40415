-- Used by deploy/compose.yaml only (docker-entrypoint-initdb.d); the official image already
-- creates role/database "angeli" from POSTGRES_USER/POSTGRES_DB.
CREATE DATABASE angeli_test OWNER angeli;
