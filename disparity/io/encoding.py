"""Detecting the text encoding of files that do not declare one.

Stata formats <= 117 (Stata <= 13) and many SPSS and CSV files from Chinese sources carry text in
GBK/GB18030 without saying so; readers that assume Latin-1 or Windows-1252 return mojibake
("城镇" read as "³ÇÕò") without an error. The rule used here, applied to *all* the text of a file at
once (variable labels, value labels, string values):

1. pure ASCII: nothing to decide (recorded as ``"ascii"``);
2. strict UTF-8 decodes everything: ``"utf-8"``;
3. strict GB18030 decodes everything **and** the non-ASCII characters it yields look like Chinese
   text (at least :data:`CHINESE_SHARE` of them are in the GB2312 repertoire of common hanzi and
   punctuation): ``"gb18030"`` (a superset of GBK and GB2312);
4. otherwise the legacy Western default, Windows-1252 (what Stata <= 13 on Windows used).

Step 3 uses GB2312 membership because Western text read as GB18030 pairs an accented letter with the
next ASCII byte and yields rare ideographs outside GB2312; genuine Chinese survey text is
overwhelmingly inside it. If some of the text decodes as Chinese but a piece of it decodes under no
candidate, :class:`~disparity.errors.EncodingError` names the variable rather than guessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import EncodingError

CHINESE_SHARE = 0.9  # share of non-ASCII characters that must be common Chinese (GB2312) characters
LEGACY_WESTERN = "cp1252"


@dataclass(frozen=True)
class EncodingDecision:
    encoding: str
    reason: str


def _is_ascii(b: bytes) -> bool:
    return b.isascii()


def _chinese_share(text: str) -> float:
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return 1.0
    ok = 0
    for ch in non_ascii:
        try:
            ch.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(non_ascii)


def _try(pieces: list[tuple[str, bytes]], enc: str) -> tuple[str | None, str]:
    """Decode every piece; return (first failing owner, concatenated non-ASCII text)."""
    out = []
    for owner, b in pieces:
        try:
            out.append(b.decode(enc))
        except UnicodeDecodeError:
            return owner, ""
    return None, "".join(out)


def detect(pieces: Iterable[tuple[str, bytes]]) -> EncodingDecision:
    """Choose one encoding for a file's text.

    Parameters
    ----------
    pieces : iterable of (owner, bytes)
        Each piece of text with the name of the variable (or "variable labels", ...) it belongs to,
        so that an error can say where the problem is.
    """
    nonascii = [(o, b) for o, b in pieces if b and not _is_ascii(b)]
    if not nonascii:
        return EncodingDecision("ascii", "all text is ASCII")
    bad, _ = _try(nonascii, "utf-8")
    if bad is None:
        return EncodingDecision("utf-8", "all text is valid UTF-8")
    bad_gb, text = _try(nonascii, "gb18030")
    if bad_gb is None:
        share = _chinese_share(text)
        if share >= CHINESE_SHARE:
            return EncodingDecision(
                "gb18030",
                f"not UTF-8; decodes as GB18030 and {share:.0%} of non-ASCII characters are common "
                "Chinese characters",
            )
    else:
        # Part of the text may still be Chinese: if so, falling back to a Western code page would
        # turn that part into mojibake, so refuse instead of guessing.
        chinese_parts = []
        for owner, b in nonascii:
            try:
                t = b.decode("gb18030")
            except UnicodeDecodeError:
                continue
            if _chinese_share(t) >= CHINESE_SHARE:
                chinese_parts.append(owner)
        if chinese_parts and len(chinese_parts) >= len(nonascii) / 2:
            raise EncodingError(
                f"Text in {bad_gb!r} decodes under no candidate encoding (UTF-8, GB18030), while "
                f"other text (e.g. {chinese_parts[0]!r}) is Chinese. The file may be damaged or mix "
                "encodings; pass encoding= explicitly (e.g. 'gb18030' or 'big5') after checking it."
            )
    return EncodingDecision(
        LEGACY_WESTERN,
        "not UTF-8 and not Chinese text in GB18030; read with the legacy Western default "
        "(Windows-1252). Pass encoding= if this is wrong.",
    )


def decode(b: bytes, encoding: str, owner: str) -> str:
    """Decode one piece of text strictly, naming its owner if it fails."""
    enc = "ascii" if encoding == "ascii" else encoding
    try:
        return b.decode(enc)
    except UnicodeDecodeError as err:
        if encoding == LEGACY_WESTERN:
            # Five bytes are undefined in Windows-1252; Latin-1 maps them one to one.
            return b.decode("latin-1")
        raise EncodingError(
            f"Text in {owner!r} cannot be decoded as {encoding}: {err.reason} at byte {err.start} "
            f"({b[max(0, err.start - 4) : err.end + 4]!r}). Pass the right encoding= (candidates for "
            "Chinese data: 'gb18030', 'utf-8', 'big5')."
        ) from None


# ---------------------------------------------------------------------------------------------
# Column by column


@dataclass(frozen=True)
class OwnerEncodings:
    """The encoding of each piece of a file's text, by owner (variable, label table, ...).

    ``encoding`` is the file's encoding when every owner agrees, else ``"mixed"``; ``by_owner``
    holds each owner's encoding when they disagree (owners not in it are ASCII).
    """

    encoding: str
    reason: str
    by_owner: dict[str, str]

    def of(self, owner: str) -> str:
        return self.by_owner.get(owner, self.encoding if self.encoding != "mixed" else "ascii")


class MixedEncodingError(EncodingError):
    """One owner's text is partly UTF-8 and partly GB18030 (raised with the values of each kind)."""

    def __init__(self, owner: str, utf8: list[bytes], gb: list[bytes]):
        super().__init__(owner)
        self.owner, self.utf8, self.gb = owner, utf8, gb


def _kind(b: bytes) -> str:
    """'U' Chinese UTF-8, 'G' Chinese GB18030 only, 'B' both, 'a' non-Chinese UTF-8 or Chinese GB18030,
    'u' non-Chinese UTF-8, 'w' neither."""
    try:
        uc = _chinese_share(b.decode("utf-8")) >= CHINESE_SHARE and any(ord(ch) > 0x2E7F for ch in b.decode("utf-8"))
        uv = True
    except UnicodeDecodeError:
        uc = uv = False
    try:
        gc = _chinese_share(b.decode("gb18030")) >= CHINESE_SHARE
    except UnicodeDecodeError:
        gc = False
    if uc:
        return "B" if gc else "U"
    if gc:
        return "a" if uv else "G"  # 'a': valid UTF-8 but not Chinese, Chinese as GB18030 ('女' = C5 AE = 'Ů')
    return "u" if uv else "w"


def detect_by_owner(groups: dict[str, list[bytes]]) -> OwnerEncodings:
    """Choose an encoding for each owner's text; one for the file when they agree.

    Each owner (a variable's values, its label, a value-label table) is decided on its own text:
    UTF-8 when every non-ASCII piece is valid UTF-8 (Chinese or not), GB18030 when every piece is
    Chinese text in GB18030 and not Chinese UTF-8, and Windows-1252 otherwise. When owners disagree
    (one column GBK, another UTF-8) each is decoded with its own encoding. An owner whose own
    pieces are partly Chinese UTF-8 and partly Chinese GB18030 raises
    :class:`MixedEncodingError`; Chinese owners beside one that decodes under neither raise
    :class:`~disparity.errors.EncodingError` naming it.
    """
    decided: dict[str, str] = {}
    ambiguous: list[str] = []
    for owner, pieces in groups.items():
        kinds: dict[str, list[bytes]] = {k: [] for k in "UGBauw"}
        for b in pieces:
            if b and not b.isascii():
                kinds[_kind(b)].append(b)
        if not any(kinds.values()):
            continue
        has_u = bool(kinds["U"] or kinds["u"])
        if (kinds["B"] or kinds["a"]) and not (has_u or kinds["G"] or kinds["w"]):
            ambiguous.append(owner)  # fits either encoding: follow the other owners
        elif not kinds["G"] and not kinds["w"]:
            decided[owner] = "utf-8"
        elif not has_u and not kinds["w"]:
            decided[owner] = "gb18030"
        elif kinds["G"] and kinds["U"] and not kinds["w"]:
            raise MixedEncodingError(owner, kinds["U"], kinds["G"])
        else:
            decided[owner] = LEGACY_WESTERN
    others = set(decided.values())
    for owner in ambiguous:
        decided[owner] = others.copy().pop() if len(others) == 1 else "utf-8"
    found = set(decided.values())
    if not found:
        return OwnerEncodings("ascii", "all text is ASCII", {})
    if LEGACY_WESTERN in found and found - {LEGACY_WESTERN}:
        bad = next(o for o, e in decided.items() if e == LEGACY_WESTERN)
        good = next(o for o, e in decided.items() if e != LEGACY_WESTERN)
        raise EncodingError(
            f"Text in {bad!r} decodes under no candidate encoding (UTF-8, GB18030), while other text "
            f"(e.g. {good!r}) is Chinese. The file may be damaged or mix encodings; pass encoding= "
            "explicitly (e.g. 'gb18030' or 'big5') after checking it."
        )
    if len(found) == 1:
        e = found.pop()
        reason = {
            "utf-8": "all text is valid UTF-8",
            "gb18030": "not UTF-8; every piece decodes as GB18030 into common Chinese characters",
            LEGACY_WESTERN: "not UTF-8 and not Chinese text in GB18030; read with the legacy Western default "
                            "(Windows-1252). Pass encoding= if this is wrong.",
        }[e]
        return OwnerEncodings(e, reason, dict(decided))
    parts = ", ".join(f"{o} ({e})" for o, e in sorted(decided.items()))
    return OwnerEncodings("mixed", f"columns disagree and were decoded one by one: {parts}", dict(decided))
