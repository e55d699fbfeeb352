"""Bulk export for the tax bureau: a zip of invoices with a manifest of SHA-256 hashes.

An export is a job: `create_export` stores the query and returns at once; `run_export`
(a background task) writes `<var_dir>/exports/<job id>.zip` and records the archive's
size and SHA-256 on the job. The archive holds:

    invoices/<number>.xml     EN 16931 CII, each validated against the XSD as written
    invoices/<number>.pdf     when asked for (rendering is slow, so fewer may be asked)
    manifest.json             the query, and per file: path, bytes, SHA-256, and the
                              invoice's number, status, record index and leaf hash
    SHA256SUMS                `sha256sum -c` form, over every other file

Entries carry the job's creation time, so the same job always writes the same bytes.
The archive is written under a temporary name and renamed, so a download never sees a
half-written file. A job whose process died stays `running`; ask again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from invoicing.cii import render_cii_xml, validate_cii_xml
from invoicing.errors import ExportNotFound, ExportNotReady, InvalidQuery
from invoicing.models import ExportJob
from invoicing.pdf import render_pdf
from invoicing.queries import count_invoices, iterate_invoices
from invoicing.render import SaleContext, load_documents
from invoicing.schemas import InvoiceFilter

__all__ = [
    "EXPORT_FORMAT",
    "MAX_EXPORT",
    "MAX_PDF_EXPORT",
    "archive_path",
    "create_export",
    "finished_archive",
    "get_export",
    "run_export",
]

log = logging.getLogger(__name__)

EXPORT_FORMAT = "farechain-invoice-export/v1"
MAX_EXPORT = 200_000
MAX_PDF_EXPORT = 2_000
_CHUNK = 200


def archive_path(var_dir: Path, job_id: str) -> Path:
    return var_dir / "exports" / f"{job_id}.zip"


def create_export(
    session: Session,
    *,
    officer_id: str,
    query: InvoiceFilter,
    formats: Sequence[str],
    base_url: str,
    now: datetime,
) -> ExportJob:
    """Store a pending export job (commits); `run_export` does the work."""
    count = count_invoices(session, query)
    if count > MAX_EXPORT:
        raise InvalidQuery(f"expected at most {MAX_EXPORT} invoices per export, got {count}")
    if "pdf" in formats and count > MAX_PDF_EXPORT:
        raise InvalidQuery(
            f"expected at most {MAX_PDF_EXPORT} invoices per export with PDFs, got {count}"
        )
    job = ExportJob(
        id=uuid.uuid4().hex,
        officer_id=officer_id,
        query_json=query.model_dump_json(),
        formats=",".join(sorted(set(formats))),
        base_url=base_url,
        created_at=now,
    )
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def get_export(session: Session, job_id: str) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None:
        raise ExportNotFound(f"expected an export job id, got unknown {job_id!r}")
    return job


def finished_archive(session: Session, var_dir: Path, job_id: str) -> Path:
    job = get_export(session, job_id)
    path = archive_path(var_dir, job_id)
    if job.status != "done" or not path.exists():
        raise ExportNotReady(f"expected a finished export, got one {job.status}")
    return path


def run_export(
    engine: Engine,
    job_id: str,
    var_dir: Path,
    sale: SaleContext,
    *,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Write the job's archive and record the outcome on the job; never raises."""
    clock = clock or (lambda: datetime.now(UTC))
    with Session(engine) as session:
        job = get_export(session, job_id)
        job.status = "running"
        session.commit()
        try:
            count, size, digest = _write_archive(session, job, archive_path(var_dir, job_id), sale)
        except Exception as error:
            # A background job has no caller to raise to: the job row is the report.
            log.exception("export %s failed", job_id)
            session.rollback()
            job = get_export(session, job_id)
            job.status, job.error = "failed", f"{type(error).__name__}: {error}"[:500]
        else:
            job.status, job.invoice_count = "done", count
            job.archive_bytes, job.archive_sha256 = size, digest
        job.finished_at = clock()
        session.commit()


def _write_archive(
    session: Session, job: ExportJob, path: Path, sale: SaleContext
) -> tuple[int, int, str]:
    query = InvoiceFilter.model_validate_json(job.query_json)
    formats = set(job.formats.split(","))
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=UTC)
    stamp = created.astimezone(UTC).timetuple()[:6]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".zip.part")
    files: list[dict[str, Any]] = []
    count = 0
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes, **about: Any) -> None:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data, zipfile.ZIP_DEFLATED)
            digest = hashlib.sha256(data).hexdigest()
            files.append({"path": name, "bytes": len(data), "sha256": digest, **about})

        for rows in iterate_invoices(session, query, chunk=_CHUNK):
            documents = load_documents(session, rows, job.base_url, sale)
            for row, doc in zip(rows, documents, strict=True):
                about = {
                    "number": row.number,
                    "kind": row.kind,
                    "status": row.status,
                    "record_index": row.record_index,
                    "leaf_hash": doc.record_hash_hex,
                }
                xml = render_cii_xml(doc)
                validate_cii_xml(xml)
                add(f"invoices/{row.number}.xml", xml, **about)
                if "pdf" in formats:
                    add(f"invoices/{row.number}.pdf", render_pdf(doc), **about)
                count += 1
        manifest = {
            "format": EXPORT_FORMAT,
            "job": job.id,
            "created_at": created.astimezone(UTC).isoformat(),
            "query": json.loads(job.query_json),
            "formats": sorted(formats),
            "invoices": count,
            "files": list(files),
        }
        add("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode())
        sums = "".join(f"{f['sha256']}  {f['path']}\n" for f in files)
        archive.writestr(zipfile.ZipInfo("SHA256SUMS", date_time=stamp), sums)
    os.replace(partial, path)
    with path.open("rb") as written:
        digest = hashlib.file_digest(written, "sha256").hexdigest()
    return count, path.stat().st_size, digest
