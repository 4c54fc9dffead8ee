"""What the reviewer sees as changed between two versions (plans.diff)."""

from plans.diff import LINE_ADDED, LINE_CHANGED, LINE_REMOVED, snapshot_diff


def snapshot(**overrides):
    base = {
        "insurer": "8101",
        "period_start": "2026-01",
        "period_end": "2026-12",
        "measures": {"digital_care": "Beeldbellen.", "staff": ""},
        "lines": [
            {"specialism": "0305", "urgency_class": 4, "backlog": 120, "planned": {"2026-01": 10}},
            {"specialism": "0303", "urgency_class": 3, "backlog": 40, "planned": {"2026-02": 5}},
        ],
    }
    base.update(overrides)
    return base


def test_no_change_is_empty() -> None:
    assert snapshot_diff(snapshot(), snapshot()).is_empty


def test_changed_measure_texts_and_period() -> None:
    new = snapshot(
        period_end="2027-03",
        measures={"digital_care": "Beeldbellen en e-consult.", "staff": "Extra OK-team."},
    )

    diff = snapshot_diff(snapshot(), new)

    assert [(c.key, c.old, c.new) for c in diff.fields] == [("period_end", "2026-12", "2027-03")]
    assert [(c.key, c.old, c.new) for c in diff.measures] == [
        ("digital_care", "Beeldbellen.", "Beeldbellen en e-consult."),
        ("staff", "", "Extra OK-team."),
    ]


def test_changed_added_and_removed_lines_with_their_numbers() -> None:
    new = snapshot(
        lines=[
            {
                "specialism": "0305",
                "urgency_class": 4,
                "backlog": 150,
                "planned": {"2026-01": 10, "2026-02": 15},
            },
            {"specialism": "0320", "urgency_class": 5, "backlog": 9, "planned": {}},
        ]
    )

    diff = snapshot_diff(snapshot(), new)

    by_key = {(c.specialism, c.urgency_class): c for c in diff.lines}
    assert by_key[("0303", 3)].change == LINE_REMOVED
    assert by_key[("0320", 5)].change == LINE_ADDED
    changed = by_key[("0305", 4)]
    assert changed.change == LINE_CHANGED
    assert (changed.backlog.old, changed.backlog.new) == (120, 150)
    assert [(c.key, c.old, c.new) for c in changed.months] == [("2026-02", 0, 15)]
    assert (changed.old_planned_total, changed.new_planned_total) == (10, 25)
    # Ordered by specialism code and class.
    assert [c.specialism for c in diff.lines] == ["0303", "0305", "0320"]
