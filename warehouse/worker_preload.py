"""What a warm Airflow worker imports once, before it forks each task (decision 0044).

Airflow 3 runs every task in a process forked from the worker (`os.fork` on
Linux), so what the worker has imported, every task has without paying for
it. The slowest imports of this project's tasks are Great Expectations' own
(about 2.6 s: scipy, altair and SQLAlchemy come with it), paid by every load
and by every mart gate, then the pipeline and the report's charting. The
Celery worker imports this module when it starts (`imports` in
`warehouse.celery_config.CELERY_CONFIG`, named by
`AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS` in docker-compose.yml).

Only imports and pure, handle-free warm-ups: no file, connection or thread is
opened here (`warehouse.orchestration` reads its parse-time settings into
values, as every DAG parse does), so the forked tasks share nothing but code.
"""

from __future__ import annotations

import altair  # noqa: F401 - the report's charts
import great_expectations  # noqa: F401
import vl_convert  # noqa: F401 - the report's Vega bundle
from great_expectations.core import ExpectationSuite  # noqa: F401
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: F401
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration  # noqa: F401

from ingest import registry  # noqa: F401 - every source module
from warehouse import build, gates, orchestration, pipeline, report  # noqa: F401

gates._page_view()  # GX's page view and renderer, made once (their Jinja templates compile on first use)
