"""Coding rules (KH Coder's "coding"): a codebook of named codes, each a Boolean expression over terms, applied to
every entry; crosstabs of codes against cohorts, units, sections or topics with adjusted standardised residuals.

**Codebook** (YAML; the shipped starter is ``resources/codebook.yaml``): a mapping ``code name: expression``, in
the order the codes should be shown. An expression combines terms with ``AND``, ``OR``, ``NOT`` (upper case) and
parentheses; ``NOT`` binds tightest, then ``AND``, then ``OR``. Examples::

    网络与信息安全: 等保 OR 网络安全 OR 信息安全 OR (安全 AND (漏洞 OR 攻击))
    项目与采购: 招标 OR 采购 OR (项目 AND NOT 科研)

A term matches an entry when it is one of the entry's words (``token``) or concepts (``concept``) in the tokens
table — so a concept of the synonyms file (信息部门) matches all its variants. A term written ``text:…`` matches
the entry's printed text instead (a substring, after normalisation), for phrases the tokenizer does not keep.
Terms are written as they are; a term with spaces or parentheses goes in double quotes.

A malformed codebook raises :class:`CodebookError`, one line naming the file and line.

**Crosstabs** (:func:`code_crosstab`): for each code and each group, the entries of the group carrying the code,
their share of the group, and Haberman's adjusted standardised residual of that cell in the groups × (coded, not
coded) table: r = (O − E) / √(E (1 − nᵢ/N)(1 − m/N)), E = nᵢ m / N, with nᵢ the group's entries and m the coded
entries. |r| > 1.96 marks a group that uses the code more (or less) than the others at the 5 % level (per cell,
not corrected for the number of cells).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import BookletError
from .paramfiles import MAX_DEPTH, MAX_EXPRESSION_CHARS, decode, encoding_message, too_long, yaml_depth_error
from .resources import resource_path
from .stats import adjusted_residuals
from .text import normalise

OPERATORS = ("AND", "OR", "NOT")
TEXT_PREFIX = "text:"
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')


class CodebookError(BookletError):
    """A malformed codebook; the message names the file and line."""


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True)
class Term:
    word: str
    text: bool = False  # match the printed text (substring) instead of the words

    def eval(self, words: frozenset[str], text: str) -> bool:
        return (self.word in text) if self.text else (self.word in words)

    def mask(self, has_word, has_text) -> np.ndarray:
        """:meth:`eval` for many entries at once: ``has_word(word)`` / ``has_text(word)`` give bool arrays."""
        return has_text(self.word) if self.text else has_word(self.word)

    def terms(self) -> list["Term"]:
        return [self]


@dataclass(frozen=True)
class Op:
    op: str  # "AND", "OR", "NOT"
    args: tuple

    def eval(self, words: frozenset[str], text: str) -> bool:
        if self.op == "NOT":
            return not self.args[0].eval(words, text)
        if self.op == "AND":
            return all(a.eval(words, text) for a in self.args)
        return any(a.eval(words, text) for a in self.args)

    def mask(self, has_word, has_text) -> np.ndarray:
        """:meth:`eval` for many entries at once (bool arrays, see :meth:`Term.mask`)."""
        parts = [a.mask(has_word, has_text) for a in self.args]
        if self.op == "NOT":
            return ~parts[0]
        return (np.logical_and if self.op == "AND" else np.logical_or).reduce(parts)

    def terms(self) -> list[Term]:
        return [t for a in self.args for t in a.terms()]


class _ParseError(ValueError):
    pass


def _lex(expr: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise _ParseError(f"无法识别的内容：{expr[pos:]!r}（引号未闭合？）")
        pos = m.end()
        if m.group(1):
            out.append(("(", "("))
        elif m.group(2):
            out.append((")", ")"))
        elif m.group(3) is not None:
            if not m.group(3).strip():
                raise _ParseError("空的引号词语")
            out.append(("TERM", m.group(3)))
        elif m.group(4) in OPERATORS:
            out.append((m.group(4), m.group(4)))
        else:
            out.append(("TERM", m.group(4)))
    return out


def parse_expression(expr: str) -> Term | Op:
    """The expression tree of ``expr`` (grammar in the module docstring). Raises ``ValueError`` with a Chinese
    message on malformed input (empty, unbalanced parentheses, missing operand, two terms without operator,
    over :data:`~corpus_tools.paramfiles.MAX_EXPRESSION_CHARS` characters, parentheses or NOTs nested deeper
    than :data:`~corpus_tools.paramfiles.MAX_DEPTH`)."""
    if len(str(expr)) > MAX_EXPRESSION_CHARS:
        raise _ParseError(too_long(str(expr), MAX_EXPRESSION_CHARS))
    toks = _lex(str(expr))
    if not toks:
        raise _ParseError("表达式为空")
    pos = 0

    def peek() -> str | None:
        return toks[pos][0] if pos < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def parse_or():
        args = [parse_and()]
        while peek() == "OR":
            take()
            args.append(parse_and())
        return args[0] if len(args) == 1 else Op("OR", tuple(args))

    def parse_and():
        args = [parse_not()]
        while peek() == "AND":
            take()
            args.append(parse_not())
        return args[0] if len(args) == 1 else Op("AND", tuple(args))

    depth = 0  # parentheses and NOTs open around the current position (recursion stays shallow)

    def deeper() -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _ParseError(f"括号或 NOT 嵌套超过 {MAX_DEPTH} 层")

    def parse_not():
        nonlocal depth
        if peek() == "NOT":
            take()
            deeper()
            node = Op("NOT", (parse_not(),))
            depth -= 1
            return node
        return parse_atom()

    def parse_atom():
        nonlocal depth
        kind = peek()
        if kind is None:
            raise _ParseError("表达式在运算符之后结束，缺少词语")
        if kind == "(":
            take()
            deeper()
            node = parse_or()
            if peek() != ")":
                raise _ParseError("括号不配对：缺少“)”")
            take()
            depth -= 1
            return node
        if kind == "TERM":
            word = take()[1]
            if word.startswith(TEXT_PREFIX):
                body = normalise(word[len(TEXT_PREFIX):])
                if not body:
                    raise _ParseError(f"{word!r} 缺少要匹配的文字")
                return Term(body, text=True)
            return Term(normalise(word))
        raise _ParseError(f"“{toks[pos][1]}”之前缺少词语")

    node = parse_or()
    if pos < len(toks):
        kind, value = toks[pos]
        if kind == ")":
            raise _ParseError("括号不配对：多余的“)”")
        raise _ParseError(f"“{value}”之前缺少运算符 AND / OR / NOT")
    return node


# ---------------------------------------------------------------- codebook

@dataclass(frozen=True)
class Code:
    name: str
    expression: str
    tree: Term | Op
    line: int  # line of the code in the codebook file (1-based; 0 when not from a file)


def parse_codebook(text: str, path: str | Path = "<codebook>") -> list[Code]:
    """Codes of a YAML codebook ``text`` (a mapping ``name: expression``), in file order. Raises
    :class:`CodebookError` naming ``path`` and the line for invalid YAML, a codebook that is not a mapping, an
    empty or duplicate name, a value that is not a string, or a malformed expression."""
    import yaml

    path = str(path)
    deep = yaml_depth_error(text)  # before composing, which recurses once per level
    if deep:
        raise CodebookError(path, *deep)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CodebookError(path, f"YAML 格式错误：{getattr(exc, 'problem', None) or exc}",
                            mark.line + 1 if mark else None) from None
    if root is None:
        raise CodebookError(path, "编码表为空：每行应为“编码名: 表达式”")
    if not isinstance(root, yaml.MappingNode):
        raise CodebookError(path, "编码表应为“编码名: 表达式”的映射", root.start_mark.line + 1)
    codes: list[Code] = []
    seen: set[str] = set()
    for key, value in root.value:
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode) or not str(key.value).strip():
            raise CodebookError(path, "编码名为空或不是文字", line)
        name = str(key.value).strip()
        if too_long(name):
            raise CodebookError(path, f"编码名{too_long(name)}", line)
        if name in seen:
            raise CodebookError(path, f"编码名重复：{name}", line)
        if not isinstance(value, yaml.ScalarNode) or not str(value.value).strip():
            raise CodebookError(path, f"编码 {name} 的表达式应为一行文字，如 “等保 OR 网络安全”", line)
        try:
            tree = parse_expression(str(value.value))
        except _ParseError as exc:
            raise CodebookError(path, f"编码 {name} 的表达式有误：{exc}", value.start_mark.line + 1) from None
        seen.add(name)
        codes.append(Code(name, str(value.value).strip(), tree, line))
    if not codes:
        raise CodebookError(path, "编码表没有编码")
    return codes


def load_codebook(path: str | Path | None = None) -> list[Code]:
    """Read and parse a codebook file (default: the shipped ``resources/codebook.yaml``)."""
    p = Path(path) if path is not None else resource_path("codebook.yaml")
    try:
        from .store import read_file_bytes

        data = read_file_bytes(p)
    except OSError as exc:
        raise CodebookError(str(p), f"编码表无法读取（{exc.strerror or exc.__class__.__name__}）") from None
    text = decode(data)  # UTF-8 or GB18030, as the curriculum
    if text is None:
        raise CodebookError(str(p), encoding_message("编码表"))
    return parse_codebook(text, p)


def codebook_table(codes: list[Code]) -> pd.DataFrame:
    """The codebook as a table: ``code, expression, terms`` (the terms it uses, joined by 、)."""
    return pd.DataFrame(dict(code=[c.name for c in codes], expression=[c.expression for c in codes],
                             terms=["、".join(dict.fromkeys(("text:" if t.text else "") + t.word
                                                          for t in c.tree.terms())) for c in codes]))


# ---------------------------------------------------------------- applying codes

def entry_texts(booklet) -> dict[int, str]:
    """Normalised printed text of each entry (title and turns, joined by newlines)."""
    out = {int(e): normalise(str(t)) for e, t in zip(booklet.entries.entry_id, booklet.entries.title)}
    for e, t in zip(booklet.turns.entry_id, booklet.turns.text):
        out[int(e)] = out.get(int(e), "") + "\n" + normalise(str(t))
    return out


def code_entries(codes: list[Code], tokens: pd.DataFrame, entry_ids, texts: dict[int, str] | None = None
                 ) -> pd.DataFrame:
    """Entries × codes: ``True`` where the entry matches the code. Shape (n_entries, n_codes); index ``entry_id``
    in the order of ``entry_ids``, columns in codebook order. ``tokens`` is a tokens table (every word: the
    ``token`` and, if present, ``concept`` columns are matched); ``texts`` (entry → printed text, see
    :func:`entry_texts`) serves ``text:`` terms."""
    ids = [int(i) for i in entry_ids]
    uniq = pd.Index(ids).unique()
    cols = ["token"] + (["concept"] if "concept" in tokens.columns else [])
    wanted = sorted({t.word for c in codes for t in c.tree.terms() if not t.text})
    # entries using each codebook word (as a token or a concept): one pass over the tokens table
    hits = []
    for col in cols:
        m = tokens[col].isin(wanted).to_numpy(dtype=bool)
        rows = uniq.get_indexer(tokens.entry_id[m].astype("int64"))
        hits.append(pd.DataFrame(dict(row=rows, word=tokens[col][m].astype(object).to_numpy())))
    hit = pd.concat(hits, ignore_index=True) if hits else pd.DataFrame(dict(row=[], word=[]))
    hit = hit[hit.row >= 0]
    by_word = {w: g.row.to_numpy() for w, g in hit.groupby("word", sort=False)}
    texts = texts or {}
    text_of = [texts.get(int(i), "") for i in uniq]

    def has_word(word: str) -> np.ndarray:
        out = np.zeros(len(uniq), dtype=bool)
        out[by_word.get(word, [])] = True
        return out

    def has_text(word: str) -> np.ndarray:
        return np.fromiter((word in t for t in text_of), dtype=bool, count=len(text_of))

    at = uniq.get_indexer(ids)
    data = {c.name: c.tree.mask(has_word, has_text)[at] for c in codes}
    return pd.DataFrame(data, index=pd.Index(ids, name="entry_id"), columns=[c.name for c in codes]).astype(bool)


def code_crosstab(coded: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Codes × groups, long: ``group, code, entries`` (entries of the group with the code), ``n_group`` (entries
    in the group), ``share`` (entries / n_group), ``expected`` (n_group × coded entries / N), ``residual``
    (adjusted standardised residual, see the module docstring). ``groups`` maps entry_id → group (entries with
    no group are left out). Rows in group order (sorted), codes in codebook order."""
    g = groups.reindex(coded.index)
    keep = g.notna()
    coded, g = coded[keep], g[keep]
    n = len(coded)
    sizes = g.value_counts()
    if isinstance(g.dtype, pd.CategoricalDtype):
        order = [c for c in g.cat.categories if sizes.get(c, 0) > 0]
    else:
        order = sorted(sizes.index, key=lambda x: (str(type(x)), x))
    pos = pd.Index(order).get_indexer(np.asarray(g.to_numpy(), dtype=object))  # each entry's group (in order)
    size = sizes[order].to_numpy(dtype=np.int64)
    parts = []
    for code in coded.columns:
        col = coded[code].to_numpy()
        yes = np.bincount(pos, weights=col.astype(float), minlength=len(order))  # coded entries per group
        no = size.astype(float) - yes
        res = adjusted_residuals(np.column_stack([yes, no]))[:, 0]
        m = col.sum()
        parts.append((code, yes, res, size * m / n))
    cols = ["group", "code", "entries", "n_group", "share", "expected", "residual"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame(dict(
        group=[grp for _ in parts for grp in order], code=[c for c, *_ in parts for _ in order],
        entries=np.concatenate([yes for _, yes, *_ in parts]).astype(np.int64),
        n_group=np.tile(size, len(parts)), share=np.concatenate([yes / size for _, yes, *_ in parts]),
        expected=np.concatenate([e for *_, e in parts]).astype(float),
        residual=np.concatenate([res for _, _, res, _ in parts]).astype(float)), columns=cols)


def entry_groups(entries: pd.DataFrame, by: str, entry_topics: pd.DataFrame | None = None,
                 topics: pd.DataFrame | None = None) -> pd.Series:
    """entry_id → group for ``by`` = "cohort" (第N期), "section", "unit" (readable unit label) or "topic"
    (the assigned topic, ``主题N 标签`` from ``entry_topics`` rank 1 and ``topics``). An ordered categorical:
    cohorts and topics by number, sections in booklet order, units by cohort, then unit number (discussion
    classes last)."""
    idx = entries.entry_id.astype(int).to_numpy()
    if by == "cohort":
        keys = [int(c) if not pd.isna(c) else None for c in entries.cohort]
        vals = [f"第{k}期" if k is not None else None for k in keys]
        order = [f"第{k}期" for k in sorted({k for k in keys if k is not None})]
    elif by == "section":
        vals = list(entries.section)
        order = list(dict.fromkeys(v for v in vals if isinstance(v, str)))
    elif by == "unit":
        from .trends import unit_labels

        vals = unit_labels(entries)
        key = {}
        for v, c, s, n in zip(vals, entries.cohort, entries.session_type, entries.unit_no):
            key.setdefault(v, (-1 if pd.isna(c) else int(c), s != "unit", 0 if pd.isna(n) else int(n), v))
        order = sorted(key, key=key.get)
    elif by == "topic":
        if entry_topics is None:
            raise ValueError("by='topic' needs entry_topics")
        first = entry_topics[entry_topics["rank"] == 1].set_index("entry_id").topic_id
        labels = dict(zip(topics.topic_id, topics.label)) if topics is not None else {}
        name = {int(t): f"主题{int(t)} {labels.get(int(t), '')}".strip() for t in sorted(set(first))}
        vals = [name[int(first[e])] if e in first.index else None for e in idx]
        order = [name[t] for t in sorted(name)]
    else:
        raise ValueError(f"unknown grouping {by!r}; choose cohort, section, unit or topic")
    return pd.Series(pd.Categorical(vals, categories=order, ordered=True), index=pd.Index(idx, name="entry_id"))


CROSSTAB_BY = ("cohort", "unit", "section", "topic")


def code_tables(codes: list[Code], tokens: pd.DataFrame, booklet, entry_topics: pd.DataFrame | None = None,
                topics: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every coding table of a booklet: ``codebook`` (code, expression, terms), ``code_entries`` (entry_id + one
    boolean column per code) and ``code_crosstab`` — :func:`code_crosstab` for cohort, unit, section and (with
    a topic fit) topic, stacked, with a first column ``by`` naming the grouping."""
    coded = code_entries(codes, tokens, booklet.entries.entry_id, entry_texts(booklet))
    parts = []
    for by in CROSSTAB_BY:
        if by == "topic" and entry_topics is None:
            continue
        x = code_crosstab(coded, entry_groups(booklet.entries, by, entry_topics, topics))
        x["group"] = x["group"].astype(str)
        parts.append(x.assign(by=by))
    crosstab = pd.concat(parts, ignore_index=True)
    crosstab = crosstab[["by", "group", "code", "entries", "n_group", "share", "expected", "residual"]]
    return {"codebook": codebook_table(codes), "code_entries": coded.reset_index(), "code_crosstab": crosstab}
