"""Pictures people upload (profile photos, course covers): the type is read from the content, the
picture re-encoded and stored under a random name, so nothing the uploader chose (name, metadata,
hidden payload) is ever served."""

from __future__ import annotations

import secrets
import warnings
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from lms.services.errors import DomainError

# The JPEG reader also opens MPO, the multi-picture JPEG many phones write.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 24_000_000  # a 5 MB file can still claim a huge canvas: refuse before decoding
SIZE = 480
NAME_LENGTH = 32


class PhotoRefused(DomainError):
    """not_an_image, too_large, too_many_pixels, too_small."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def photo_dir() -> Path:
    return Path(current_app.config["FILES_DIR"]) / "photos"


def is_photo_name(name: str) -> bool:
    stem, _dot, extension = name.partition(".")
    return (
        extension == "webp"
        and len(stem) == NAME_LENGTH
        and all(c in "0123456789abcdef" for c in stem)
    )


def store_photo(stream: BinaryIO) -> str:
    """Check, square-crop to SIZE and save as WebP; returns the new file name."""
    return store_picture(stream, photo_dir(), (SIZE, SIZE), smallest=120)


def store_picture(stream: BinaryIO, folder: Path, size: tuple[int, int], smallest: int) -> str:
    """Check, crop to `size` and save as WebP in `folder`; returns the new file name."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoRefused("too_large")
    picture = _open(data)
    if min(picture.size) < smallest:
        raise PhotoRefused("too_small")
    picture = ImageOps.exif_transpose(picture).convert("RGB")
    picture = ImageOps.fit(picture, size, Image.Resampling.LANCZOS)
    name = f"{secrets.token_hex(NAME_LENGTH // 2)}.webp"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.part"
    picture.save(temporary, "WEBP", quality=82, method=4)
    temporary.replace(folder / name)
    return name


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(BytesIO(data), formats=ACCEPTED_FORMATS)
            if picture.width * picture.height > MAX_PIXELS:
                raise PhotoRefused("too_many_pixels")
            picture.seek(0)  # the first frame of a multi-picture JPEG
            picture.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:  # fmt: skip
        raise PhotoRefused("not_an_image") from error
    return picture


def delete_photo(name: str | None, folder: Path | None = None) -> None:
    if name and is_photo_name(name):
        ((folder or photo_dir()) / name).unlink(missing_ok=True)
