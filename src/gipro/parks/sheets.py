"""Bounded, cell-exact reading of the workbooks gipro writes for people to fill in or edit
(the data-entry template, ``gipro template``; exported frameworks, ``gipro frameworks export``).

Each sheet is read once, streamed (openpyxl read-only mode), into a block of the size the
layout expects; cells outside the block are not kept but one holding a value is reported
(``indicators!P5``), so nothing typed is silently dropped, and a stray cell far away
(``XFD1048576``) costs neither memory nor a grid of that size. Excel error cells (``#DIV/0!``)
and formulas without a saved result are errors naming the cell; a formula with a saved result
is read as that result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["Block", "SheetFile", "cell_name", "cell_text", "column_letter"]


def column_letter(col: int) -> str:
    """``1 -> 'A'``, ``28 -> 'AB'``.

    Examples
    --------
    >>> column_letter(1), column_letter(26), column_letter(28)
    ('A', 'Z', 'AB')
    """
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(sheet: str, row: int, col: int) -> str:
    """A cell as a spreadsheet user writes it: ``indicators!F12`` (1-based row and column).

    Examples
    --------
    >>> cell_name("indicators", 12, 6)
    'indicators!F12'
    """
    return f"{sheet}!{column_letter(col)}{row}"


def cell_text(v: Any) -> str | None:
    """A cell read as text: None when empty or blank, a whole number without ``.0`` (a code
    typed as a number), spaces around removed.

    Examples
    --------
    >>> cell_text(" A "), cell_text(7.0), cell_text("  "), cell_text(None)
    ('A', '7', None, None)
    """
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


@dataclass
class Block:
    """The cells ``A1`` to (``n_rows``, ``n_cols``) of one sheet.

    Attributes
    ----------
    sheet : str
    values : list of list
        ``values[r][c]`` is the cell in row ``r + 1``, column ``c + 1`` (None when empty);
        rows up to the last one that holds a value (at most ``n_rows``).
    outside : list of str
        Cells outside the block that hold a value (the first few found; the scan stops at
        the first row beyond the block that holds one).
    problems : list of str
        Error cells and formulas without a saved result, each naming its cell.
    """

    sheet: str
    values: list[list[Any]]
    outside: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def cell(self, row: int, col: int) -> Any:
        """The value at 1-based ``row``, ``col`` (None when empty)."""
        return self.values[row - 1][col - 1] if row <= len(self.values) else None

    def _put(self, row: int, col: int, value: Any, n_cols: int) -> None:
        while len(self.values) < row:
            self.values.append([None] * n_cols)
        self.values[row - 1][col - 1] = value

    def name(self, row: int, col: int) -> str:
        return cell_name(self.sheet, row, col)


class SheetFile:
    """An ``.xlsx`` workbook opened for bounded reading (see the module docstring).

    Raises
    ------
    InputError
        The file is missing, not an ``.xlsx`` workbook or damaged.
    """

    MAX_OUTSIDE = 5

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._formulas = self._open(data_only=False)
        self._values = None

    def _open(self, data_only: bool):
        import zipfile

        import openpyxl

        if not self.path.exists():
            raise InputError(f"file not found: {self.path}")
        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=data_only)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise InputError(f"cannot read {self.path.name} as an Excel workbook (.xlsx): "
                             f"{exc}", ["save it from Excel or LibreOffice as .xlsx"]) from None

    @property
    def sheetnames(self) -> list[str]:
        return list(self._formulas.sheetnames)

    def close(self) -> None:
        self._formulas.close()
        if self._values is not None:
            self._values.close()

    def block(self, sheet: str, n_rows: int, n_cols: int) -> Block:
        """Read ``A1`` to (``n_rows``, ``n_cols``) of ``sheet`` (see :class:`Block`).

        Raises
        ------
        InputError
            The sheet is missing.
        """
        if sheet not in self._formulas.sheetnames:
            raise InputError(f"{self.path.name} has no sheet {sheet!r}",
                             [f"sheets: {', '.join(self._formulas.sheetnames)}"])
        ws = self._formulas[sheet]
        ws.reset_dimensions()  # never trust the stored used range: stream the rows present
        out = Block(sheet, [])
        formulas: list[tuple[int, int, str]] = []
        for r, row in enumerate(ws.iter_rows(), start=1):
            if r > n_rows:
                hit = next((c for c in row if not _blank(c.value)), None)
                if hit is not None:
                    out.outside.append(cell_name(sheet, r, hit.column))
                    break
                continue
            for c in row:
                if c.value is None:
                    continue
                col = c.column
                if col > n_cols:
                    if not _blank(c.value) and len(out.outside) < self.MAX_OUTSIDE:
                        out.outside.append(cell_name(sheet, r, col))
                    continue
                if c.data_type == "f":
                    formulas.append((r, col, str(c.value)))
                elif c.data_type == "e":
                    out.problems.append(f"{cell_name(sheet, r, col)} holds the Excel error "
                                        f"{c.value}: correct the cell or leave it empty")
                else:
                    out._put(r, col, c.value, n_cols)
        if formulas:
            self._cached(sheet, formulas, out, n_cols)
        return out

    def _cached(self, sheet: str, formulas: list[tuple[int, int, str]], out: Block,
                n_cols: int) -> None:
        """Saved results of formula cells (a second, value-only pass over the block rows)."""
        if self._values is None:
            self._values = self._open(data_only=True)
        ws = self._values[sheet]
        ws.reset_dimensions()
        last = max(r for r, _, _ in formulas)
        want = {(r, c): f for r, c, f in formulas}
        for r, row in enumerate(ws.iter_rows(max_row=last), start=1):
            for c in row:
                key = (r, getattr(c, "column", None))
                if key not in want:
                    continue
                f = want.pop(key)
                if c.value is None:
                    out.problems.append(f"{cell_name(sheet, *key)} holds the formula {f} "
                                        "without a saved result: open the file in Excel or "
                                        "LibreOffice and save it, or type the value")
                elif c.data_type == "e":
                    out.problems.append(f"{cell_name(sheet, *key)}: the formula {f} gives "
                                        f"{c.value}: correct it or leave the cell empty")
                else:
                    out._put(key[0], key[1], c.value, n_cols)
        for (r, c), f in want.items():
            out.problems.append(f"{cell_name(sheet, r, c)} holds the formula {f} without a "
                                "saved result: open the file in Excel or LibreOffice and save "
                                "it, or type the value")
