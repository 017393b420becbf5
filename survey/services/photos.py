"""Photos that citizens attach to reports: decoded and re-encoded, so that
nothing but the pixels survives.

A phone photo carries EXIF: the place (GPS), the time, the phone's make and
serial number, sometimes the owner's name. Any of them can identify a
reporter. :func:`clean` therefore never copies bytes from the upload: it
decodes the image with Pillow, refuses what is not a JPEG or PNG (whatever
its name or declared type says), refuses decompression bombs before
decoding them, turns the picture upright as the phone meant it, and writes
the pixels alone into a new file. No EXIF, GPS, XMP, ICC profile, comment or
text chunk is carried over.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFile, ImageOps

#: Largest upload accepted.
MAX_BYTES = 5 * 1024 * 1024
#: Largest image accepted, in pixels: a 50-megapixel phone camera fits; a
#: small file that claims more (a decompression bomb) is refused unread.
MAX_PIXELS = 50_000_000
#: Longest side kept: enough to read a receipt or a sign, and a tenth of the
#: storage of a full-size photo.
MAX_SIDE = 2560
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


_STRICT = threading.Lock()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Pillow refusing truncated images while we decode one. WeasyPrint
    (PDF posters and reports) sets ``ImageFile.LOAD_TRUNCATED_IMAGES`` for
    the whole process when imported; a cut-off upload must still be refused."""
    with _STRICT:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


class PhotoError(ValueError):
    """A photo that cannot be accepted; the message says why, for the reporter."""


@dataclass(frozen=True)
class CleanPhoto:
    media_type: str
    width: int
    height: int
    data: bytes


def clean(data: bytes) -> CleanPhoto:
    """The photo re-encoded from its pixels alone.

    Raises
    ------
    PhotoError
        Larger than :data:`MAX_BYTES`; not a JPEG or PNG; damaged or not an
        image at all; more than :data:`MAX_PIXELS` pixels.
    """
    if len(data) > MAX_BYTES:
        raise PhotoError(_l("The photo is larger than 5 MB. Send a smaller one."))
    try:
        with _strict_decoding(), warnings.catch_warnings():
            # Pillow warns (and our test settings make warnings errors) on
            # large images; we decide on size ourselves below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            # Many phones write JPEGs with a second, small picture (MPO).
            kind = "JPEG" if image.format == "MPO" else image.format
            if kind not in FORMATS:
                raise PhotoError(_l("Only JPEG and PNG photos can be attached."))
            width, height = image.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise PhotoError(_l("The photo is too large (more than 50 megapixels)."))
            image.load()
            return _reencode(image, kind)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_l("The photo is too large (more than 50 megapixels).")) from None
    except (OSError, SyntaxError, ValueError):
        # Not an image, or truncated or corrupt data behind a valid header
        # (a "fake JPEG"); UnidentifiedImageError is an OSError.
        raise PhotoError(_l("The file is not a JPEG or PNG photo, or it is damaged.")) from None


def _reencode(image: Image.Image, kind: str) -> CleanPhoto:
    # Turn the picture as the camera's orientation tag says, before the tag
    # (with the rest of the metadata) is dropped.
    upright = ImageOps.exif_transpose(image)
    keeps_alpha = kind == "PNG" and (upright.mode in ("RGBA", "LA", "PA")
                                     or "transparency" in upright.info)
    mode = "RGBA" if keeps_alpha else ("L" if upright.mode in ("1", "L", "I;16") else "RGB")
    pixels = upright.convert(mode)
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image from the raw pixels: no info dictionary, no metadata.
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, format="JPEG", quality=85, optimize=True)
    else:
        bare.save(out, format="PNG", optimize=True)
    return CleanPhoto(FORMATS[kind], bare.width, bare.height, out.getvalue())
