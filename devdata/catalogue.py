"""Publisher catalogues for the offline sample: the answers the real catalogues give, listing the sample's files.

Sources whose files move between releases find them through a catalogue
(`ingest.core.discovery`): the London Datastore's CKAN `package_show` and the
GOV.UK Content API. The generators describe their files here, and the
mirror (`devdata.mirror`) serves the answers, so `make run` reaches the data
the way a fresh deployment reaches the real sites. The answers are written
with the placeholder `{mirror}` where the real ones have the site's address;
the mirror puts its own base URL there when it serves them.

- `catalogue/london_datastore/<dataset>.json`: a CKAN `package_show` answer
  (`success`, `result.resources[]` with `name`, `url`, `format`,
  `last_modified`). The mirror serves it at `/api/3/action/package_show?id=`
  and, reshaped as the site's own API does it (resources keyed by id, with
  `title` and `check_timestamp`), at `/api/dataset/<dataset>`.
- `catalogue/govuk/<page path>.json`: a Content API item (`base_path`,
  `title`, `schema_name`, `document_type`, `public_updated_at`,
  `details.attachments[]` with `attachment_type`, `id`, `title`, `url`,
  `content_type`, `filename`, `file_size`), served at `/api/content/<page path>`;
  a collection item (`schema_name` `document_collection`, `links.documents[]` with `base_path`) the same way.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from devdata.boroughs import write_file

MIRROR = "{mirror}"
CATALOGUE_DIR = Path("catalogue")
LONDON_DATASTORE_DIR = CATALOGUE_DIR / "london_datastore"
GOVUK_DIR = CATALOGUE_DIR / "govuk"
CONTENT_TYPES = {
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_url(relpath: Path | str) -> str:
    """The mirror URL of a sample file (`{mirror}/files/<relpath>`)."""
    return f"{MIRROR}/files/{quote(PurePosixPath(Path(relpath).as_posix()).as_posix())}"


def _id(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def write_ckan_package(out_dir: Path, dataset: str, title: str, resources: list[dict]) -> Path:
    """A `package_show` answer listing `resources` (each: `relpath`, `name`, `last_modified`; format from the suffix)."""
    listed = []
    for r in resources:
        rid = _id(dataset, str(r["relpath"]))
        suffix = Path(r["relpath"]).suffix.lstrip(".").upper()
        listed.append({"id": f"{rid[:8]}-{rid[8:12]}-{rid[12:16]}-{rid[16:20]}-{rid[20:32]}", "package_id": dataset,
                       "name": r["name"], "url": file_url(r["relpath"]), "format": suffix,
                       "last_modified": r["last_modified"], "created": r["last_modified"]})
    answer = {"help": f"{MIRROR}/api/3/action/help_show?name=package_show", "success": True,
              "result": {"name": dataset, "title": title, "notes": "SYNTHETIC sample written by devdata (every file listed is invented)",
                         "metadata_modified": max((r["last_modified"] for r in resources), default=""), "resources": listed}}
    path = out_dir / LONDON_DATASTORE_DIR / f"{dataset}.json"
    write_file(path, json.dumps(answer, indent=1).encode("utf-8"))
    return path


def write_govuk_page(out_dir: Path, base_path: str, title: str, public_updated_at: str, attachments: list[dict]) -> Path:
    """A Content API item for the page at `base_path` with file `attachments` (each: `relpath`, `title`)."""
    listed = []
    for a in attachments:
        relpath = Path(a["relpath"])
        suffix = relpath.suffix.lstrip(".").lower()
        size = (out_dir / relpath).stat().st_size if (out_dir / relpath).exists() else 0
        listed.append({"attachment_type": "file", "id": str(int(_id(base_path, str(relpath))[:7], 16)), "title": a["title"],
                       "url": file_url(relpath), "content_type": CONTENT_TYPES.get(suffix, "application/octet-stream"),
                       "filename": relpath.name, "file_size": size, "accessible": False})
    item = {"base_path": base_path, "title": title, "schema_name": "publication", "document_type": "official_statistics",
            "description": "SYNTHETIC sample written by devdata (every table attached is invented)",
            "first_published_at": public_updated_at, "public_updated_at": public_updated_at, "locale": "en",
            "details": {"attachments": listed}}
    path = out_dir / GOVUK_DIR / f"{base_path.strip('/')}.json"
    write_file(path, json.dumps(item, indent=1).encode("utf-8"))
    return path


def write_govuk_collection(out_dir: Path, base_path: str, title: str, documents: list[tuple[str, str]]) -> Path:
    """A Content API `document_collection` item at `base_path` linking `documents` ((page path, title), in order)."""
    item = {"base_path": base_path, "title": title, "schema_name": "document_collection",
            "document_type": "document_collection", "locale": "en",
            "description": "SYNTHETIC sample written by devdata (every page linked lists invented tables)",
            "links": {"documents": [{"base_path": path, "title": page_title, "api_path": f"/api/content{path}",
                                     "document_type": "official_statistics", "locale": "en"}
                                    for path, page_title in documents]}}
    path = out_dir / GOVUK_DIR / f"{base_path.strip('/')}.json"
    write_file(path, json.dumps(item, indent=1).encode("utf-8"))
    return path


def datapress_answer(ckan: dict) -> dict:
    """The London Datastore's own `/api/dataset/<slug>` shape of a CKAN answer (resources keyed by id)."""
    result = ckan["result"]
    return {"id": result["name"], "slug": result["name"], "title": result["title"], "sharing": "public",
            "updatedAt": result.get("metadata_modified", ""),
            "resources": {r["id"]: {"title": r["name"], "url": r["url"], "format": r["format"].lower(), "order": i,
                                    "check_timestamp": r["last_modified"]}
                          for i, r in enumerate(result["resources"])}}
