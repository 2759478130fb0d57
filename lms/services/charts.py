"""Charts drawn as inline SVG: the geometry is computed here, so templates only loop and draw.

No JavaScript and no library: bars are rectangles in a viewBox that scales with the page, and
their colours come from CSS classes (`series-<key>`), since the CSP forbids inline styles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from babel.numbers import format_compact_currency
from flask_babel import format_date, format_percent, get_locale, ngettext, pgettext
from flask_babel import gettext as _

from lms.i18n import format_money
from lms.services.course_stats import CourseStats, HardQuestion, short_prompt

WIDTH = 400  # viewBox units: 12-unit text reads at about 15 px in a half-page card
COLUMN_HEIGHT = 220
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 4, 10, 40
ROW_HEIGHT, BAR_THICKNESS = 46, 18
VALUE_ROOM = 90  # right of the longest row bar, for its figure
LABEL_LENGTH = 44  # a question's prompt above its bar; the table has the longer one


@dataclass(frozen=True)
class Series:
    key: str  # names the CSS class `series-<key>`
    label: str
    values: Sequence[int]


@dataclass(frozen=True)
class Category:
    label: str  # under its column: `gen`
    name: str  # in words, in its bars' titles: `gennaio 2025`
    sublabel: str = ""  # a second line under the label: the year, when it changes


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str  # the bar's figure in words, shown on hover


@dataclass(frozen=True)
class Tick:
    y: float
    label: str
    is_zero: bool


@dataclass(frozen=True)
class AxisLabel:
    x: float
    y: float
    label: str
    sublabel: str
    sublabel_y: float
    minor: bool  # hidden on a phone, where every other column is labelled


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: float  # the plot's edges, for the grid lines
    right: float
    tick_x: float  # where the tick labels end, left of the plot
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[AxisLabel]
    series: list[Series]  # for the legend


@dataclass(frozen=True)
class Row:
    label: str
    value: int
    value_label: str
    title: str  # the row's figures in words, shown on hover
    series: str


@dataclass(frozen=True)
class RowBar:
    label: str
    label_y: float
    y: float
    width: float
    height: float
    value_label: str
    value_x: float
    value_y: float
    title: str
    series: str


@dataclass(frozen=True)
class RowChart:
    width: int
    height: int
    track_width: float  # the length of a full bar
    bars: list[RowBar]


def nice_step(span: int, parts: int = 4) -> int:
    """The round step (1, 2 or 5 times a power of ten) that cuts `span` in about `parts`."""
    raw = max(span / parts, 1)
    power = 10 ** (len(str(int(raw))) - 1)
    return next(factor * power for factor in (1, 2, 5, 10) if factor * power >= raw)


def _r(value: float) -> float:
    return round(value, 2)


def column_chart(
    categories: Sequence[Category],
    series: Sequence[Series],
    *,
    value_label: Callable[[int], str] = str,
    tick_label: Callable[[int], str] = str,
    height: int = COLUMN_HEIGHT,
) -> ColumnChart:
    """Stacked columns, one per category: positive values stack up from zero, negative down.

    The tallest stack takes the plot's full height; the axis ticks are round values inside it.
    """
    count = len(categories)
    ups = [sum(max(s.values[i], 0) for s in series) for i in range(count)]
    downs = [sum(min(s.values[i], 0) for s in series) for i in range(count)]
    top, bottom = max(ups, default=0), min(downs, default=0)
    if top == bottom:
        top = 1  # nothing to draw: the zero line lies at the bottom
    plot_top, plot_height = MARGIN_TOP, height - MARGIN_TOP - MARGIN_BOTTOM
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    scale = plot_height / (top - bottom)

    def y_of(value: int) -> float:
        return plot_top + (top - value) * scale

    band = plot_width / max(count, 1)
    bar_width = band * 0.64
    bars: list[Bar] = []
    for i, category in enumerate(categories):
        x = MARGIN_LEFT + i * band + (band - bar_width) / 2
        up = down = 0
        for s in series:
            value = s.values[i]
            if value == 0:
                continue
            if value > 0:
                up += value
                y = y_of(up)
            else:
                y = y_of(down)
                down += value
            title = f"{category.name} · {s.label}: {value_label(abs(value))}"
            bars.append(Bar(_r(x), _r(y), _r(bar_width), _r(abs(value) * scale), s.key, title))
    step = nice_step(top - bottom)
    ticks = [
        Tick(_r(y_of(k * step)), tick_label(k * step), k == 0)
        for k in range(-(-bottom // step), top // step + 1)
    ]
    labels = []
    for i, category in enumerate(categories):
        minor = (count - 1 - i) % 2 == 1  # on a phone: every other label, the last one kept
        x = _r(MARGIN_LEFT + (i + 0.5) * band)
        labels.append(
            AxisLabel(x, height - 24, category.label, category.sublabel, height - 8, minor)
        )
    return ColumnChart(
        WIDTH,
        height,
        MARGIN_LEFT,
        WIDTH - MARGIN_RIGHT,
        MARGIN_LEFT - 6,
        bars,
        ticks,
        labels,
        list(series),
    )


def row_chart(rows: Sequence[Row], maximum: int) -> RowChart:
    """Horizontal bars, each under its label and followed by its figure; `maximum` is a full bar."""
    track = WIDTH - VALUE_ROOM
    bars = []
    for i, row in enumerate(rows):
        top = i * ROW_HEIGHT
        width = _r(track * row.value / maximum) if maximum > 0 else 0
        bars.append(
            RowBar(
                label=row.label,
                label_y=top + 14,
                y=top + 20,
                width=width,
                height=BAR_THICKNESS,
                value_label=row.value_label,
                value_x=_r(width + 6),
                value_y=top + 20 + BAR_THICKNESS - 4,
                title=row.title,
                series=row.series,
            )
        )
    return RowChart(WIDTH, max(len(rows), 1) * ROW_HEIGHT, track, bars)


@dataclass(frozen=True)
class CourseCharts:
    enrollments: ColumnChart
    revenue: ColumnChart
    funnel: RowChart
    quiz_questions: RowChart
    exam_questions: RowChart


def months(firsts: Sequence[date]) -> list[Category]:
    """`gen`, `feb`, ... under the columns, with the year under the first month and January."""
    return [
        Category(
            format_date(month, "LLL"),
            format_date(month, "MMMM yyyy"),
            format_date(month, "yyyy") if i == 0 or month.month == 1 else "",
        )
        for i, month in enumerate(firsts)
    ]


def funnel_labels() -> dict[str, str]:
    return {
        "enrolled": pgettext("funnel", "Enrolled"),
        "started": pgettext("funnel", "Started"),
        "completed": pgettext("funnel", "Completed"),
        "certified": pgettext("funnel", "Certified"),
    }


def _question_rows(questions: Sequence[HardQuestion]) -> RowChart:
    rows = [
        Row(
            short_prompt(q.prompt, LABEL_LENGTH),
            q.percent_wrong,
            format_percent(q.wrong / q.answered),
            ngettext(
                "%(percent)s wrong of %(num)d answer",
                "%(percent)s wrong of %(num)d answers",
                q.answered,
                percent=format_percent(q.wrong / q.answered),
            ),
            "wrong",
        )
        for q in questions
    ]
    return row_chart(rows, 100)


def course_charts(stats: CourseStats) -> CourseCharts:
    """The dashboard's charts, labelled in the request's language."""
    columns = months([m.month for m in stats.enrollments])
    currency = stats.currency

    def money(cents: int) -> str:
        return format_money(cents, currency)

    def money_tick(cents: int) -> str:
        return format_compact_currency(
            cents / 100, currency.upper(), locale=get_locale(), fraction_digits=1
        )

    enrollments = column_chart(
        columns,
        [
            Series("purchase", _("Purchase"), [m.purchase for m in stats.enrollments]),
            Series("free", _("Free"), [m.free for m in stats.enrollments]),
            Series("manual", _("By hand"), [m.manual for m in stats.enrollments]),
        ],
    )
    revenue = column_chart(
        columns,
        [
            Series("paid", _("Paid"), [m.paid_cents for m in stats.revenue]),
            Series("refunded", _("Refunded"), [-m.refunded_cents for m in stats.revenue]),
        ],
        value_label=money,
        tick_label=money_tick,
    )
    names = funnel_labels()
    steps = []
    for step in stats.funnel:
        figure = f"{step.count} · {format_percent(step.percent / 100)}"
        steps.append(
            Row(names[step.key], step.count, figure, f"{names[step.key]}: {figure}", "funnel")
        )
    funnel = row_chart(steps, stats.funnel[0].count)
    return CourseCharts(
        enrollments,
        revenue,
        funnel,
        _question_rows(stats.quiz_questions),
        _question_rows(stats.exam_questions),
    )
