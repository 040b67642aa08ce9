"""Opens a Paydesk .xlsx with openpyxl and checks what finance relies on.

usage: check_xlsx.py FILE.xlsx FORMULA_TEXT
  - the header row is frozen;
  - every column whose header ends in （元） holds numbers (not text) formatted 0.00;
  - date columns (日期, 起, 止) hold dates;
  - FORMULA_TEXT appears as a text cell, never as a formula.
Exit 0 when all hold; otherwise prints what failed and exits 1.
"""
import datetime
import sys

import openpyxl


def main() -> int:
    path, formula_text = sys.argv[1], sys.argv[2]
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    problems = []
    # The header is the row the panes are frozen under.
    freeze = ws.freeze_panes
    if not freeze:
        return fail(["no frozen header row"])
    header_row = ws[freeze].row - 1
    headers = {c.column: c.value for c in ws[header_row] if c.value}
    money_cols = [col for col, h in headers.items() if str(h).endswith("（元）")]
    date_cols = [col for col, h in headers.items() if h in ("日期", "起", "止")]
    if not money_cols:
        problems.append(f"no money columns in header row {header_row}: {headers}")
    found_formula_text = False
    numbers = 0
    for row in ws.iter_rows(min_row=header_row + 1):
        for c in row:
            if c.value == formula_text:
                found_formula_text = True
                if c.data_type != "s":
                    problems.append(f"{c.coordinate} holds {formula_text!r} as type {c.data_type}")
            if c.data_type == "f":
                problems.append(f"{c.coordinate} is a formula: {c.value!r}")
            if c.column in money_cols and c.value is not None:
                if not isinstance(c.value, (int, float)):
                    problems.append(f"{c.coordinate} money is {type(c.value).__name__}: {c.value!r}")
                elif c.number_format != "0.00":
                    problems.append(f"{c.coordinate} money format {c.number_format!r}")
                else:
                    numbers += 1
            if c.column in date_cols and c.value not in (None, "合计"):
                if not isinstance(c.value, (datetime.date, datetime.datetime)):
                    problems.append(f"{c.coordinate} date is {type(c.value).__name__}: {c.value!r}")
    if not found_formula_text:
        problems.append(f"{formula_text!r} not found as a cell value")
    if numbers == 0:
        problems.append("no numeric money cell")
    if problems:
        return fail(problems)
    print(f"{path}: ok ({numbers} money cells, header row {header_row} frozen)")
    return 0


def fail(problems) -> int:
    for p in problems:
        print("xlsx check:", p, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
