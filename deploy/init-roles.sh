#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): the three roles of README's
# "Database roles", with the passwords compose passes in. Runs once, on an empty volume.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE coach_owner LOGIN PASSWORD '${COACH_OWNER_PASSWORD}';
CREATE DATABASE coach OWNER coach_owner;
CREATE ROLE coach_app LOGIN PASSWORD '${COACH_APP_PASSWORD}' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE coach_worker LOGIN PASSWORD '${COACH_WORKER_PASSWORD}' NOSUPERUSER BYPASSRLS;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname coach <<SQL
SET ROLE coach_owner;
GRANT USAGE ON SCHEMA public TO coach_app, coach_worker;
ALTER DEFAULT PRIVILEGES FOR ROLE coach_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO coach_app, coach_worker;
SQL
