"""A snapshot mapping as data: which column is which ticket field, and how its cells read."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from ticketcore.errors import BadInput, ConfigError
from ticketcore.model import Category, FieldValue

TICKET_FIELDS = frozenset(
    {
        "status",
        "priority",
        "impact",
        "urgency",
        "assignee",
        "group",
        "tags",
        "channel",
        "subject",
        "requester",
        "topic",
        "segment",
        "region",
        "country",
        "language",
    }
)
"""The ticket fields a column may map to; every other column is kept as a custom field under its own name."""

LEVEL_FIELDS = frozenset({"priority", "impact", "urgency"})
_LEADING_INT = re.compile(r"\s*([0-9]+)")
_NUMBER = re.compile(r"[+-][0-9]+(?:\.[0-9]+)?")


@attrs.frozen(kw_only=True)
class StatusValue:
    """What an exported state means: the status name it becomes and that status's category."""

    status: str
    category: Category = attrs.field(converter=Category)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {value!r}; give an IANA name such as 'UTC' or 'Europe/Rome'"
        ) from None
    return value


@attrs.frozen(kw_only=True)
class SnapshotMapping:
    """How rows that are successive states of tickets read, given as data (``codec.load(SnapshotMapping, data)``).

    ``ticket`` names the ticket id column, ``order`` the column that orders a ticket's rows (an integer counter such
    as ServiceNow's ``sys_mod_count``; ``None`` when each ticket has one row), ``at`` the timestamp column and
    ``actor`` the column naming who made the change; ``opened_at``, when given, names the column of the ticket's
    creation time, which stamps its ``opened`` event (else the first row's ``at`` does). ``columns`` maps other columns to ticket fields
    (:data:`TICKET_FIELDS`); any column not mentioned is kept as a custom field of the same name, unless listed in
    ``ignore``. Value maps translate states (to a status and its category), channels and levels (priority, impact,
    urgency; a cell missing from ``levels`` is read by its leading integer, so ``"3 - Moderate"`` is 3). A cell equal
    to one of ``missing`` is no value. Timestamps parse with ``timestamp_format`` (``strptime``; ISO 8601 when
    ``None``) and, when they carry no offset, are read in ``tz``.

    >>> m = SnapshotMapping(ticket="id", order="rev", at="when", columns={"state": "status"})
    >>> m.field_of("state"), m.field_of("colour")
    ('status', 'colour')
    """

    ticket: str
    order: str | None = None
    at: str
    actor: str | None = None
    opened_at: str | None = None
    columns: dict[str, str] = attrs.field(factory=dict)
    statuses: dict[str, StatusValue] = attrs.field(factory=dict)
    unknown_category: Category = attrs.field(default=Category.OPEN, converter=Category)
    channels: dict[str, str] = attrs.field(factory=dict)
    levels: dict[str, int] = attrs.field(factory=dict)
    missing: tuple[str, ...] = ("",)
    timestamp_format: str | None = None
    tz: str = attrs.field(default="UTC", converter=_zone)
    tag_separator: str = " "
    ignore: tuple[str, ...] = ()
    counted: bool = True
    """Whether ``order`` counts each ticket's updates (ServiceNow's ``sys_mod_count``), so that a jump means missing
    updates; ``False`` for ids shared by all tickets (Zendesk's audit ids), which only order the rows."""

    def __attrs_post_init__(self) -> None:
        for column, target in self.columns.items():
            if target not in TICKET_FIELDS:
                raise ConfigError(
                    f"{target!r} is not a ticket field; map to one of {', '.join(sorted(TICKET_FIELDS))} "
                    "(other columns are kept as custom fields by themselves)",
                    f"columns.{column}",
                )

    @property
    def meta_columns(self) -> tuple[str, ...]:
        """The columns that place a row (ticket, order, times, actor) rather than describe the ticket."""
        placing = (self.ticket, self.order, self.at, self.opened_at, self.actor)
        return tuple(c for c in placing if c is not None)

    def field_of(self, column: str) -> str:
        """The ticket field (or custom field name) a column fills."""
        return self.columns.get(column, column)

    def described(self, header: tuple[str, ...]) -> tuple[str, ...]:
        """The columns of ``header`` that describe the ticket: all but the meta and the ignored ones."""
        skip = set(self.meta_columns) | set(self.ignore)
        return tuple(c for c in header if c not in skip)

    def check_header(self, header: tuple[str, ...], *, sparse: bool = False) -> None:
        """Refuse a header that lacks a column this mapping names, saying which and what the file has.

        With ``sparse`` (records that may leave columns out, as JSON ones do), only the ticket and time columns
        must be there.
        """
        named = [self.ticket, self.at] if sparse else [*self.meta_columns, *self.columns]
        absent = [c for c in named if c not in header]
        if absent:
            raise BadInput(
                f"the file has no column {', '.join(map(repr, absent))} that the mapping names; "
                f"its columns are {', '.join(header)} (is it the declared format?)",
                line=1,
            )

    def is_missing(self, cell: str | None) -> bool:
        """True when ``cell`` stands for no value."""
        return cell is None or cell.strip() in self.missing

    def timestamp(self, cell: str, line: int, column: str | None = None) -> datetime:
        """The aware UTC instant a timestamp cell (of ``column``, ``at`` by default) names.

        Raises :class:`BadInput` naming the line and column when the cell is not a timestamp.
        """
        text = cell.strip()
        try:
            stamp = (
                datetime.fromisoformat(text)
                if self.timestamp_format is None
                else datetime.strptime(text, self.timestamp_format)  # noqa: DTZ007 (the zone is applied below)
            )
        except ValueError:
            expected = self.timestamp_format or "ISO 8601"
            raise BadInput(
                f"{cell!r} is not a timestamp in {expected}", line=line, column=column or self.at
            ) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=ZoneInfo(self.tz))
        try:
            return stamp.astimezone(ZoneInfo("UTC"))
        except OverflowError:
            raise BadInput(
                f"{cell!r} is outside the instants a datetime holds in UTC (years 1 to 9999)",
                line=line,
                column=column or self.at,
            ) from None

    def level(self, cell: str) -> int | None:
        """A priority, impact or urgency level from its cell (the value map first, then the leading integer)."""
        text = cell.strip()
        if text in self.levels:
            return self.levels[text]
        match = _LEADING_INT.match(text)
        return int(match.group(1)) if match else None

    def status(self, cell: str) -> tuple[StatusValue, bool]:
        """The status a (present) state cell names, and whether the mapping knows it (an unknown state is kept by
        name in ``unknown_category``; with no ``statuses`` at all every state is taken as it is, and known)."""
        known = self.statuses.get(cell.strip())
        if known is not None:
            return known, True
        return StatusValue(status=cell.strip(), category=self.unknown_category), not self.statuses

    def read(self, field: str, cell: str | None) -> FieldValue | frozenset[str]:
        """The normalized value of a cell for ``field`` (``None``, or no tags, when the cell is missing)."""
        if cell is None or self.is_missing(cell):
            return frozenset() if field == "tags" else None
        if field in LEVEL_FIELDS:
            return self.level(cell)
        if field == "channel":
            return self.channels.get(cell.strip(), cell.strip())
        if field == "tags":
            return frozenset(t for t in cell.split(self.tag_separator or None) if t)
        return cell


def formula_like(cell: str | None) -> bool:
    """True for a cell a spreadsheet would run as a formula (``=cmd|...``); such cells are kept as text."""
    text = (cell or "").lstrip()
    if text[:1] in ("=", "@"):
        return True
    return text[:1] in ("+", "-") and not _NUMBER.fullmatch(text)
