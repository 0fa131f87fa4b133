"""ingest/raw_zone.py: byte-for-byte, append-only landing with a checksummed manifest."""

from __future__ import annotations

import hashlib

from ingest.core.files import read_jsonl
from ingest.core.raw_zone import land, verify


def test_landing_is_byte_for_byte_and_append_only(tmp_path):
    first = land(tmp_path, source="s", period="2024-09", url="u1", content=b"[1]", extension="json", records=1, status="fetched")
    again = land(tmp_path, source="s", period="2024-09", url="u1", content=b"[1]", extension="json", records=1, status="fetched")
    other = land(tmp_path, source="s", period="2024-09", url="u1", content=b"[1,2]", extension="json", records=2, status="fetched")

    assert (tmp_path / first.path).read_bytes() == b"[1]"
    assert first.sha256 == hashlib.sha256(b"[1]").hexdigest()
    assert first.path == again.path and first.batch_id == again.batch_id  # same bytes stored once
    assert other.path != first.path and (tmp_path / first.path).read_bytes() == b"[1]"  # never overwritten
    rows = read_jsonl(tmp_path / "manifest.jsonl")
    assert [r["records"] for r in rows] == [1, 1, 2]  # every landing is recorded
    assert {"source", "period", "url", "sha256", "bytes", "records", "fetched_at", "status"} <= set(rows[0])
    assert all(verify(tmp_path, r) for r in rows)


def test_verify_notices_a_changed_file(tmp_path):
    batch = land(tmp_path, source="s", period="p", url="u", content=b"abc", extension="csv", records=1, status="fetched")
    (tmp_path / batch.path).write_bytes(b"abd")
    assert not verify(tmp_path, batch.as_dict())


def test_a_torn_last_line_is_skipped_and_never_swallows_the_next(tmp_path, caplog):
    land(tmp_path, source="s", period="p", url="u", content=b"[1]", extension="json", records=1, status="fetched")
    with (tmp_path / "manifest.jsonl").open("a") as fh:
        fh.write('{"source": "s", "period": "p", "sha2')  # a writer died here
    land(tmp_path, source="s", period="p", url="u", content=b"[1,2]", extension="json", records=2, status="fetched")
    rows = read_jsonl(tmp_path / "manifest.jsonl")
    assert [r["records"] for r in rows] == [1, 2]
    assert "not a whole JSON record" in caplog.text


def test_landed_files_get_the_permissions_the_umask_gives(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        batch = land(tmp_path, source="s", period="p", url="u", content=b"[]", extension="json", records=0, status="empty")
    finally:
        os.umask(old)
    assert (tmp_path / batch.path).stat().st_mode & 0o777 == 0o640  # not mkstemp's 0o600
    assert (tmp_path / "manifest.jsonl").stat().st_mode & 0o777 == 0o640
