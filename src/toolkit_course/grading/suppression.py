"""Small-group suppression, written once and used by every report that leaves the facilitator's hands.

A table of counts (rows = groups of people, columns = mutually exclusive outcomes) is
published with some of its margins (row totals, column totals, the grand total). Two rules
keep any one person from being singled out:

- Primary suppression: a count below the threshold (default 5, zero included) is shown as "<5"; a
  complementary cell, and any hidden share or mean, as "hidden".
- Secondary (complementary) suppression: every published row and column, together with its
  published total, is a sum that a reader can use. If exactly one cell of such a line is
  hidden, the reader gets it back by subtracting the others from the total. So in any line
  with exactly one hidden cell, the next smallest cell of that line is hidden as well, and
  this is repeated until no line has exactly one hidden cell (hiding a cell in a row can leave
  a column with a single hidden cell).
- An audit of the whole system of sums: in larger tables a hidden cell can still follow from
  several lines together (it links two groups of hidden cells); then more cells are hidden
  until no hidden cell can be computed from what is published.

A percentage is shown only if both its count and its denominator are shown. A mean or another
statistic of a group is shown only if the group has at least `threshold` members and its size
is shown; if exactly one group's statistic is hidden while the overall figure is shown, the
next smallest group's is hidden too, for the same reason as above.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 5
HIDDEN_BY_SECONDARY = "hidden"  # shown for a cell hidden only to protect a small one, and for any hidden share or mean


def below(threshold: int) -> str:
    """What a small count is shown as."""
    return f"<{threshold}"


@dataclass(frozen=True)
class Cell:
    value: int
    suppressed: bool = False
    primary: bool = False  # hidden because it is small (not only to protect another cell)
    threshold: int = DEFAULT_THRESHOLD

    @property
    def shown(self) -> bool:
        return not self.suppressed

    @property
    def text(self) -> str:
        if not self.suppressed:
            return str(self.value)
        return below(self.threshold) if self.primary else HIDDEN_BY_SECONDARY


@dataclass(frozen=True)
class Table:
    """A suppressed table: interior cells, and its margins when they are published."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...] | None
    column_totals: tuple[Cell, ...] | None
    grand_total: Cell | None
    threshold: int

    def cell(self, row: str, column: str) -> Cell:
        return self.cells[self.rows.index(row)][self.columns.index(column)]

    def row_total(self, row: str) -> Cell:
        if self.row_totals is None:
            raise ValueError("this table publishes no row totals")
        return self.row_totals[self.rows.index(row)]

    def column_total(self, column: str) -> Cell:
        if self.column_totals is None:
            raise ValueError("this table publishes no column totals")
        return self.column_totals[self.columns.index(column)]

    def percent(self, part: Cell, whole: Cell | None, digits: int = 0) -> str:
        return percent_text(part, whole, digits)

    @property
    def any_suppressed(self) -> bool:
        every = [c for row in self.cells for c in row] + list(self.row_totals or ()) + list(
            self.column_totals or ()) + ([self.grand_total] if self.grand_total else [])
        return any(c.suppressed for c in every)


def percent_text(part: Cell, whole: Cell | None, digits: int = 0) -> str:
    """part as a percentage of whole; hidden if the part is hidden, or if the whole is (it could be worked back)."""
    # A share or a mean is never shown as "<5": in a percentage or score column it would read as a value.
    if part.suppressed or whole is None or whole.suppressed:
        return HIDDEN_BY_SECONDARY
    if whole.value == 0:
        return "–"
    return f"{100 * part.value / whole.value:.{digits}f}%"


Position = tuple[int, int]  # (row, column); index len(rows) / len(columns) is the margin


def suppress_table(rows: Sequence[str], columns: Sequence[str], counts: Sequence[Sequence[int]], *,
                   row_totals: bool = True, column_totals: bool = True,
                   threshold: int = DEFAULT_THRESHOLD, row_totals_as: Sequence[bool] | None = None) -> Table:
    """Apply primary and secondary suppression to a table of counts and its published margins.

    row_totals_as: which row totals are hidden in another table of the same groups that is published
    too (from group_sizes()). This table's row totals then follow that pattern exactly, hidden or
    shown, so the two tables cannot be played off against each other; the interior absorbs the rest.
    """
    n_rows, n_cols = len(rows), len(columns)
    if len(counts) != n_rows or any(len(row) != n_cols for row in counts):
        raise ValueError(f"counts must be {n_rows} rows of {n_cols} values")
    if any(value < 0 for row in counts for value in row):
        raise ValueError("counts cannot be negative")
    # The full grid with its margins; only the published ones take part.
    grid: dict[Position, int] = {(r, c): int(counts[r][c]) for r in range(n_rows) for c in range(n_cols)}
    if row_totals:
        grid.update({(r, n_cols): sum(counts[r]) for r in range(n_rows)})
    if column_totals:
        grid.update({(n_rows, c): sum(counts[r][c] for r in range(n_rows)) for c in range(n_cols)})
    if row_totals or column_totals:
        grid[(n_rows, n_cols)] = sum(sum(row) for row in counts)

    lines = _lines(n_rows, n_cols, row_totals, column_totals)
    primary = {position for position, value in grid.items() if value < threshold}
    keep: set[Position] = set()
    start = set(primary)
    if row_totals and row_totals_as is not None:
        if len(row_totals_as) != n_rows:
            raise ValueError(f"row_totals_as must give {n_rows} values")
        start |= {(r, n_cols) for r in range(n_rows) if row_totals_as[r]}
        keep = {(r, n_cols) for r in range(n_rows) if not row_totals_as[r]}
        if keep & primary:
            raise ValueError("row_totals_as shows a row total below the threshold")
    hidden = _complete(grid, lines, start, keep)
    # The "exactly one" rule is not always enough: in larger tables a hidden cell can be the only
    # link between two groups of hidden cells, and then the published sums pin it down. Check the
    # whole system of sums and hide more until no hidden cell is determined.
    while determined := _determined(lines, hidden):
        position = min(determined)
        choice = None
        for line in (line for line in lines if position in line):
            candidates = ([p for p in line[:-1] if p not in hidden and p not in keep]
                          or [p for p in line if p not in hidden and p not in keep])
            if candidates:
                choice = min(candidates, key=lambda p: (grid[p], line.index(p)))
                break
        if choice is None:  # nothing left that may be hidden: never loop forever
            break
        hidden.add(choice)
        hidden = _complete(grid, lines, hidden, keep)

    def make(position: Position) -> Cell:
        return Cell(grid[position], position in hidden, position in primary, threshold)

    return Table(
        rows=tuple(rows), columns=tuple(columns),
        cells=tuple(tuple(make((r, c)) for c in range(n_cols)) for r in range(n_rows)),
        row_totals=tuple(make((r, n_cols)) for r in range(n_rows)) if row_totals else None,
        column_totals=tuple(make((n_rows, c)) for c in range(n_cols)) if column_totals else None,
        grand_total=make((n_rows, n_cols)) if (row_totals or column_totals) else None,
        threshold=threshold,
    )


def _lines(n_rows: int, n_cols: int, row_totals: bool, column_totals: bool) -> list[list[Position]]:
    """Each published sum: its cells, the total last. A reader can subtract along any of them."""
    lines = []
    if row_totals:
        lines += [[(r, c) for c in range(n_cols + 1)] for r in range(n_rows)]
        lines.append([(r, n_cols) for r in range(n_rows + 1)])  # the row totals add up to the grand total
    if column_totals:
        lines += [[(r, c) for r in range(n_rows + 1)] for c in range(n_cols)]
        lines.append([(n_rows, c) for c in range(n_cols + 1)])
    return lines


def _complete(grid: dict[Position, int], lines: list[list[Position]], hidden: set[Position],
              keep: set[Position] = frozenset()) -> set[Position]:
    """Hide the next smallest cell of every line with exactly one hidden cell, until none is left.

    "Next smallest" prefers a cell inside the line to its total, so the margins stay visible
    where they can; ties go to the first cell, which keeps the result reproducible.
    """
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(position in hidden for position in line) != 1:
                continue
            inner, total = line[:-1], line[-1]
            candidates = ([p for p in inner if p not in hidden and p not in keep]
                          or ([total] if total not in hidden and total not in keep else []))
            if not candidates:
                continue
            hidden.add(min(candidates, key=lambda p: (grid[p], inner.index(p) if p in inner else len(inner))))
            changed = True
    return hidden


def _determined(lines: list[list[Position]], hidden: set[Position]) -> list[Position]:
    """Hidden cells whose value follows from the published sums.

    Each line says: (hidden cells inside it) - (its total, if hidden) = a known number. A hidden
    cell is determined exactly when every solution of the homogeneous system leaves it at zero,
    i.e. its coordinate is zero across the null space of the system.
    """
    import numpy as np  # only here: the command line must start without numpy

    unknowns = sorted(hidden)
    if not unknowns:
        return []
    index = {p: i for i, p in enumerate(unknowns)}
    rows = []
    for line in lines:
        row = np.zeros(len(unknowns))
        for p in line[:-1]:
            if p in index:
                row[index[p]] = 1.0
        if line[-1] in index:
            row[index[line[-1]]] = -1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    _, singular, vt = np.linalg.svd(np.array(rows))
    rank = int((singular > 1e-9).sum())
    null_space = vt[rank:]
    return [p for p, i in index.items() if null_space.shape[0] == 0 or np.all(np.abs(null_space[:, i]) < 1e-9)]


def group_sizes(labels: Sequence[str], sizes: Sequence[int], threshold: int = DEFAULT_THRESHOLD) -> list[bool]:
    """Which groups' sizes are hidden when the groups are published with their total (one column).

    Every report that breaks the same people down by the same groups passes this to
    suppress_table(row_totals_as=...), so each shows the group sizes hidden in the same way.
    """
    table = suppress_table(labels, ["people"], [[size] for size in sizes], row_totals=False, threshold=threshold)
    return [row[0].suppressed for row in table.cells]


# ---------------------------------------------------------------- statistics of groups


@dataclass(frozen=True)
class Statistic:
    """A group's mean (or another statistic) with the number of people it summarises."""

    value: float | None
    size: int
    suppressed: bool
    threshold: int = DEFAULT_THRESHOLD

    def text(self, form: Callable[[float], str] = "{:.1f}".format) -> str:
        if self.suppressed:
            return HIDDEN_BY_SECONDARY
        return "–" if self.value is None else form(self.value)


def suppress_statistics(groups: Sequence[tuple[float | None, int]], *, overall_shown: bool = True,
                        size_hidden: Sequence[bool] | None = None,
                        threshold: int = DEFAULT_THRESHOLD) -> list[Statistic]:
    """Each group's statistic, hidden when the group is small or its size is hidden.

    groups: (value, number of people it summarises) for each group, in order. When the overall
    figure is published, the next smallest groups are hidden too until the hidden ones together
    cover at least `threshold` people and are more than one: with the overall mean and the group
    sizes, the hidden groups' combined mean can be worked back, and that must not single anyone out.
    """
    hidden_size = list(size_hidden) if size_hidden is not None else [False] * len(groups)
    hidden = {i for i, (_, size) in enumerate(groups) if size < threshold or hidden_size[i]}

    def exposed() -> bool:
        return len(hidden) == 1 or sum(groups[i][1] for i in hidden) < threshold

    while overall_shown and hidden and exposed():
        others = [i for i in range(len(groups)) if i not in hidden]
        if not others:
            break
        hidden.add(min(others, key=lambda i: (groups[i][1], i)))
    return [Statistic(value, size, i in hidden, threshold) for i, (value, size) in enumerate(groups)]
