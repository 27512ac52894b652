"""``var/simulate/<run>/report.html``: the run's charts as inline SVG (no CDN: the machine
may be offline) and its figures; the JSON line is printed by the caller."""

from __future__ import annotations

import html
import json
from pathlib import Path

W, H, PAD = 640, 220, 40


def _bars(title: str, items: list[tuple[str, float]], extra: list[tuple[str, float]] | None = None
          ) -> str:
    """Vertical bars (a second series as a tick, e.g. the quorum)."""
    top = max([v for _, v in items] + [v for _, v in (extra or [])] + [1])
    width = (W - 2 * PAD) / max(1, len(items))
    parts = []
    for n, (label, value) in enumerate(items):
        x = PAD + n * width
        h = (H - 2 * PAD) * value / top
        parts.append(f'<rect x="{x + 2:.1f}" y="{H - PAD - h:.1f}" width="{width - 4:.1f}" '
                     f'height="{h:.1f}" fill="#2b7a78"><title>{html.escape(label)}: {value:,.0f}'
                     f'</title></rect>')
        if len(items) <= 12:
            parts.append(f'<text x="{x + width / 2:.1f}" y="{H - PAD + 14}" font-size="10" '
                         f'text-anchor="middle">{html.escape(label[:14])}</text>')
    for n, (_label, value) in enumerate(extra or []):
        y = H - PAD - (H - 2 * PAD) * value / top
        x = PAD + n * width
        parts.append(f'<line x1="{x:.1f}" x2="{x + width:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#d1495b" stroke-width="2"/>')
    return _frame(title, "".join(parts), top)


def _lines(title: str, series: dict[str, list[tuple[float, float]]], marks: list[float] = ()) -> str:
    """Lines over time (seconds); ``marks`` are vertical lines (faults)."""
    points = [p for s in series.values() for p in s]
    if not points:
        return _frame(title, "", 1)
    x_max = max(max(x for x, _ in points), 1)
    y_max = max(max(y for _, y in points), 1)
    colours = ["#2b7a78", "#d1495b", "#edae49", "#00798c"]
    parts = []
    for n, (name, pts) in enumerate(series.items()):
        path = " ".join(f"{PAD + (W - 2 * PAD) * x / x_max:.1f},{H - PAD - (H - 2 * PAD) * y / y_max:.1f}"
                        for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{colours[n % 4]}" points="{path}"/>'
                     f'<text x="{W - PAD}" y="{PAD + 12 * n}" font-size="10" text-anchor="end" '
                     f'fill="{colours[n % 4]}">{html.escape(name)}</text>')
    for t in marks:
        x = PAD + (W - 2 * PAD) * t / x_max
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD}" y2="{H - PAD}" stroke="#999" '
                     f'stroke-dasharray="3,3"/>')
    parts.append(f'<text x="{W - PAD}" y="{H - 8}" font-size="10" text-anchor="end">'
                 f'{x_max:,.0f} s</text>')
    return _frame(title, "".join(parts), y_max)


def _frame(title: str, body: str, top: float) -> str:
    return (f'<figure><figcaption>{html.escape(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" '
            f'width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}">'
            f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#333"/>'
            f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#333"/>'
            f'<text x="{PAD - 4}" y="{PAD}" font-size="10" text-anchor="end">{top:,.0f}</text>'
            f'{body}</svg></figure>')


def write(path: Path, figures: dict, charts: dict, checks: list) -> None:
    """Write the report: ideas per district, cluster sizes, turnout vs quorum, reply latency
    over time with faults marked, queue depth over time, pushes vs free replies, and CPU
    seconds per process during the idea stage (when measured)."""
    svg = [
        _bars("Ideas per district", charts["ideas_per_district"]),
        _bars("Cluster sizes (clusters of each size)", charts["cluster_sizes"]),
        _bars("Turnout (bars) vs quorum (red) per district", charts["turnout"], charts["quorum"]),
        _lines("Reply latency over time (ms; dashed: faults)", {"latency ms": charts["latency"]},
               charts["fault_marks"]),
        _lines("Queue depth over time", charts["queues"]),
        _bars("Answers: free replies vs paid pushes; announcement messages",
              charts["answers"]),
    ]
    if charts.get("cpu_ideas"):
        svg.append(_bars("CPU seconds per process during the idea stage (the first bottleneck)",
                         charts["cpu_ideas"]))
    rows = "".join(f"<tr><td>{'✔' if c.ok else '✘'}</td><td>{html.escape(c.name)}</td>"
                   f"<td>{html.escape(c.detail)}</td></tr>" for c in checks)
    path.write_text(
        "<!doctype html><meta charset='utf-8'><title>siang simulate</title>"
        "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}"
        "td{padding:2px 8px;vertical-align:top}figure{margin:1em 0}</style>"
        f"<h1>siang simulate: {html.escape(str(figures.get('run', '')))}</h1>"
        f"<h2>Invariants</h2><table>{rows}</table><h2>Charts</h2>{''.join(svg)}"
        f"<h2>Figures</h2><pre>{html.escape(json.dumps(figures, ensure_ascii=False, indent=1))}</pre>",
        encoding="utf-8")
