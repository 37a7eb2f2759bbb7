"""A small, self-contained SVG of the weekly series, to drop into an email or a report.

No scripts, no external fonts or images: it renders the same in a browser, a mail client
or a PDF converter. Each week is one point of each series, with its value as a tooltip.
"""

from xml.sax.saxutils import escape, quoteattr

from app.traction.schemas import ClientTraction, TractionWeek

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 48, 40

# (the week's field, label, colour)
SERIES: tuple[tuple[str, str, str], ...] = (
    ("outreach_sent", "Outreach sent", "#2563eb"),
    ("interviews_held", "Interviews held", "#16a34a"),
    ("referrals", "Referrals", "#d97706"),
)


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    if count == 1:
        return LEFT + span / 2
    return LEFT + span * index / (count - 1)


def _y(value: int, top_value: int) -> float:
    span = HEIGHT - TOP - BOTTOM
    return TOP + span * (1 - value / top_value)


def _value(week: TractionWeek, name: str) -> int:
    return int(getattr(week, name))


def render(traction: ClientTraction) -> str:
    """The SVG document (UTF-8 text) of `traction.weeks`."""
    weeks = traction.weeks
    window = traction.current.window
    top_value = max([1, *(_value(w, s[0]) for w in weeks for s in SERIES)])
    title = f"Weekly traction, {window.from_date} to {window.to_date} ({window.tz})"
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label={quoteattr(title)} '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    # Axes: a baseline, the top value and the weeks' Mondays.
    base = _y(0, top_value)
    parts.append(
        f'<line x1="{LEFT}" y1="{base:.1f}" x2="{WIDTH - RIGHT}" y2="{base:.1f}" stroke="#9ca3af"/>'
    )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}" '
        'stroke="#e5e7eb" stroke-dasharray="4 4"/>'
    )
    parts.append(f'<text x="{LEFT - 6}" y="{base + 4:.1f}" text-anchor="end">0</text>')
    parts.append(f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{top_value}</text>')
    for index, week in enumerate(weeks):
        x = _x(index, len(weeks))
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{week.week_start:%d %b}</text>"
        )
    # Legend.
    for index, (_, label, colour) in enumerate(SERIES):
        x = LEFT + index * 150
        parts.append(f'<rect x="{x}" y="14" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="24">{escape(label)}</text>')
    for name, label, colour in SERIES:
        points = [
            (_x(i, len(weeks)), _y(_value(w, name), top_value), w, _value(w, name))
            for i, w in enumerate(weeks)
        ]
        parts.append(f'<g data-series="{name}" fill="{colour}" stroke="{colour}">')
        if len(points) > 1:
            line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            parts.append(f'<polyline points="{line}" fill="none" stroke-width="2"/>')
        for x, y, week, value in points:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" data-week="{week.week_start}" '
                f'data-value="{value}"><title>{escape(label)}, week of {week.week_start}: '
                f"{value}</title></circle>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
