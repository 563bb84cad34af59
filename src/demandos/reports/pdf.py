"""A pack as PDF: WeasyPrint prints the same self-contained HTML (its CSS has the page rules)."""

from __future__ import annotations

from demandos.reports.html import render_html
from demandos.reports.model import Pack


def html_to_pdf(html: str) -> bytes:
    """Print HTML with no external reference to PDF bytes (nothing is fetched)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    def refuse(url: str) -> dict[str, object]:
        raise ValueError(f"a pack must not reference {url}")

    data: bytes = HTML(string=html, url_fetcher=refuse).write_pdf()
    return data


def render_pdf(pack: Pack) -> bytes:
    return html_to_pdf(render_html(pack))
