"""Charts of the work reports, drawn by matplotlib as SVG (text as paths, Noto Sans CJK for Chinese).

Each function returns the SVG as text; ``data_uri`` makes it an ``<img>`` source for WeasyPrint.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
RED, GOLD, GREY = "#b71c1c", "#c9a227", "#6c757d"


@cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, pyplot

    family = ["DejaVu Sans"]
    if CJK_FONT.exists():
        font_manager.fontManager.addfont(str(CJK_FONT))
        family = [font_manager.FontProperties(fname=str(CJK_FONT)).get_name(), "DejaVu Sans"]
    matplotlib.rcParams.update({
        "font.family": family, "svg.fonttype": "path", "axes.unicode_minus": False, "font.size": 9,
        "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "lianxin",
    })
    return pyplot


def _svg(figure: Any) -> str:
    from matplotlib.ticker import MaxNLocator

    for axes in figure.axes:  # counts: whole-number ticks on the value axis
        value_axis = axes.xaxis if axes.get_label() == "counts-x" else axes.yaxis
        value_axis.set_major_locator(MaxNLocator(integer=True))
    out = io.StringIO()
    figure.tight_layout()
    figure.savefig(out, format="svg", metadata={"Date": None})
    _pyplot().close(figure)
    return out.getvalue()


def _empty(message: str) -> str:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.5, 1.2))
    axes.axis("off")
    axes.text(0.5, 0.5, message, ha="center", va="center", color=GREY)
    return _svg(figure)


def trend_chart(trend: list[dict[str, Any]]) -> str:
    """Activities and opinions received per month (bars), matters resolved (line)."""
    if not trend:
        return _empty(_("No data for the period."))
    plt = _pyplot()
    labels = [row["label"] for row in trend]
    x = list(range(len(labels)))
    figure, axes = plt.subplots(figsize=(6.5, 2.8))
    width = 0.4
    axes.bar([i - width / 2 for i in x], [row["activities"] for row in trend], width, color=RED,
             label=_("Activities held"))
    axes.bar([i + width / 2 for i in x], [row["opinions"] for row in trend], width, color=GOLD,
             label=_("Opinions received"))
    axes.plot(x, [row["resolved"] for row in trend], color="#333333", marker="o", markersize=3,
              label=_("Matters resolved"))
    axes.set_xticks(x, labels, rotation=45 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
    axes.legend(frameon=False, fontsize=8, ncols=3, loc="lower left", bbox_to_anchor=(0, 1.0))
    axes.set_ylim(bottom=0)
    return _svg(figure)


def categories_chart(categories: list[tuple[str, int]]) -> str:
    """Opinions by category, the largest first (horizontal bars)."""
    if not categories:
        return _empty(_("No opinions were received in the period."))
    plt = _pyplot()
    names = [name for name, _count in categories][::-1]
    counts = [count for _name, count in categories][::-1]
    figure, axes = plt.subplots(figsize=(6.5, 0.3 * len(names) + 0.8))
    axes.set_label("counts-x")
    axes.barh(names, counts, color=RED)
    for y, count in enumerate(counts):
        axes.text(count, y, f" {count}", va="center", fontsize=8)
    return _svg(figure)


def districts_chart(rows: list[list[Any]]) -> str:
    """Activities and opinions per district (rows as ``reports.district_rows``)."""
    if not rows:
        return _empty(_("No data for the period."))
    plt = _pyplot()
    names = [str(row[0]) for row in rows]
    x = list(range(len(names)))
    figure, axes = plt.subplots(figsize=(6.5, 2.6))
    width = 0.4
    axes.bar([i - width / 2 for i in x], [row[2] or 0 for row in rows], width, color=RED, label=_("Activities held"))
    axes.bar([i + width / 2 for i in x], [row[3] or 0 for row in rows], width, color=GOLD,
             label=_("Opinions received"))
    axes.set_xticks(x, names, rotation=30 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    axes.legend(frameon=False, fontsize=8, ncols=2, loc="lower left", bbox_to_anchor=(0, 1.0))
    return _svg(figure)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
