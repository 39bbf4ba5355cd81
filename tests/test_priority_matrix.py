"""Levels, lookup matrices and weighted matrices: total and monotone or refused, checked against brute-force oracles."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from ticketcore.errors import ConfigError
from ticketcore.priority import (
    Impact,
    Priority,
    PriorityError,
    PriorityMatrix,
    Urgency,
    WeightedPriorityMatrix,
)

ITIL = {
    (1, 1): 1,
    (1, 2): 2,
    (2, 1): 2,
    (1, 3): 3,
    (2, 2): 3,
    (3, 1): 3,
    (2, 3): 4,
    (3, 2): 4,
    (3, 3): 5,
}


# --- levels ---------------------------------------------------------------------------------------------------


def test_levels_order_by_number_and_compare_by_level_only() -> None:
    assert Priority(1, "Critical") == Priority(1) == Priority.CRITICAL
    assert sorted([Priority(3), Priority.CRITICAL, Priority(2)]) == [Priority(1), Priority(2), Priority(3)]
    assert Priority.CRITICAL.outranks(Priority.HIGH)
    assert not Priority.HIGH.outranks(Priority.HIGH)
    assert Impact.HIGH < Impact.LOW
    impact: object = Impact(1)
    assert impact != Urgency(1)
    assert len({Priority(2, "High"), Priority(2, "Important")}) == 1


def test_level_labels() -> None:
    assert Priority.CRITICAL.label == "P1 Critical"
    assert str(Priority(7)) == "P7"
    assert Priority(4).code == "P4"
    assert str(Impact.MEDIUM) == "2 - Medium"
    assert Urgency(2).label == "2"


@pytest.mark.parametrize("level", [0, -1, True, 1.0, "1"])
def test_bad_levels_are_refused(level: object) -> None:
    with pytest.raises(PriorityError, match="level must be an integer of 1 or more"):
        Priority(level)  # type: ignore[arg-type]


# --- the ITIL default -------------------------------------------------------------------------------------------


def test_itil_equals_the_table() -> None:
    matrix = PriorityMatrix.itil()
    for (impact, urgency), level in ITIL.items():
        assert matrix.priority(impact, urgency) == Priority(level)
    assert [p.label for p in matrix.priorities] == [
        "P1 Critical",
        "P2 High",
        "P3 Moderate",
        "P4 Low",
        "P5 Planning",
    ]
    assert matrix.priority(Impact.HIGH, Urgency.HIGH).name == "Critical"
    assert matrix.priority(Impact.LOW, Urgency.LOW).label == "P5 Planning"
    assert [str(i) for i in matrix.impacts] == ["1 - High", "2 - Medium", "3 - Low"]


def test_priority_accepts_ints_and_members_and_refuses_the_rest() -> None:
    matrix = PriorityMatrix.itil()
    assert matrix.priority(Impact(2), 1) == matrix.priority(2, Urgency(1)) == Priority(2)
    with pytest.raises(PriorityError, match="valid levels: 1 to 3"):
        matrix.priority(4, 1)
    with pytest.raises(PriorityError, match="expected Impact or an int level, got Urgency"):
        matrix.priority(Urgency(1), 1)  # type: ignore[arg-type]
    with pytest.raises(PriorityError, match="urgency 0"):
        matrix.priority(1, 0)
    with pytest.raises(PriorityError):
        matrix.priority(True, 1)


def test_basis_explains_the_cell() -> None:
    assert PriorityMatrix.itil().basis(1, 2) == "impact 1 - High × urgency 2 - Medium → P2 High"


def test_cells_cover_the_table() -> None:
    cells = {(i.level, u.level): p.level for i, u, p in PriorityMatrix.itil().cells()}
    assert cells == ITIL


def test_rectangular_matrix() -> None:
    matrix = PriorityMatrix(4, [[1, 2, 3], [2, 3, 4], [3, 3, 4], [3, 4, 4]], urgency_levels=3)
    assert matrix.priority(4, 3) == Priority(4)
    assert len(matrix.impacts) == 4
    assert len(matrix.urgencies) == 3
    with pytest.raises(PriorityError):
        matrix.priority(1, 4)


def test_named_levels() -> None:
    matrix = PriorityMatrix(
        2,
        [[1, 2], [2, 3]],
        names=["Urgent", "Normal", "Low"],
        impact_names=["Company", "Person"],
        urgency_names=["Now", "Later"],
    )
    assert matrix.priority(1, 1).label == "P1 Urgent"
    assert matrix.impact(2).name == "Person"
    assert matrix.urgency(1).name == "Now"
    assert matrix.priority_of(3).name == "Low"
    with pytest.raises(PriorityError, match="valid levels: 1 to 3"):
        matrix.priority_of(4)


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"levels": 0, "table": []}, "levels"),
        ({"levels": 2, "table": [[1, 2]]}, "table[1]"),
        ({"levels": 1, "table": [[1], [2]]}, "table[1]"),
        ({"levels": 2, "table": [[1, 2], [2]]}, "table[1][1]"),
        ({"levels": 2, "table": [[1, 2], [2, 3, 4]]}, "table[1][2]"),
        ({"levels": 2, "table": [[1, 2], [2, 6]]}, "table[1][1]"),
        ({"levels": 2, "table": [[2, 1], [2, 3]]}, "table[0][1]"),
        ({"levels": 2, "table": [[1, 2], [2, 1]]}, "table[1][1]"),
        ({"levels": 2, "table": [[1, 2], [2, 2]], "names": []}, "names"),
        ({"levels": 2, "table": [[1, 2], [2, 2]], "names": ["A", "A"]}, "names[1]"),
        ({"levels": 2, "table": [[1, 2], [2, 2]], "names": ["A", " "]}, "names[1]"),
        ({"levels": 2, "table": [[1, 2], [2, 2]], "impact_names": ["A"]}, "impact_names"),
        ({"levels": 2, "table": [[1, 2], [2, 2]], "urgency_levels": 0}, "urgency_levels"),
    ],
)
def test_refusals_name_the_offending_field(kwargs: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        PriorityMatrix(**kwargs)  # type: ignore[arg-type]
    assert caught.value.path == path


def test_monotonicity_message_says_how_to_fix() -> None:
    with pytest.raises(ConfigError, match=r"table\[2\]\[1\]: P2 at impact 3, urgency 2 .* \(use 3 or more\)"):
        PriorityMatrix(3, [[1, 2, 3], [2, 3, 4], [3, 2, 4]])


# --- every matrix is total and monotone, or refused -------------------------------------------------------------


def oracle_first_problem(levels: int, table: list[list[int]], priorities: int) -> str | None:
    """The first offending cell of ``table`` by the definitions, brute force (None when the matrix is valid)."""
    if len(table) != levels:
        return f"table[{min(len(table), levels)}]"
    for i, row in enumerate(table):
        if len(row) != levels:
            return f"table[{i}][{min(len(row), levels)}]"
    for i, j in itertools.product(range(levels), repeat=2):
        cell = table[i][j]
        if not 1 <= cell <= priorities:
            return f"table[{i}][{j}]"
        # Dominance: any cell at least as severe on both axes must be at least as urgent.
        if any(table[a][b] > cell for a in range(i + 1) for b in range(j + 1)):
            return f"table[{i}][{j}]"
    return None


@st.composite
def tables(draw: st.DrawFn) -> tuple[int, list[list[int]], int]:
    levels = draw(st.integers(1, 5))
    priorities = draw(st.integers(1, 7))
    if draw(st.booleans()):
        # Monotone by construction (each cell at least its upper and left neighbours), sometimes off by one.
        table: list[list[int]] = []
        for i in range(levels):
            row: list[int] = []
            for j in range(levels):
                low = max([1] + ([table[i - 1][j]] if i else []) + ([row[j - 1]] if j else []))
                row.append(low + draw(st.integers(0, 1)) - (1 if draw(st.integers(0, 40)) == 0 else 0))
            table.append(row)
    else:
        sizes = st.integers(max(0, levels - 1), levels + 1)
        table = [draw(st.lists(st.integers(0, 8), min_size=levels, max_size=levels)) for _ in range(levels)]
        table = [
            draw(st.lists(st.integers(0, 8), min_size=n, max_size=n)) if draw(st.integers(0, 9)) == 0 else row
            for row, n in zip(table, [draw(sizes) for _ in table], strict=True)
        ]
        if draw(st.integers(0, 9)) == 0:
            table = table[: draw(sizes)]
    return levels, table, priorities


@given(tables())
def test_matrices_are_total_and_monotone_or_refused(case: tuple[int, list[list[int]], int]) -> None:
    levels, table, priorities = case
    names = [f"N{n}" for n in range(1, priorities + 1)]
    expected = oracle_first_problem(levels, table, priorities)
    if expected is not None:
        with pytest.raises(ConfigError) as caught:
            PriorityMatrix(levels, table, names=names)
        assert caught.value.path == expected
        return
    event("valid")
    matrix = PriorityMatrix(levels, table, names=names)
    for i, u in itertools.product(range(1, levels + 1), repeat=2):
        result = matrix.priority(i, u)
        assert result == Priority(table[i - 1][u - 1])
        assert result.name == names[result.level - 1]
        # Raising impact or urgency (a smaller level number) never lowers the priority.
        for a, b in itertools.product(range(1, i + 1), range(1, u + 1)):
            assert matrix.priority(a, b).level <= result.level


# --- weighted matrices ------------------------------------------------------------------------------------------

BMC_DEFAULTS = [
    # impact, urgency, priority name, weight (BMC Remedy's published default weight table)
    (4, 4, "Low", 0),
    (4, 3, "Medium", 10),
    (4, 2, "Medium", 15),
    (4, 1, "High", 20),
    (3, 4, "Low", 3),
    (3, 3, "Medium", 13),
    (3, 2, "High", 18),
    (3, 1, "High", 23),
    (2, 4, "Low", 5),
    (2, 3, "Medium", 15),
    (2, 2, "High", 20),
    (2, 1, "Critical", 25),
    (1, 4, "Low", 9),
    (1, 3, "High", 19),
    (1, 2, "Critical", 24),
    (1, 1, "Critical", 29),
]


def test_weighted_matrix_reproduces_bmc_defaults() -> None:
    matrix = WeightedPriorityMatrix(
        (9, 5, 3, 0), (20, 15, 10, 0), (24, 16, 10, 0), names=("Critical", "High", "Medium", "Low")
    )
    for impact, urgency, name, weight in BMC_DEFAULTS:
        assert matrix.weight(impact, urgency) == weight
        assert matrix.priority(impact, urgency).name == name
    assert matrix.basis(1, 2) == "impact 1 - Critical (9) + urgency 2 - High (15) = 24 ≥ 24 → P1 Critical"


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (((), (1,), (0,)), "impact_weights"),
        (((1, 2), (1,), (0,)), "impact_weights[1]"),
        (((2, 1), (1, 3), (0,)), "urgency_weights[1]"),
        (((2, 1), (1, 0), ()), "thresholds"),
        (((2, 1), (1, 0), (3, 3)), "thresholds[1]"),
        (((2, 1), (1, 0), (3, 2)), "thresholds[1]"),
        (((2, 1), (1, 0), (6, 5, 4, 3, 2, 1)), "thresholds[5]"),
    ],
)
def test_weighted_refusals(args: tuple[tuple[int, ...], ...], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        WeightedPriorityMatrix(*args)
    assert caught.value.path == path


_weight_lists = st.lists(st.integers(-5, 30), min_size=1, max_size=5)
# Mostly falling lists (valid candidates), sometimes arbitrary ones (refusals).
weights = st.one_of(_weight_lists.map(lambda v: sorted(v, reverse=True)), _weight_lists)
_threshold_lists = st.lists(st.integers(-10, 60), min_size=1, max_size=6)
thresholds_ = st.one_of(_threshold_lists.map(lambda v: sorted(set(v), reverse=True)), _threshold_lists)


@given(weights, weights, thresholds_)
def test_weighted_matrices_are_total_and_monotone_or_refused(
    impact_weights: list[int], urgency_weights: list[int], thresholds: list[int]
) -> None:
    def falls(values: list[int]) -> bool:
        return all(a >= b for a, b in itertools.pairwise(values))

    valid = (
        falls(impact_weights)
        and falls(urgency_weights)
        and len(thresholds) <= 5
        and all(a > b for a, b in itertools.pairwise(thresholds))
        and impact_weights[-1] + urgency_weights[-1] >= thresholds[-1]
    )
    if not valid:
        with pytest.raises(ConfigError):
            WeightedPriorityMatrix(impact_weights, urgency_weights, thresholds)
        return
    event("valid")
    matrix = WeightedPriorityMatrix(impact_weights, urgency_weights, thresholds)
    lookup = matrix.to_lookup()  # a lookup matrix is checked monotone when built
    for i, iw in enumerate(impact_weights, 1):
        for u, uw in enumerate(urgency_weights, 1):
            expected = min(p for p, least in enumerate(thresholds, 1) if iw + uw >= least)
            assert matrix.priority(i, u) == lookup.priority(i, u) == Priority(expected)
