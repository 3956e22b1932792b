"""Speaker labels → people: split a trainee's affiliation, resolve one person across entries.

A trainee label reads ``学员、[class role、][原]<hospital>[（alias）]<department><job title><name>``, e.g.
``学员、第二期培训班学习委员、山西医科大学第二医院信息处处长刘鸿齐``. The word lists that drive the split
(job titles, how hospital names end) are data files under ``resources/`` and can be replaced.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

import pandas as pd

from .ingest import CJK
from .resources import load_list

NAME = rf"[{CJK}·]{{2,4}}"
CLASS_ROLE = re.compile(r"第[一二三四五六七八九十百零〇\d\s]+期.*?(?:培训班|班)")
TITLE_ENDINGS = "长任师员理管书事监裁官问"  # how job titles end (科长, 主任, 工程师, 科员, 经理, 主管, 秘书, 干事 …)
PLACE_PREFIX = re.compile(r"^(?:北京|上海|天津|重庆|[^（）]{1,6}?(?:省|自治区|特别行政区|市))$")


@dataclass(frozen=True)
class Affiliation:
    """One trainee as a label names them. Empty strings where the label says nothing."""

    name: str
    hospital: str
    hospital_alias: str
    department: str
    job_title: str
    class_role: str
    former: bool
    former_affiliation: str
    affiliation_raw: str

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=8)
def _title_regex(titles: tuple[str, ...]) -> re.Pattern[str]:
    alts = "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True))
    return re.compile(rf"^(?P<org>.*?)(?P<title>(?:{alts})(?:兼.*?(?:{alts}))*)(?P<name>{NAME})$")


def _split_top_level(s: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(depth - 1, 0)
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def split_hospital(org: str) -> tuple[str, str, str]:
    """``(hospital, alias, department)`` of the part of a label before the job title.

    The hospital ends at the last place where a hospital-like ending (医院, 保健院, 医疗中心 …) closes, with a
    bracket right after it kept with it: an alias when the bracket itself names a hospital
    (``深圳市龙岗中心医院（深圳市第九人民医院）``), else part of the name (``台州恩泽医疗中心（集团）``).
    """
    org = org.strip("、，, ")
    suffixes = load_list("org_suffixes.txt")
    not_org = load_list("not_org_phrases.txt")
    depth, inside = 0, []
    for ch in org:  # inside[k]: position k lies within brackets
        depth += ch in "（("
        depth -= ch in "）)" and depth > 0
        inside.append(depth > 0)
    ends: list[int] = []
    for suf in suffixes:
        for m in re.finditer(re.escape(suf), org):
            end = m.end()
            if inside[end - 1]:
                continue
            if suf in load_list("org_weak_suffixes.txt") and end < len(org) and re.match(rf"[{CJK}（(]", org[end]):
                continue  # a weak ending closes a name only before a space, Latin text or the end
            if any(org[:end].endswith(p) and len(org[:end]) > len(p) for p in not_org):
                continue
            ends.append(end)
    if not ends:
        for suf in load_list("org_fallback_suffixes.txt"):
            ends.extend(m.end() for m in re.finditer(re.escape(suf), org))
    if not ends:
        return "", "", org
    end = max(ends)
    alias = ""
    bracket = re.match(r"[（(]([^（）()]*)[）)]", org[end:])
    if bracket:
        inner = bracket.group(1)
        if any(inner.endswith(s) for s in suffixes):
            alias = inner
            hospital = org[:end]
        else:
            hospital = org[: end + bracket.end()]
        end += bracket.end()
    else:
        hospital = org[:end]
    return hospital.strip(), alias, org[end:].strip("、，, ")


def parse_affiliation(raw: str) -> Affiliation:
    """Split one trainee's label text (without ``学员、`` and ``：``) into its parts."""
    text = raw.strip()
    former_affiliation = ""
    m = re.search(r"[（(]原([^（）()]+)[）)]", text)
    if m:
        former_affiliation = m.group(1)
        text = (text[: m.start()] + text[m.end():]).strip()
    segments = _split_top_level(text, "、")
    roles = [s for s in segments if CLASS_ROLE.search(s)]
    rest = "、".join(s for s in segments if not CLASS_ROLE.search(s)).strip("、 ")
    former = rest.startswith("原")
    if former:
        rest = rest[1:]
    titles = load_list("job_titles.txt")
    name = job_title = ""
    m = _title_regex(titles).match(rest)
    if m and m.group("org"):
        org, job_title, name = m.group("org"), m.group("title"), m.group("name")
    else:
        # a title the list lacks: after the last organisation/department character, 1–4 characters ending the way
        # Chinese job titles end (…长, …任, …师, …员 …), then a 2–3 character name
        m3 = re.match(rf"^(?P<org>.*[院科部处室心司局组办])(?P<title>[{CJK}]{{0,3}}[{TITLE_ENDINGS}])"
                      rf"(?P<name>[{CJK}·]{{2,3}})$", rest)
        # no job title: the name follows the last character that closes an organisation or department
        m2 = re.match(rf"^(?P<org>.*[院科部处室心司局])(?P<name>{NAME})$", rest)
        if m3:
            org, job_title, name = m3.group("org"), m3.group("title"), m3.group("name")
        elif m2:
            org, name = m2.group("org"), m2.group("name")
        elif re.fullmatch(NAME, rest):
            org, name = "", rest
        else:
            org = rest
    hospital, alias, department = split_hospital(org)
    return Affiliation(name=name, hospital=hospital, hospital_alias=alias, department=department,
                       job_title=job_title, class_role="、".join(roles), former=former,
                       former_affiliation=former_affiliation, affiliation_raw=raw.strip())


def looks_like_affiliation(label: str) -> bool:
    """True when a label without ``学员`` still reads as ``<institution>…<name>`` (a trainee)."""
    if re.search(r"[。？！?!，,“”\"；;]", label) or len(label) > 80:
        return False
    a = parse_affiliation(label)
    return bool(a.name and a.hospital)


# ---------------------------------------------------------------- resolution across entries

def hospital_key(name: str) -> str:
    """Key that joins spellings of one hospital: brackets dropped (``（集团）``)."""
    return re.sub(r"[（(][^（）()]*[）)]", "", name).strip()


def canonical_hospitals(names: list[str]) -> dict[str, str]:
    """Map each hospital spelling to one canonical spelling.

    Two spellings are one hospital when, brackets aside, one is the other with a place prefix in front
    (``北京积水潭医院`` ⊃ ``积水潭医院``, ``浙江省台州恩泽医疗中心`` ⊃ ``台州恩泽医疗中心（集团）``). The canonical
    spelling is the longest key's most frequent spelling. Nothing else is merged.
    """
    names = [n for n in names if n]
    keys = sorted({hospital_key(n) for n in names}, key=lambda k: (-len(k), k))
    parent: dict[str, str] = {k: k for k in keys}
    for long in keys:
        for short in keys:
            if len(short) < len(long) and long.endswith(short) and len(short) >= 4:
                if PLACE_PREFIX.match(long[: len(long) - len(short)]) and parent[short] == short:
                    parent[short] = parent[long]
    counts = pd.Series(names).value_counts()
    out: dict[str, str] = {}
    for n in sorted(set(names)):
        root = parent[hospital_key(n)]
        spellings = [s for s in counts.index if parent[hospital_key(s)] == root and hospital_key(s) == root]
        out[n] = spellings[0] if spellings else root
    return out
