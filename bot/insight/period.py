"""The period the insight figures cover: whole UTC days, from the page's form or the CLI's flags."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict

DEFAULT_DAYS = 30
MAX_DAYS = 366


class PeriodError(ValueError):
    """A period that can't be read; str() is one line saying what to write instead."""


class Period(BaseModel):
    """[first, last] as whole UTC days; `since`/`until` are the matching instants (until exclusive)."""

    model_config = ConfigDict(frozen=True)

    first: date
    last: date

    @property
    def since(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime(self.last.year, self.last.month, self.last.day, tzinfo=UTC) + timedelta(days=1)

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1

    def days(self) -> list[str]:
        """Every day of the period as YYYY-MM-DD, zero-count days included."""
        return [(self.first + timedelta(days=n)).isoformat() for n in range(self.length)]

    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} to {self.last.isoformat()} ({self.length} days)"


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(f"{name} must be a date like 2026-11-22, not {value[:40]!r}") from None


def parse_period(
    days: str | int | None = None,
    start: str | None = None,
    end: str | None = None,
    today: date | None = None,
) -> Period:
    """`days` (the last N days, today included) or `start`..`end` (inclusive dates; either may be
    left out: `end` defaults to today, `start` to DEFAULT_DAYS before `end`)."""
    today = today or datetime.now(UTC).date()
    start = (start or "").strip() or None
    end = (end or "").strip() or None
    if start or end:
        last = _date(end, "to") if end else today
        first = _date(start, "from") if start else last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise PeriodError(f"from ({first}) is after to ({last})")
    else:
        if days is None or (isinstance(days, str) and not days.strip()):
            count = DEFAULT_DAYS
        else:
            try:
                count = int(days)
            except ValueError:
                raise PeriodError(
                    f"days must be a whole number from 1 to {MAX_DAYS}, not {str(days)[:40]!r}"
                ) from None
        if not 1 <= count <= MAX_DAYS:
            raise PeriodError(f"days must be from 1 to {MAX_DAYS}, not {count}")
        last, first = today, today - timedelta(days=count - 1)
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"a period is at most {MAX_DAYS} days")
    return Period(first=first, last=last)
