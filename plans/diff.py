"""What changed between two submitted versions of a plan (issue 5: "what changed between versions
is visible to the reviewer").

Pure computation on the snapshots the submit service stores (plain JSON):
``{"insurer", "period_start", "period_end", "measures": {key: text}, "lines": [{"specialism",
"urgency_class", "backlog", "planned": {"YYYY-MM": volume}}]}``. Lines are matched by specialism ×
urgency class; a month missing from one side counts as a planned volume of 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LINE_ADDED = "added"
LINE_REMOVED = "removed"
LINE_CHANGED = "changed"


@dataclass(frozen=True)
class ValueChange:
    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class LineChange:
    specialism: str
    urgency_class: int
    change: str
    backlog: ValueChange | None = None
    months: tuple[ValueChange, ...] = ()
    old_planned_total: int = 0
    new_planned_total: int = 0


@dataclass(frozen=True)
class SnapshotDiff:
    fields: list[ValueChange] = field(default_factory=list)
    measures: list[ValueChange] = field(default_factory=list)
    lines: list[LineChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.measures or self.lines)


def _line_key(line: dict[str, Any]) -> tuple[str, int]:
    return (str(line["specialism"]), int(line["urgency_class"]))


def snapshot_diff(old: dict[str, Any], new: dict[str, Any]) -> SnapshotDiff:
    """The changes from ``old`` to ``new``, in a stable order (fields, measures, lines by
    specialism and class, months in calendar order)."""
    diff = SnapshotDiff()
    for name in ("insurer", "period_start", "period_end"):
        if old.get(name) != new.get(name):
            diff.fields.append(ValueChange(name, old.get(name), new.get(name)))

    old_measures, new_measures = old.get("measures") or {}, new.get("measures") or {}
    for measure in list(dict.fromkeys([*old_measures, *new_measures])):
        text_before = (old_measures.get(measure) or "").strip()
        text_after = (new_measures.get(measure) or "").strip()
        if text_before != text_after:
            diff.measures.append(ValueChange(measure, text_before, text_after))

    old_lines = {_line_key(line): line for line in old.get("lines") or []}
    new_lines = {_line_key(line): line for line in new.get("lines") or []}
    for specialism, urgency_class in sorted(set(old_lines) | set(new_lines)):
        key = (specialism, urgency_class)
        before, after = old_lines.get(key), new_lines.get(key)
        before_planned = (before or {}).get("planned") or {}
        after_planned = (after or {}).get("planned") or {}
        totals = {
            "old_planned_total": sum(before_planned.values()),
            "new_planned_total": sum(after_planned.values()),
        }
        if before is None:
            diff.lines.append(LineChange(specialism, urgency_class, change=LINE_ADDED, **totals))
            continue
        if after is None:
            diff.lines.append(LineChange(specialism, urgency_class, change=LINE_REMOVED, **totals))
            continue
        backlog = (
            ValueChange("backlog", before["backlog"], after["backlog"])
            if before["backlog"] != after["backlog"]
            else None
        )
        months = tuple(
            ValueChange(month, before_planned.get(month, 0), after_planned.get(month, 0))
            for month in sorted(set(before_planned) | set(after_planned))
            if before_planned.get(month, 0) != after_planned.get(month, 0)
        )
        if backlog or months:
            diff.lines.append(
                LineChange(
                    specialism,
                    urgency_class,
                    change=LINE_CHANGED,
                    backlog=backlog,
                    months=months,
                    **totals,
                )
            )
    return diff
