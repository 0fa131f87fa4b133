"""Failures reach people: an email per task that failed for good, through Airflow's SMTP notifier.

Off by default: with `MAPWH_NOTIFY_EMAIL` unset nothing is sent. Every task has
`notify_failure` as a failure callback (`warehouse.orchestration.DEFAULT_ARGS`),
so Airflow calls it once per task that failed for good (a retry is not a
failure), in the task's own process, whatever failed: a rejected batch, a
failed gate, an error before the task's own handling, a timeout. It reads the
settings when it runs, not when DAGs are parsed, so only the workers need them.

The message is sent by `airflow.providers.smtp.notifications.smtp.SmtpNotifier`
through an Airflow connection (`MAPWH_NOTIFY_SMTP_CONN_ID`, `smtp_default`:
`AIRFLOW_CONN_SMTP_DEFAULT=smtp://user:password@host:587` in the environment).
A notifier renders its template fields into itself, so each failure gets a
fresh one: one instance shared by every task would send the first failure's
subject for all the others.
"""

from __future__ import annotations

import html
import logging
import socket

from ingest.core.config import get_settings

log = logging.getLogger(__name__)


def failure_message(context) -> tuple[str, str]:
    """The subject and HTML body of a task failure's email: what failed, why, and where to look next."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id, task_id = getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", None) or getattr(context.get("dag_run"), "run_id", "?")
    exc = context.get("exception")
    reason = f"{type(exc).__name__}: {exc}" if exc is not None else "no exception was given"
    first_line = reason.splitlines()[0][:200]
    home = get_settings().home
    subject = f"[mapwh] {dag_id}.{task_id} failed: {first_line}"
    body = (
        f"<p>The task <b>{html.escape(dag_id)}.{html.escape(task_id)}</b> failed for good "
        f"(run <code>{html.escape(str(run_id))}</code>, on {html.escape(socket.gethostname())}).</p>"
        f"<pre>{html.escape(reason[:4000])}</pre>"
        f"<p>The published warehouse keeps serving its last good build. "
        f"<code>mapwh status</code> (MAPWH_HOME {html.escape(str(home))}) lists the failure, and any batch held "
        f"in quarantine with its validation report; the task's log is in Airflow.</p>"
    )
    return subject, body


def notify_failure(context) -> None:
    """A failure callback: email `MAPWH_NOTIFY_EMAIL` about this task's failure (nothing when it is unset).

    It never raises: a mail server that is down must not hide the failure it was telling about, which
    `orchestration.record_task_failure` records either way."""
    settings = get_settings().vars
    recipients = [a.strip() for a in settings.notify_email.split(",") if a.strip()]
    if not recipients:
        return
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    subject, body = failure_message(context)
    try:
        SmtpNotifier(to=recipients, from_email=settings.notify_from or None, subject=subject, html_content=body,
                     smtp_conn_id=settings.notify_smtp_conn_id).notify(context)
    except Exception:  # noqa: BLE001 - logged; the failure itself is recorded by the other callback
        log.exception("could not send the failure notification to %s", ", ".join(recipients))
    else:
        log.info("failure notification sent to %s", ", ".join(recipients))
