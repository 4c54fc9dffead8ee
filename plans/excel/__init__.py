"""Excel files of plans, because that is what planners use: the template and the export
(``plans.excel.writer``) and the upload (``plans.excel.reader``), with openpyxl.

The file format, which both halves keep (sheet names are part of it and stay Dutch in every
language):

* ``Regels`` — row 1 is the header; from row 2 one line per row: column A the specialism's Vektis
  code, B its name (for people; not read), C the urgency class (3, 4, 5), D the backlog at the
  start, and from column E one column per month of the period, headed ``YYYY-MM``, with the
  planned volume. The template has a row for each of the provider's specialisms × class.
* ``Toelichting`` — the plan's facts and how to fill in the file (not read).
* An export adds ``Maatregelen`` (the measure sections), ``Voortgang`` (realised volume per line
  and month) and ``Prognose`` (the forecast per line and in total). Uploading an export reads
  ``Regels`` only, so an exported plan can be uploaded again.
"""

SHEET_LINES = "Regels"
SHEET_INFO = "Toelichting"
SHEET_MEASURES = "Maatregelen"
SHEET_PROGRESS = "Voortgang"
SHEET_FORECAST = "Prognose"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIRST_MONTH_COLUMN = 5  # E
MAX_DATA_ROWS = 1000
