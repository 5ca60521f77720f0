"""Geometry of the report's charts, computed here and drawn as inline SVG by the template.

The charts need no script: positions, sizes and labels are plain numbers and strings, and the
template (with autoescape) turns them into SVG elements, so evidence text in a label can never
become markup. Findings are binned per lane so a host with thousands of hits stays readable
and the file stays small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from exhunt.model import CHAINS, CoverageSpan, Finding, Incident, Severity, iso, utc

WIDTH = 960
LABEL_WIDTH = 150
RIGHT_PAD = 20
PLOT_LEFT = LABEL_WIDTH
PLOT_RIGHT = WIDTH - RIGHT_PAD
LANE_HEIGHT = 34
TOP_PAD = 14
AXIS_HEIGHT = 34
BINS = 120
MAX_INCIDENT_ROWS = 4
OTHER_LANE = "Other traces"

# Tick steps to choose from, smallest first (seconds).
_STEPS = [
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    2 * 86400,
    7 * 86400,
    14 * 86400,
    30 * 86400,
    91 * 86400,
    182 * 86400,
    365 * 86400,
]
_MAX_TICKS = 8


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Lane:
    label: str
    y: float  # top
    height: float

    @property
    def middle(self) -> float:
        return round(self.y + self.height / 2, 1)


@dataclass(frozen=True, slots=True)
class Marker:
    x: float
    y: float
    r: float
    severity: str
    count: int
    label: str  # tooltip text: evidence-derived, escaped by the template


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    severity: str
    label: str
    caption: str = ""  # short text drawn beside the bar, when there is room for it
    caption_x: float = 0.0
    caption_anchor: str = "start"


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    axis_y: float
    lanes: tuple[Lane, ...]
    ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]
    bars: tuple[Bar, ...]
    start: str  # ISO of the left edge
    end: str  # ISO of the right edge
    undated: int = 0
    shade: Bar | None = None  # a highlighted window (the attack, on the coverage chart)


class _Scale:
    def __init__(self, t0: datetime, t1: datetime) -> None:
        self.t0 = t0
        self.t1 = t1
        self.span = max((t1 - t0).total_seconds(), 1.0)

    def x(self, ts: datetime) -> float:
        frac = (utc(ts) - self.t0).total_seconds() / self.span
        return round(PLOT_LEFT + min(max(frac, 0.0), 1.0) * (PLOT_RIGHT - PLOT_LEFT), 1)


def _window(times: Sequence[datetime]) -> tuple[datetime, datetime]:
    t0, t1 = min(times), max(times)
    span = (t1 - t0).total_seconds()
    pad = timedelta(minutes=5) if span < 600 else timedelta(seconds=span * 0.03)
    return _shift(t0, -pad), _shift(t1, pad)


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _shift(ts: datetime, delta: timedelta) -> datetime:
    """`ts + delta`, held at the ends of the calendar: a finding may carry any date (year 1, 9999)."""
    try:
        return ts + delta
    except OverflowError:
        return _LATEST if delta > timedelta(0) else _EARLIEST


def _ticks(t0: datetime, t1: datetime, scale: _Scale) -> tuple[Tick, ...]:
    span = (t1 - t0).total_seconds()
    step = next((s for s in _STEPS if span / s <= _MAX_TICKS), _STEPS[-1])
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = math.ceil((t0 - epoch).total_seconds() / step) * step
    ticks: list[Tick] = []
    last_day = None
    t = first
    last = (t1 - epoch).total_seconds()
    while t <= last and len(ticks) <= _MAX_TICKS:
        ts = _shift(epoch, timedelta(seconds=t))
        if step >= 86400:
            label = ts.strftime("%Y-%m-%d")
        else:
            day = ts.date()
            label = ts.strftime("%H:%M") if day == last_day else ts.strftime("%Y-%m-%d %H:%M")
            last_day = day
        ticks.append(Tick(scale.x(ts), label))
        t += step
    return tuple(ticks)


def _radius(count: int) -> float:
    return round(min(4.0 + 1.6 * math.log2(count), 11.0), 1)


def _lane_of(f: Finding) -> str:
    return f.chain if f.chain in {c.value for c in CHAINS} else OTHER_LANE


def _marker_label(hits: Sequence[Finding]) -> str:
    first, last = hits[0], hits[-1]
    rules = sorted({h.rule_id for h in hits})
    shown = ", ".join(rules[:6]) + (f" and {len(rules) - 6} more" if len(rules) > 6 else "")
    when = (
        iso(first.timestamp)
        if first.timestamp == last.timestamp
        else f"{iso(first.timestamp)} to {iso(last.timestamp)}"
    )
    n = len(hits)
    head = f"{n} finding{'s' if n != 1 else ''}, {when}: {shown}"
    if n == 1:
        head += f" - {first.title}" + (f" from {first.source_ip}" if first.source_ip else "")
    return head


def _worst(hits: Iterable[Finding]) -> Severity:
    return max((h.severity for h in hits), key=lambda s: s.rank)


def _caption(
    text: str, row: int, x1: float, x2: float, placed: Sequence[tuple[int, Incident, float, float]]
) -> tuple[str, float, str]:
    """Where an incident's caption fits in its row (right of the bar, else left), or no caption."""
    needed = 6.0 * len(text) + 8
    others = [(a, b) for r, _, a, b in placed if r == row and (a, b) != (x1, x2)]
    right_limit = min([a for a, _ in others if a >= x2] + [float(PLOT_RIGHT)])
    if x2 + needed <= right_limit:
        return text, round(x2 + 4, 1), "start"
    left_limit = max([b for _, b in others if b <= x1] + [float(PLOT_LEFT)])
    if x1 - needed >= left_limit:
        return text, round(x1 - 4, 1), "end"
    return "", 0.0, "start"


def attack_timeline(findings: Sequence[Finding], incidents: Sequence[Incident]) -> Chart | None:
    """Findings over time, one lane per chain, with the incidents as bars above them."""
    dated = sorted((f for f in findings if f.timestamp is not None), key=Finding.sort_key)
    spans = [i for i in incidents if i.first is not None]
    if not dated:
        return None
    times = [utc(f.timestamp) for f in dated if f.timestamp]
    times += [utc(t) for i in spans for t in (i.first, i.last) if t is not None]
    t0, t1 = _window(times)
    scale = _Scale(t0, t1)
    lanes: list[Lane] = []
    bars: list[Bar] = []
    y = float(TOP_PAD)
    rows, placed = _stacked(spans, scale)
    if placed:
        lane = Lane("Incidents", y, max(rows, 1) * _INCIDENT_ROW + 8)
        lanes.append(lane)
        bars = [_incident_bar(y, row, inc, x1, x2, placed) for row, inc, x1, x2 in placed]
        y += lane.height
    markers: list[Marker] = []
    for name in _lane_names(dated):
        lane = Lane(name, y, LANE_HEIGHT)
        lanes.append(lane)
        markers += _markers(lane, [f for f in dated if _lane_of(f) == name], scale)
        y += LANE_HEIGHT
    # Worst on top: SVG paints in document order.
    markers.sort(key=lambda m: (Severity(m.severity).rank, m.x, m.y))
    axis_y = round(y + 4, 1)
    return Chart(
        WIDTH,
        int(axis_y + AXIS_HEIGHT),
        PLOT_LEFT,
        PLOT_RIGHT,
        axis_y,
        tuple(lanes),
        _ticks(t0, t1, scale),
        tuple(markers),
        tuple(bars),
        iso(t0) or "",
        iso(t1) or "",
        undated=len(findings) - len(dated),
    )


_INCIDENT_ROW = 16.0

_Placed = tuple[int, Incident, float, float]


def _stacked(spans: Sequence[Incident], scale: _Scale) -> tuple[int, list[_Placed]]:
    """The incidents stacked greedily into a few rows, so overlapping ones stay visible: how
    many rows, and each incident's row and horizontal extent."""
    rows_end: list[float] = []
    placed: list[_Placed] = []
    for inc in sorted(spans, key=lambda i: (utc(i.first), i.id)):  # type: ignore[arg-type]
        x1 = scale.x(inc.first)  # type: ignore[arg-type]
        x2 = max(scale.x(inc.last or inc.first), x1 + 3)  # type: ignore[arg-type]
        row = next((r for r, end in enumerate(rows_end) if end + 4 <= x1), None)
        if row is None:
            if len(rows_end) < MAX_INCIDENT_ROWS:
                rows_end.append(0.0)
            row = len(rows_end) - 1
        rows_end[row] = max(rows_end[row], x2)
        placed.append((row, inc, x1, x2))
    return len(rows_end), placed


def _incident_bar(y: float, row: int, inc: Incident, x1: float, x2: float, placed: list[_Placed]) -> Bar:
    """One incident's bar in the lane starting at `y`, with its tooltip and its caption."""
    ip = inc.source_ip or "unknown source"
    label = (
        f"{inc.id}: {ip}, {iso(inc.first)} to {iso(inc.last)}, {inc.findings} findings, "
        f"worst {inc.worst}; chains: {', '.join(inc.chains) or '-'}; rules: {', '.join(inc.rule_ids)}"
    )
    caption, cx, anchor = _caption(f"{inc.id} {ip}", row, x1, x2, placed)
    top = round(y + 4 + row * _INCIDENT_ROW, 1)
    return Bar(x1, top, round(x2 - x1, 1), 11.0, str(inc.worst), label, caption, cx, anchor)


def _lane_names(dated: Sequence[Finding]) -> list[str]:
    """The chains the dated findings belong to, in the chains' order, and the lane of other
    traces last when some belong to none."""
    names = [c.value for c in CHAINS if any(_lane_of(f) == c.value for f in dated)]
    if any(_lane_of(f) == OTHER_LANE for f in dated):
        names.append(OTHER_LANE)
    return names


def _markers(lane: Lane, hits: Sequence[Finding], scale: _Scale) -> list[Marker]:
    """A lane's findings binned by time: a marker per bin, at the bin's mean time, sized by its
    count and coloured by its worst."""
    width = PLOT_RIGHT - PLOT_LEFT
    bins: dict[int, list[Finding]] = {}
    for f in hits:
        x = scale.x(f.timestamp)  # type: ignore[arg-type]
        bins.setdefault(min(int((x - PLOT_LEFT) / width * BINS), BINS - 1), []).append(f)
    markers: list[Marker] = []
    for _, binned in sorted(bins.items()):
        xs = [scale.x(h.timestamp) for h in binned]  # type: ignore[arg-type]
        markers.append(
            Marker(
                round(sum(xs) / len(xs), 1),
                lane.middle,
                _radius(len(binned)),
                str(_worst(binned)),
                len(binned),
                _marker_label(binned),
            )
        )
    return markers


def coverage_timeline(coverage: Mapping[str, CoverageSpan], findings: Sequence[Finding]) -> Chart | None:
    """How far each log family reaches, with the findings' window shaded: what the hunt could see."""
    spans = {k: v for k, v in coverage.items() if v.first is not None and v.last is not None}
    if not spans:
        return None
    dated = sorted(utc(f.timestamp) for f in findings if f.timestamp is not None)
    times = [utc(t) for v in spans.values() for t in (v.first, v.last) if t is not None] + dated
    t0, t1 = _window(times)
    scale = _Scale(t0, t1)
    lanes: list[Lane] = []
    bars: list[Bar] = []
    y = float(TOP_PAD)
    lane_h = 24.0
    for name in sorted(spans):
        span = spans[name]
        lanes.append(Lane(name, y, lane_h))
        x1 = scale.x(span.first)  # type: ignore[arg-type]
        x2 = max(scale.x(span.last), x1 + 2)  # type: ignore[arg-type]
        label = f"{name}: {iso(span.first)} to {iso(span.last)}, {span.files} files, {span.records} records"
        bars.append(Bar(x1, round(y + 6, 1), round(x2 - x1, 1), 12.0, "coverage", label))
        y += lane_h
    shade = None
    if dated:
        x1, x2 = scale.x(dated[0]), scale.x(dated[-1])
        shade = Bar(
            round(x1 - 2, 1),
            float(TOP_PAD - 6),
            round(max(x2 - x1, 0) + 4, 1),
            round(y - TOP_PAD + 8, 1),
            "attack",
            f"findings from {iso(dated[0])} to {iso(dated[-1])}",
        )
    axis_y = round(y + 4, 1)
    return Chart(
        WIDTH,
        int(axis_y + AXIS_HEIGHT),
        PLOT_LEFT,
        PLOT_RIGHT,
        axis_y,
        tuple(lanes),
        _ticks(t0, t1, scale),
        (),
        tuple(bars),
        iso(t0) or "",
        iso(t1) or "",
        shade=shade,
    )
