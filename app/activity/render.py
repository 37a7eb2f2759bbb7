"""The activity report as CSV (RFC 4180) or as a self-contained printable HTML page."""

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from html import escape

from app.activity.schemas import ACTIVITY_LABELS, ROLE_LABELS
from app.activity.service import ActivityReport, ActivityRow, summary
from app.core.csv import defused
from app.core.wording import counted

COLUMNS = ("Date", "Activity", "Company", "Contact", "Contact role", "Description")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
# The page needs nothing but its own inline style: no script, image, font or frame.
HTML_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"

_ROWS_PER_CHUNK = 200


def cells(row: ActivityRow) -> tuple[str, ...]:
    return (
        row.day.isoformat(),
        ACTIVITY_LABELS[row.type],
        row.company or "",
        row.contact_name or "",
        ROLE_LABELS[row.contact_role] if row.contact_role is not None else "",
        row.description,
    )


def csv_chunks(report: ActivityReport) -> Iterator[str]:
    """The header line, then the rows, a few hundred per chunk (CRLF line ends, fields
    quoted when they hold a comma, quote or line break)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for start in range(0, len(report.rows), _ROWS_PER_CHUNK):
        writer.writerows(
            [defused(cell) for cell in cells(row)]
            for row in report.rows[start : start + _ROWS_PER_CHUNK]
        )
        yield _drain(buffer)
    if buffer.tell():  # no rows: the header alone
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def period(report: ActivityReport) -> tuple[str, str]:
    """The first and the last day covered (the window's `to` is exclusive)."""
    window = report.window
    return window.start.isoformat(), (window.end - timedelta(days=1)).isoformat()


def filename(report: ActivityReport, extension: str) -> str:
    first, last = period(report)
    return f"activity-{first}-to-{last}.{extension}"


_STYLE = """
/* No page size is forced, so A4 and Letter both print; the margins suit either. */
@page { margin: 15mm 12mm; }
html { font: 10.5pt/1.35 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #111; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
p.meta { margin: 0 0 5mm; color: #444; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; vertical-align: top; padding: 1.5mm 2mm;
  border-bottom: 0.3mm solid #ccc; overflow-wrap: anywhere; }
th { border-bottom: 0.5mm solid #333; font-weight: 600; }
td.date { white-space: nowrap; }
table.summary { width: auto; margin: 0 0 6mm; }
table.summary td:last-child { text-align: right; }
p.empty { font-style: italic; }
@media print { body { padding: 0; max-width: none; } }
"""


def html_page(report: ActivityReport) -> str:
    """A printable page; every value is HTML-escaped."""
    first, last = period(report)
    zone = report.window.tz.key
    generated = report.generated_at.astimezone(report.window.tz).strftime("%Y-%m-%d %H:%M")
    summary_rows = "".join(
        f"<tr><td>{escape(label)}</td><td>{count}</td></tr>" for label, count in summary(report)
    )
    body_rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="date">{escape(value)}</td>' if i == 0 else f"<td>{escape(value)}</td>"
            for i, value in enumerate(cells(row))
        )
        + "</tr>"
        for row in report.rows
    )
    header = "".join(f'<th scope="col">{escape(name)}</th>' for name in COLUMNS)
    listing = (
        f"<table><thead><tr>{header}</tr></thead><tbody>{body_rows}</tbody></table>"
        if report.rows
        else '<p class="empty">No activity recorded in this period.</p>'
    )
    title = f"Job-search activity: {report.client_name}"
    activities = counted(len(report.rows), "activity", "activities")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="meta">From {escape(first)} to {escape(last)} (inclusive, {escape(zone)}) '
        f"&middot; {activities} &middot; generated {escape(generated)}</p>"
        + (f'<table class="summary"><tbody>{summary_rows}</tbody></table>' if summary_rows else "")
        + listing
        + "</body></html>\n"
    )
