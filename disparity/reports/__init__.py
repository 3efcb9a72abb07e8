"""Tables, figures and reports (issue 5)."""

__all__: list[str] = []
