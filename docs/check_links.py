"""Check every internal link and anchor in the built HTML (no network: external links are skipped).

Usage: ``python docs/check_links.py docs/_build/html``. Exits 1 and lists each broken link with the
page it is on when a relative ``href``/``src`` points at a missing file or a missing ``#anchor``.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value is None:
                continue
            if key in ("id", "name"):
                self.ids.add(value)
            elif (key == "href" and tag in ("a", "link")) or (key == "src" and tag in ("img", "script")):
                self.links.append(value)


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def check(root: Path) -> list[str]:
    # _static holds the theme's Jinja templates, not pages.
    files = [p for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts]
    pages = {p.resolve(): _parse(p) for p in files}
    problems: list[str] = []
    for page, parsed in sorted(pages.items()):
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue  # external: the build machine has no internet, and these are not ours
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            where = page.relative_to(root.resolve())
            if not target.exists():
                problems.append(f"{where}: missing file {link!r}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where}: missing anchor {link!r}")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "docs/_build/html")
    if not (root / "index.html").exists():
        print(f"no built site at {root}; run the HTML build first", file=sys.stderr)
        return 2
    problems = check(root)
    n_pages = sum(1 for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts)
    for line in problems:
        print(line)
    print(f"internal link check: {n_pages} pages, {len(problems)} broken link(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
