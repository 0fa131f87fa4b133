"""Development data: the SYNTHETIC offline sample of every source and the local HTTP mirror that serves it.

`devdata.sample` (police.uk, census, boundaries), `devdata.pas` (MOPAC
PAS) and `devdata.workforce` (Home Office workforce, joiners and promotions
tables, 2007-2025) invent deterministic stand-ins for the real files in their exact
published formats, from the reference data in `devdata.boroughs`;
`devdata.mirror` serves such a directory, or a copy of `../shared/data`, on
127.0.0.1 so that the pipeline reads it through its ordinary URLs;
`devdata.bench` times the load steps and a build on the sample. Run
`python -m devdata generate` or `python -m devdata serve`. This package is
for development and tests only: it is not installed, and the runtime
(`ingest`, `warehouse`, `dags`) never imports it.
"""
