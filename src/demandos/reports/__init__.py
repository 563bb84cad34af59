"""Review packs that write themselves: a document model, its builders and three renderers.

    pack = ws.review("monday_review", "2026-W47")        # or the kind: "weekly_review"
    Path("review.html").write_bytes(render(pack, "html")) # self-contained, charts inline as SVG
    render(pack, "md"), render(pack, "pdf")

``model`` is what a pack says; ``packs`` builds one per ritual kind from the metrics engine and the
operating log; ``html``, ``markdown`` and ``pdf`` render it.
"""

from __future__ import annotations

from typing import Literal

from demandos.reports.model import Pack

Format = Literal["html", "md", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "md", "pdf")


def render(pack: Pack, fmt: Format) -> bytes:
    """The pack as a file's bytes: HTML, Markdown (UTF-8) or PDF."""
    if fmt == "html":
        from demandos.reports.html import render_html

        return render_html(pack).encode()
    if fmt == "md":
        from demandos.reports.markdown import render_markdown

        return render_markdown(pack).encode()
    from demandos.reports.pdf import render_pdf

    return render_pdf(pack)


__all__ = ["FORMATS", "Format", "Pack", "render"]
