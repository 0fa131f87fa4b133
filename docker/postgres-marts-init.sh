#!/usr/bin/env bash
# postgres-marts, first start only (/docker-entrypoint-initdb.d): the roles the
# warehouse publishes and reads with, so that neither is a superuser.
#
#   MARTS_PUBLISHER_USER   owns the marts database: creates, swaps and drops the
#                          published schema (warehouse/serve_pg.py); not a
#                          superuser, may not create roles or databases
#   mapwh_reader           BI tools: LOGIN NOINHERIT, read-only by role-level
#                          settings it is given no privilege to escape (no
#                          TEMP, no CREATE anywhere, no large objects), with
#                          statement and idle-in-transaction timeouts; may
#                          connect to the marts database only
#
# The superuser (POSTGRES_USER, MARTS_ADMIN_USER in .env) stays inside this
# container: no other service is given its password.
# Also runnable against any server by an administrator: PGHOST/PGPORT and
# POSTGRES_USER, POSTGRES_DB, MARTS_PUBLISHER_USER, MARTS_PUBLISHER_PASSWORD,
# MARTS_READER_PASSWORD in the environment.
set -euo pipefail

: "${POSTGRES_USER:?}" "${POSTGRES_DB:?}" "${MARTS_PUBLISHER_USER:?}" "${MARTS_PUBLISHER_PASSWORD:?}" "${MARTS_READER_PASSWORD:?}"
reader="${MARTS_READER_ROLE:-mapwh_reader}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v db="$POSTGRES_DB" -v publisher="$MARTS_PUBLISHER_USER" -v publisher_pw="$MARTS_PUBLISHER_PASSWORD" \
     -v reader="$reader" -v reader_pw="$MARTS_READER_PASSWORD" <<'SQL'
select format('create role %I login nosuperuser nocreatedb nocreaterole noinherit password %L', :'publisher', :'publisher_pw')
 where not exists (select 1 from pg_roles where rolname = :'publisher') \gexec
select format('alter role %I login nosuperuser nocreatedb nocreaterole password %L', :'publisher', :'publisher_pw') \gexec
select format('create role %I login nosuperuser nocreatedb nocreaterole noinherit password %L', :'reader', :'reader_pw')
 where not exists (select 1 from pg_roles where rolname = :'reader') \gexec
select format('alter role %I login nosuperuser nocreatedb nocreaterole noinherit noreplication nobypassrls password %L',
              :'reader', :'reader_pw') \gexec
select format('alter role %I set default_transaction_read_only = on', :'reader') \gexec
select format('alter role %I set statement_timeout = %L', :'reader', '5min') \gexec
select format('alter role %I set idle_in_transaction_session_timeout = %L', :'reader', '10min') \gexec

-- the publisher owns the marts database (and so may create schemas in it and grant on it)
select format('alter database %I owner to %I', :'db', :'publisher') \gexec
-- only named roles connect; nobody gets TEMP through PUBLIC
select format('revoke connect, temporary on database %I from public', :'db') \gexec
select format('grant connect on database %I to %I, %I', :'db', :'publisher', :'reader') \gexec
select format('revoke connect, temporary on database %I from public', datname)
  from pg_database where datallowconn and datname <> :'db' \gexec
revoke create on schema public from public;
revoke execute on function lo_creat(integer), lo_create(oid), lo_from_bytea(oid, bytea) from public;
SQL
echo "postgres-marts: roles ${MARTS_PUBLISHER_USER} (publisher) and ${reader} (read-only) ready"
