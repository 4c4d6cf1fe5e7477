"""Small-group suppression: small counts hidden, and no hidden count can be worked back from what is shown.

The expectations are worked out by hand in each test, and a separate "attacker" (linear algebra
over the published sums, written here and not in the module) checks that no hidden cell can be
recovered, on hand-made tables and on many random ones.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from toolkit_course.grading import suppression
from toolkit_course.grading.suppression import suppress_statistics, suppress_table


def published(table):
    """Everything a reader sees: {(row, col): value or None}, margins at index len(rows) / len(columns)."""
    n_rows, n_cols = len(table.rows), len(table.columns)
    view = {(r, c): table.cells[r][c] for r in range(n_rows) for c in range(n_cols)}
    if table.row_totals is not None:
        view.update({(r, n_cols): cell for r, cell in enumerate(table.row_totals)})
    if table.column_totals is not None:
        view.update({(n_rows, c): cell for c, cell in enumerate(table.column_totals)})
    if table.grand_total is not None:
        view[(n_rows, n_cols)] = table.grand_total
    return {position: (None if cell.suppressed else cell.value) for position, cell in view.items()}


def recoverable(table) -> set[tuple[int, int]]:
    """Hidden cells a reader can compute exactly from the shown cells and the sums the table implies.

    Every row (with its total) and every column (with its total) is an equation; the hidden cells are
    the unknowns. A hidden cell is determined exactly when its unit vector lies in the row space of the
    equations, i.e. adding it does not raise the rank.
    """
    view = published(table)
    n_rows, n_cols = len(table.rows), len(table.columns)
    lines = []
    if table.row_totals is not None:
        lines += [[(r, c) for c in range(n_cols)] + [(r, n_cols)] for r in range(n_rows)]
        lines.append([(r, n_cols) for r in range(n_rows)] + [(n_rows, n_cols)])
    if table.column_totals is not None:
        lines += [[(r, c) for r in range(n_rows)] + [(n_rows, c)] for c in range(n_cols)]
        lines.append([(n_rows, c) for c in range(n_cols)] + [(n_rows, n_cols)])
    unknowns = sorted(p for p, v in view.items() if v is None)
    if not unknowns:
        return set()
    index = {p: i for i, p in enumerate(unknowns)}
    equations = []
    for line in lines:
        row = np.zeros(len(unknowns))
        *parts, total = line
        for p in parts:
            if p in index:
                row[index[p]] += 1
        if total in index:
            row[index[total]] -= 1
        if row.any():
            equations.append(row)
    if not equations:
        return set()
    matrix = np.array(equations)
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for p, i in index.items():
        unit = np.zeros(len(unknowns))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(p)
    return found


def texts(table):
    return [[cell.text for cell in row] for row in table.cells]


def test_a_small_count_shows_as_below_the_threshold_and_its_complement_is_hidden():
    # Participation by sex: 12 female, 3 male, 8 "prefers not to say"; total 23 is published.
    table = suppress_table(["female", "male", "prefers not to say"], ["people"], [[12], [3], [8]],
                           row_totals=False, column_totals=True)
    # 3 < 5 is hidden; alone in its column it could be worked back as 23 - 12 - 8, so the next
    # smallest cell (8) is hidden too; 12 and the total stay.
    assert texts(table) == [["12"], ["<5"], ["hidden"]]
    assert table.column_total("people").text == "23"
    assert recoverable(table) == set()


def test_naive_suppression_would_leak_and_the_attacker_sees_it():
    """The same table with only the small cell hidden: the attacker recovers it, so the check has teeth."""
    naive = suppression.Table(
        rows=("female", "male", "prefers not to say"), columns=("people",),
        cells=((suppression.Cell(12),), (suppression.Cell(3, True, True),), (suppression.Cell(8),)),
        row_totals=None, column_totals=(suppression.Cell(23),), grand_total=suppression.Cell(23), threshold=5)
    assert recoverable(naive) == {(1, 0)}
    assert 23 - 12 - 8 == 3  # what the attacker computes


def test_two_way_table_hides_a_rectangle_not_a_single_cell():
    # Passed / did not pass by sex. female: 2 passed, 9 did not; male: 10 and 7.
    table = suppress_table(["female", "male"], ["passed", "did not pass"], [[2, 9], [10, 7]])
    # By hand: 2 is small. Row "female" then has one hidden cell -> hide 9. Column "passed" has one
    # -> hide 10. Column "did not pass" has one (9) -> hide 7. Now every line has two hidden cells.
    assert texts(table) == [["<5", "hidden"], ["hidden", "hidden"]]
    # The margins stay: they are sums of two hidden cells each, so they give nothing away.
    assert [c.text for c in table.row_totals] == ["11", "17"]
    assert [c.text for c in table.column_totals] == ["12", "16"]
    assert table.grand_total.text == "28"
    assert recoverable(table) == set()


def test_a_small_group_hides_its_total_and_another_total_too():
    # A group of 3 (all its cells small) next to groups of 10 and 12.
    table = suppress_table(["female", "male", "not recorded"], ["passed", "did not pass"],
                           [[6, 4], [8, 4], [2, 1]])
    hidden_totals = [c.suppressed for c in table.row_totals]
    assert table.row_total("not recorded").text == "<5"
    # The row totals add up to the published grand total, so a second one is hidden.
    assert sum(hidden_totals) >= 2
    assert all(cell.text == "<5" for cell in table.cells[2])
    assert recoverable(table) == set()


def test_zero_counts_are_small_counts():
    table = suppress_table(["a", "b", "c"], ["n"], [[0], [20], [30]], row_totals=False)
    assert texts(table) == [["<5"], ["hidden"], ["30"]]


def test_threshold_is_configurable():
    table = suppress_table(["a", "b", "c"], ["n"], [[7], [20], [30]], row_totals=False, threshold=10)
    assert texts(table) == [["<10"], ["hidden"], ["30"]]
    assert suppress_table(["a", "b"], ["n"], [[7], [20]], row_totals=False, threshold=3).cells[0][0].text == "7"


def test_the_one_hidden_cell_rule_alone_can_leak_and_the_audit_closes_it():
    """Seen on a random 5 x 4 table: every line has two hidden cells or none, yet one is pinned down."""
    counts = [[2, 2, 4, 5], [14, 2, 9, 5], [5, 4, 25, 2], [9, 3, 5, 4], [3, 5, 4, 5]]
    table = suppress_table([f"r{i}" for i in range(5)], [f"c{j}" for j in range(4)], counts)
    assert recoverable(table) == set()
    # What the rule of the brief alone would publish: build it from the module's own first step.
    grid = {(r, c): counts[r][c] for r in range(5) for c in range(4)}
    grid.update({(r, 4): sum(counts[r]) for r in range(5)})
    grid.update({(5, c): sum(row[c] for row in counts) for c in range(4)})
    grid[(5, 4)] = sum(map(sum, counts))
    lines = suppression._lines(5, 4, True, True)
    rule_only = suppression._complete(grid, lines, {p for p, v in grid.items() if v < 5})
    naive = suppression.Table(
        rows=table.rows, columns=table.columns,
        cells=tuple(tuple(suppression.Cell(grid[(r, c)], (r, c) in rule_only) for c in range(4)) for r in range(5)),
        row_totals=tuple(suppression.Cell(grid[(r, 4)], (r, 4) in rule_only) for r in range(5)),
        column_totals=tuple(suppression.Cell(grid[(5, c)], (5, c) in rule_only) for c in range(4)),
        grand_total=suppression.Cell(grid[(5, 4)], (5, 4) in rule_only), threshold=5)
    assert recoverable(naive), "this table was chosen because the rule alone leaks on it"


@pytest.mark.parametrize("seed", range(150))
def test_no_hidden_cell_can_be_worked_back_in_random_tables(seed):
    rng = random.Random(seed)
    n_rows, n_cols = rng.randint(1, 5), rng.randint(1, 5)
    counts = [[rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 14, 25]) for _ in range(n_cols)] for _ in range(n_rows)]
    row_totals, column_totals = rng.choice([(True, True), (True, False), (False, True)])
    table = suppress_table([f"r{i}" for i in range(n_rows)], [f"c{j}" for j in range(n_cols)], counts,
                           row_totals=row_totals, column_totals=column_totals)
    for r in range(n_rows):
        for c in range(n_cols):
            if counts[r][c] < 5:
                assert table.cells[r][c].text == "<5"
    assert recoverable(table) == set(), f"leak in {counts} ({row_totals=}, {column_totals=})"


@pytest.mark.parametrize("seed", range(60))
def test_group_sizes_are_hidden_alike_in_every_table_of_the_same_groups(seed):
    """Two reports break the same people down by sex: one by outcome, one by test taking. Each shows the
    group sizes; if one hid a size the other showed, a reader holding both could subtract."""
    rng = random.Random(1000 + seed)
    n_rows = rng.randint(2, 4)
    first = [[rng.choice([0, 1, 2, 3, 6, 9, 14]) for _ in range(3)] for _ in range(n_rows)]
    sizes = [sum(row) for row in first]
    second = []
    for size in sizes:  # another split of the same group sizes
        a = rng.randint(0, size)
        b = rng.randint(0, size - a)
        second.append([a, b, size - a - b])
    labels = [f"g{i}" for i in range(n_rows)]
    pattern = suppression.group_sizes(labels, sizes)
    for counts in (first, second):
        table = suppress_table(labels, ["x", "y", "z"], counts, row_totals_as=pattern)
        assert [cell.suppressed for cell in table.row_totals] == pattern
        assert recoverable(table) == set(), f"leak in {counts} with sizes hidden as {pattern}"
    by_hand = suppress_table(labels, ["people"], [[n] for n in sizes], row_totals=False)
    assert pattern == [row[0].suppressed for row in by_hand.cells]


def test_percentages_of_hidden_counts_or_hidden_denominators_are_hidden():
    table = suppress_table(["female", "male"], ["passed", "did not pass"], [[2, 9], [10, 7]])
    assert suppression.percent_text(table.cell("female", "passed"), table.row_total("female")) == "hidden"  # never "<5" in a percentage column
    assert suppression.percent_text(table.cell("male", "passed"), table.row_total("male")) == "hidden"
    shown = suppress_table(["a"], ["x", "y"], [[6, 9]])
    assert suppression.percent_text(shown.cell("a", "x"), shown.row_total("a")) == "40%"  # 6 / 15
    hidden_whole = suppression.Cell(15, suppressed=True)
    assert suppression.percent_text(suppression.Cell(6), hidden_whole) == "hidden"


def test_a_hidden_group_mean_cannot_be_worked_back_from_the_overall_mean():
    groups = [(70.0, 12), (60.0, 3), (80.0, 8)]
    # Naively hiding only the group of 3 leaks: the overall mean and the sizes give it back.
    overall = (70 * 12 + 60 * 3 + 80 * 8) / 23
    assert round((overall * 23 - 70 * 12 - 80 * 8) / 3, 9) == 60.0
    stats = suppress_statistics(groups)
    assert [s.suppressed for s in stats] == [False, True, True]  # the next smallest group (8) is hidden too
    assert [s.text() for s in stats] == ["70.0", "hidden", "hidden"]


def test_a_group_whose_size_is_hidden_has_its_mean_hidden():
    stats = suppress_statistics([(70.0, 12), (65.0, 9), (80.0, 8)], size_hidden=[False, True, True])
    assert [s.suppressed for s in stats] == [False, True, True]
    assert [s.text() for s in suppress_statistics([(70.0, 12), (65.0, 9)])] == ["70.0", "65.0"]


def test_several_small_groups_that_together_are_small_are_not_left_exposed():
    # Two hidden groups of 2 and 1 people: from the overall mean and the sizes (published), their
    # combined mean is (overall*total - shown sums) / 3, which describes just three people. Worked
    # by hand: 20 people, overall mean (60*9 + 70*8 + 90*2 + 30*1) / 20 = 65.5.
    groups = [(60.0, 9), (70.0, 8), (90.0, 2), (30.0, 1)]
    stats = suppress_statistics(groups)
    hidden = [i for i, s in enumerate(stats) if s.suppressed]
    assert hidden == [1, 2, 3], "the next smallest group (8 people) must be hidden too"
    shown = [(groups[i][0], groups[i][1]) for i in range(len(groups)) if i not in hidden]
    rest = 20 - sum(n for _, n in shown)
    assert rest >= suppression.DEFAULT_THRESHOLD
