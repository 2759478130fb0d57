"""Rendering certificate PDFs with WeasyPrint, from a design folder and a plain snapshot.

The output is deterministic (dates and identifier come from the certificate), so a lost file
renders again to the same bytes and the same sha256. WeasyPrint may read nothing but the design's
own folder: holder names are escaped text, and the URL fetcher refuses every other URL.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import mimetypes
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
import segno
from flask import current_app
from flask_babel import force_locale, format_date, gettext, ngettext
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db, write_transaction
from lms.models import Certificate, CertificateDocument
from lms.services.links import external_url

DEFAULT_DESIGN = "classic"
log = logging.getLogger(__name__)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_render_lock = threading.Lock()


class DesignMissing(LookupError):
    """The certificate names a design folder that is not there."""


def design_dir(design: str) -> Path:
    root = Path(current_app.config["CERTIFICATE_DIR"]).resolve()
    folder = (root / design).resolve()
    if not folder.is_relative_to(root) or not (folder / "template.html").is_file():
        raise DesignMissing(design)
    return folder


def signature_path(course_id: int) -> Path:
    return Path(current_app.config["FILES_DIR"]) / "signatures" / f"course-{course_id}.png"


def store_signature(course_id: int, data: bytes) -> None:
    """Check and re-encode a signature image as PNG (nothing of the upload is kept as sent)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in {"PNG", "JPEG"}:
                raise ValueError("use a PNG or JPEG image")
            image.thumbnail((1200, 400))
            clean = io.BytesIO()
            image.convert("RGBA").save(clean, "PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValueError("not a PNG or JPEG image") from error
    path = signature_path(course_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, clean.getvalue())


def _signature_data_url(course_id: int) -> str | None:
    path = signature_path(course_id)
    if not path.is_file():
        return None
    data = path.read_bytes()
    if not data.startswith(PNG_MAGIC):
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode()


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (medium error correction survives a crease or a stain)."""
    qr = segno.make_qr(url, error="m")
    return Markup(qr.svg_inline(scale=4, border=0, dark="#1f2a44", omitsize=True))  # noqa: S704


def snapshot(certificate: Certificate) -> dict[str, Any]:
    """Every value the design shows, formatted in the holder's language: no ORM object leaks."""
    verify_url = external_url("verify.certificate", code=certificate.display_code)
    with force_locale(certificate.locale):
        issued_on = format_date(certificate.issued_at, "long")
        expires_on = format_date(certificate.expires_at, "long") if certificate.expires_at else ""
    return {
        "locale": certificate.locale,
        "code": certificate.display_code,
        "holder_name": certificate.holder_name,
        "course_title": certificate.course_title,
        "hours": certificate.course_hours,
        "issuer_name": certificate.issuer_name,
        "signer_name": certificate.signer_name,
        "signer_title": certificate.signer_title,
        "issued_on": issued_on,
        "expires_on": expires_on,
        "issued_iso": certificate.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verify_url": verify_url,
        "qr_svg": qr_svg(verify_url),
        "signature_url": _signature_data_url(certificate.course_id),
    }


def _html(folder: Path, values: dict[str, Any]) -> str:
    environment = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    with force_locale(values["locale"]):
        return environment.get_template("template.html").render(c=values)


def _fetcher_class(weasyprint):
    class DesignFolderFetcher(weasyprint.urls.URLFetcher):
        """Serves files inside one folder and inline data: URLs; refuses everything else."""

        def __init__(self, folder: Path):
            super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
            self.folder = folder

        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme != "file":
                raise ValueError(f"refused: {url[:80]}")
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(self.folder) or not path.is_file():
                raise ValueError(f"refused: {url[:80]}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(
                path.as_uri(), path.read_bytes(), {"Content-Type": mime}
            )

    return DesignFolderFetcher


@dataclass(frozen=True)
class _Design:
    """A design's parsed stylesheet, loaded fonts and image cache, kept for the next render."""

    folder: Path
    fetcher: Any
    stylesheet: Any
    font_config: Any
    image_cache: dict


@lru_cache(maxsize=8)
def _load_design(folder: Path, _version: int) -> _Design:
    import weasyprint  # noqa: PLC0415 - costs 0.75 s: only the renderer pays it
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415

    fetcher = _fetcher_class(weasyprint)(folder)
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(
        filename=str(folder / "style.css"),
        base_url=folder.as_uri() + "/",
        url_fetcher=fetcher,
        font_config=font_config,
    )
    return _Design(folder, fetcher, stylesheet, font_config, {})


def _design(name: str) -> _Design:
    folder = design_dir(name)
    return _load_design(folder, (folder / "style.css").stat().st_mtime_ns)


def credential_attachment(certificate: Certificate) -> bytes:
    """The signed credential and its decoded body, as the JSON attached to the PDF."""
    body = jwt.decode(certificate.credential_jwt, options={"verify_signature": False})
    return json.dumps(
        {"credential": body, "vc_jwt": certificate.credential_jwt}, ensure_ascii=False, indent=2
    ).encode()


@dataclass(frozen=True)
class RenderJob:
    """Everything a render needs, read from the database beforehand (no session during it)."""

    design: str
    values: dict[str, Any]
    attachment: bytes
    issued_at: datetime
    identifier: bytes


def render_job(certificate: Certificate) -> RenderJob:
    design = certificate.design
    try:
        design_dir(design)
    except DesignMissing:
        log.warning("certificate design %r is missing: using %r", design, DEFAULT_DESIGN)
        design = DEFAULT_DESIGN
    return RenderJob(
        design=design,
        values=snapshot(certificate),
        attachment=credential_attachment(certificate),
        issued_at=certificate.issued_at,
        identifier=hashlib.sha256(f"{certificate.code}/{certificate.edition}".encode()).digest(),
    )


def render_pdf(job: RenderJob) -> bytes:
    import weasyprint  # noqa: PLC0415

    with _render_lock:  # the cached fonts and styles are not meant to be shared across threads
        design = _design(job.design)
        document = weasyprint.HTML(
            string=_html(design.folder, job.values),
            base_url=design.folder.as_uri() + "/",
            url_fetcher=design.fetcher,
        )
        attachment = weasyprint.Attachment(
            string=job.attachment,
            name="credential.json",
            description="Open Badges 3.0 credential (VC-JWT)",
            created=job.issued_at,
            modified=job.issued_at,
            relationship="Data",
            url_fetcher=design.fetcher,
        )
        return document.write_pdf(
            stylesheets=[design.stylesheet],
            font_config=design.font_config,
            cache=design.image_cache,
            attachments=[attachment],
            pdf_identifier=job.identifier[:16],
            custom_metadata=True,
        )


def _files_dir() -> Path:
    folder = Path(current_app.config["FILES_DIR"]) / "certificates"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pdf_path(document: CertificateDocument) -> Path:
    return _files_dir() / document.file_name


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temporary.write_bytes(data)
    temporary.replace(path)


def _current_document(certificate_id: int, edition: int) -> CertificateDocument | None:
    return db.session.scalar(
        select(CertificateDocument)
        .where(
            CertificateDocument.certificate_id == certificate_id,
            CertificateDocument.edition == edition,
        )
        .order_by(CertificateDocument.id.desc())
        .limit(1)
    )


def ensure_pdf(certificate: Certificate) -> tuple[CertificateDocument, Path]:
    """The current edition's PDF, rendered and recorded if missing.

    Rendering takes tens of milliseconds, so it ends the caller's (read) transaction first.
    A lost file renders again; if the bytes differ from before (a new signature image, a newer
    WeasyPrint), the new fingerprint is recorded beside the old one, and both stay recognised.
    """
    document = _current_document(certificate.id, certificate.edition)
    if document is not None and pdf_path(document).is_file():
        return document, pdf_path(document)
    certificate_id, edition, code = certificate.id, certificate.edition, certificate.code
    job = render_job(certificate)
    db.session.rollback()
    data = render_pdf(job)
    digest = hashlib.sha256(data).hexdigest()
    if document is not None and document.sha256 == digest:
        _write_atomically(pdf_path(document), data)
        return document, pdf_path(document)
    name = f"{code}-{edition}-{digest[:12]}.pdf"
    _write_atomically(_files_dir() / name, data)
    with write_transaction():
        document = CertificateDocument(
            certificate_id=certificate_id,
            edition=edition,
            sha256=digest,
            file_name=name,
            size_bytes=len(data),
        )
        db.session.add(document)
        try:
            db.session.commit()
        except IntegrityError:  # the same bytes recorded a moment ago by another request
            db.session.rollback()
            document = db.session.scalar(
                select(CertificateDocument).where(CertificateDocument.sha256 == digest)
            )
    return document, pdf_path(document)


def render_missing() -> tuple[int, list[str]]:
    """Render every current edition that has no PDF yet; (rendered, codes that failed)."""
    rendered, failed = 0, []
    for certificate_id in list(db.session.scalars(select(Certificate.id))):
        certificate = db.session.get(Certificate, certificate_id)
        if _current_document(certificate.id, certificate.edition) is None:
            code = certificate.display_code
            try:
                ensure_pdf(certificate)
            except Exception:  # one broken certificate must not stop the others
                log.exception("certificate %s: the PDF could not be rendered", code)
                db.session.rollback()
                failed.append(code)
            else:
                rendered += 1
    return rendered, failed
