"""Build ``disparity/io/_regions_data/areacodes.csv`` from the public ``areacodes`` data set.

Source: the GitHub repository yescallop/areacodes (CC0 1.0), which collects the Ministry of Civil
Affairs' lists of county-level and higher administrative division codes (GB/T 2260) for every year
since 1981, with the correspondence between old and new codes. Its ``result.csv`` has one row per
code record: code, name, level, first year in use, first year no longer in use, and the code(s) its
area went to.

Usage (from the repository root, with a checkout or bare clone of the source)::

    python data/regions/build_areacodes.py /path/to/areacodes [commit]

The script checks that the per-year lists it reconstructs from ``result.csv`` equal the source's own
``data/<year>.txt`` files for every year, then writes the table with two derived columns: ``stem``
(the name without its administrative suffix and ethnic-group words, e.g. 恩施土家族苗族自治州 -> 恩施)
and ``pinyin`` (toneless readings of the stem, ``;``-separated, from pypinyin: the phrase reading
first, with the syllable apostrophe (xi'an), then every other reading of polyphonic characters). Nothing is typed by hand except the suffix and ethnic-group
vocabularies below.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

from pypinyin import Style, pinyin  # build-time only

OUT = Path(__file__).resolve().parents[2] / "disparity" / "io" / "_regions_data"

# Administrative suffixes, longest first; a stem keeps at least two characters.
SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区", "矿区", "新区",
            "盟", "省", "市", "县", "区", "旗")
# The 55 officially recognised minority nationalities (as they appear in autonomous-unit names).
ETHNIC = (
    "蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 "
    "毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 "
    "塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 各族"
).split()
ETHNIC_SORTED = sorted(ETHNIC, key=len, reverse=True)
MAX_READINGS = 32
# Characters whose reading in place names differs from pypinyin's everyday phrase reading
# (朝阳 chaoyang, not zhaoyang; 都昌 duchang; 涡阳 guoyang): the first (display) reading uses these.
PLACE_READINGS = {"朝": "chao", "都": "du", "涡": "guo"}


def stem(name: str) -> str:
    for suf in SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            s = name[: -len(suf)]
            if suf.startswith("自治"):
                changed = True
                while changed:
                    changed = False
                    for e in ETHNIC_SORTED:
                        if s.endswith(e) and len(s) - len(e) >= 2:
                            s, changed = s[: -len(e)], True
                            break
            return s
    return name


def readings(text: str) -> list[str]:
    """Toneless pinyin readings: the phrase reading first, written with the apostrophe that separates
    a syllable starting with a, o or e (xi'an, jin'an), then every other reading of the characters."""
    chars = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    phrase = [p[0] for p in pinyin("".join(chars), style=Style.NORMAL, errors="ignore")]
    sylls = [PLACE_READINGS.get(ch, r) for ch, r in zip(chars, phrase, strict=True)]
    first = "".join(("'" if k and syl[:1] in "aoe" else "") + syl for k, syl in enumerate(sylls))
    per_char = pinyin(text, style=Style.NORMAL, heteronym=True, errors="ignore")
    out = [first]
    for combo in itertools.islice(itertools.product(*per_char), MAX_READINGS):
        r = "".join(combo)
        if r not in out:
            out.append(r)
    # ü is written v by pypinyin; English sources write lü as lu or lyu
    extra = [r.replace("v", "u") for r in out if "v" in r] + [r.replace("v", "yu") for r in out if "v" in r]
    return out + [e for e in extra if e not in out]


def git_show(src: Path, commit: str, path: str) -> str:
    git = ["git", "--git-dir", str(src / ".git") if (src / ".git").exists() else str(src)]
    return subprocess.run([*git, "show", f"{commit}:{path}"], check=True, capture_output=True).stdout.decode("utf-8-sig")


def main(src: Path, commit: str = "HEAD") -> None:
    git = ["git", "--git-dir", str(src / ".git") if (src / ".git").exists() else str(src)]
    sha = subprocess.run([*git, "rev-parse", commit], check=True, capture_output=True, text=True).stdout.strip()
    date = subprocess.run([*git, "log", "-1", "--format=%cs", sha], check=True, capture_output=True, text=True).stdout.strip()
    rows = list(csv.DictReader(io.StringIO(git_show(src, sha, "result.csv"))))
    level_of = {"省级": 1, "地级": 2, "县级": 3}
    recs = []
    for r in rows:
        name = r["名称"].strip()
        recs.append({
            "code": r["代码"], "name": name, "level": level_of[r["级别"]],
            "start": int(r["启用时间"]), "end": int(r["变更/弃用时间"]) if r["变更/弃用时间"] else "",
            "successors": r["新代码"], "stem": stem(name),
            "pinyin": ";".join(readings(stem(name))),
        })
    last = max(r["start"] for r in recs)
    years = range(min(r["start"] for r in recs), last + 1)
    for y in years:  # the reconstruction must equal the source's own list for the year
        want = sorted(line.split(" ", 1)[0] + " " + line.split(" ", 1)[1].strip()
                      for line in git_show(src, sha, f"data/{y}.txt").splitlines() if line.strip())
        got = sorted(f"{r['code']} {r['name']}" for r in recs
                     if r["start"] <= y and (r["end"] == "" or y < r["end"]))
        if got != want:
            diff = sorted(set(got) ^ set(want))[:10]
            raise SystemExit(f"year {y}: reconstructed list differs from data/{y}.txt: {diff}")
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "areacodes.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(recs[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(recs)
    meta = {"source": "https://github.com/yescallop/areacodes", "commit": sha, "commit_date": date,
            "licence": "CC0-1.0", "first_year": years[0], "last_year": last, "records": len(recs),
            "pinyin": "pypinyin " + __import__("pypinyin").__version__}
    (OUT / "source.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(recs)} records, vintages {years[0]}-{last}, source commit {sha[:10]} ({date})")


if __name__ == "__main__":
    main(Path(sys.argv[1]), *(sys.argv[2:3] or ["HEAD"]))
