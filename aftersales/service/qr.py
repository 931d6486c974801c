"""QR codes for printed documents, drawn offline as inline SVG (no image files, nothing fetched)."""

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str, *, scale: int = 3, title: str | None = None) -> SafeString:
    """`text` as a QR code: an inline `<svg>` element, safe to put in a template as it is.

    Always a full QR code (never a Micro QR, which most phone scanners cannot read), with its quiet zone, black
    on transparent so it prints on any paper. `title` (escaped by segno) names the image for screen readers.
    """
    code = segno.make_qr(str(text))
    # segno escapes the title and writes only its own markup, so the result is safe.
    return mark_safe(code.svg_inline(scale=scale, dark="#000", svgclass="qr", title=title))
