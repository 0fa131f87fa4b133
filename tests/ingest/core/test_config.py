"""ingest/core/config.py: `redact`, which keeps passwords out of error messages and logs."""

from __future__ import annotations

from ingest.core.config import get_settings, redact


def test_redact_replaces_the_password_of_a_url_dsn():
    text = 'IO Error: Unable to connect to Postgres at "postgresql://publisher:S3cret-pw@db.example:5432/marts": refused'
    assert redact(text) == 'IO Error: Unable to connect to Postgres at "postgresql://publisher:***@db.example:5432/marts": refused'
    assert redact("db+postgresql+psycopg://airflow:p.w_1@postgres-airflow:5432/airflow") == \
        "db+postgresql+psycopg://airflow:***@postgres-airflow:5432/airflow"


def test_redact_replaces_key_value_passwords_quoted_or_not():
    assert redact("host=127.0.0.1 port=5432 user=pub password=S3cretPw dbname=x") == \
        "host=127.0.0.1 port=5432 user=pub password=*** dbname=x"
    assert redact("host=h password='it\\'s a secret' dbname=x") == "host=h password=*** dbname=x"  # libpq's quoting
    assert redact("PGPASSWORD=hunter22 psql") == "PGPASSWORD=*** psql"
    assert redact("Password = abcdef") == "Password = ***"


def test_redact_leaves_text_without_secrets_alone():
    for text in ("redis://redis:6379/0", "http://airflow-apiserver:8080/execution/", "postgresql://reader@h:5432/db",
                 "connection to server at \"127.0.0.1\", port 5432 failed: Connection refused", ""):
        assert redact(text) == text


def test_redact_with_settings_replaces_secret_values_and_dsn_passwords_anywhere():
    settings = get_settings({
        "MAPWH_PG_DSN": "postgresql://publisher:dsn-secret-1@db:5432/marts",
        "MAPWH_PG_READER_PASSWORD": "reader-secret-2",
        "AIRFLOW__CORE__FERNET_KEY": "fernet-key-value-3",
        "AIRFLOW__API_AUTH__JWT_SECRET": "jwt-secret-4",
        "SOME_TOKEN": "tok-5",
        "OTHER_DSN": "host=db user=x password=kv-secret-6",
        "MAPWH_HOME": "/var/lib/mapwh",
        "SHORT_PASSWORD": "ab",
    })
    text = ("FATAL: password authentication failed for dsn-secret-1; reader-secret-2 fernet-key-value-3 jwt-secret-4 "
            "tok-5 kv-secret-6 in /var/lib/mapwh (ab)")
    assert redact(text, settings) == "FATAL: password authentication failed for ***; *** *** *** *** *** in /var/lib/mapwh (ab)"
    assert redact(text, dict(settings.environ)) == redact(text, settings)  # a plain mapping of variables too
