"""Tables, figures and reports (issue 5).

Builders (:func:`regression_table`, :func:`summary_table`, :func:`balance_table`,
:func:`measure_table`) return an immutable :class:`Table` that renders to HTML, LaTeX, Markdown,
DOCX (三线表) and XLSX; :class:`Report` collects tables and figures and saves them with a provenance
manifest.
"""

from .regression import regression_table
from .tables import HeaderCell, Table

__all__: list[str] = ["Table", "HeaderCell", "regression_table"]
