"""Coding rules (KH Coder's "coding"): a codebook of named codes, each a Boolean expression over terms, applied to
every entry; crosstabs of codes against cohorts, units, sections or topics with adjusted standardised residuals;
the rules' precision and recall against the hand coding of the bundled booklet.

**Codebook** (YAML; the shipped starter is ``resources/codebook.yaml``): a mapping ``code name: expression``, in
the order the codes should be shown. An expression combines terms with ``AND``, ``OR``, ``NOT`` (upper case) and
parentheses; ``NOT`` binds tightest, then ``AND``, then ``OR``. Examples::

    网络与信息安全: 三级等保 OR q:(text:安全 OR text:隐私) OR many:(text:等保 OR text:隐私 OR text:加密)
    项目与采购: (q:招标 OR many:招标) AND NOT q:科研

A term matches an entry's words (``token``) or concepts (``concept``) in the tokens table — so a concept of the
synonyms file (信息部门) matches all its variants. A term written ``text:…`` matches the printed text instead (a
substring, after normalisation), for phrases the tokenizer does not keep. Where in the entry a term must occur is
said by a prefix (written before ``text:``, e.g. ``q:text:照单全收``):

- no prefix — anywhere in the entry, once is enough: for **specific** terms and phrases (等保, 招标, 集成平台);
- ``q:`` — in the **question**: the title or a trainee's turn;
- ``many:`` — **several mentions in the answers** (the instructors' turns): in at least 2 different answer turns,
  or at least 3 times in all (:data:`MANY_TURNS`, :data:`MANY_MENTIONS`);
- ``n>=K:`` — at least K mentions in the answers (K ≥ 1).

A prefix before a parenthesised group of terms joined by ``OR`` — ``many:(text:运维 OR text:工单)`` — counts the
mentions of all of them together (a subject named by several words); ``q:(…)`` puts ``q:`` on each. Overlapping
substrings in one group (集成 and 集成平台) are each counted, so list only the shorter.

A generic word (管理, 人员, 数据, 服务) must never make a code on its own: write it with ``q:`` or ``many:``, or
``AND`` it with a specific term. Terms are written as they are; a term with spaces or parentheses goes in double
quotes, its prefix before or inside the quotes (``q:"Nature Medicine"``).

A malformed codebook raises :class:`CodebookError`, one line naming the file and line.

**Crosstabs** (:func:`code_crosstab`): for each code and each group, the entries of the group carrying the code,
their share of the group, and Haberman's adjusted standardised residual of that cell in the groups × (coded, not
coded) table: r = (O − E) / √(E (1 − nᵢ/N)(1 − m/N)), E = nᵢ m / N, with nᵢ the group's entries and m the coded
entries. |r| > 1.96 marks a group that uses the code more (or less) than the others at the 5 % level (per cell,
not corrected for the number of cells).

**Validation** (:func:`code_validation`): per code, the true / false positives and false negatives of the rules
against a hand coding (``resources/validation/code_judgement.csv``: every entry of the bundled booklet × the eight
starter codes, made before the rules were revised), on the development half (even entry ids, where the rules
were tuned), the held-out half (odd ids) and all entries. Used only for the booklet it was made on (same sha256).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import BookletError
from .paramfiles import MAX_DEPTH, MAX_EXPRESSION_CHARS, too_long, yaml_depth_error
from .resources import resource_path
from .stats import adjusted_residuals
from .text import normalise

OPERATORS = ("AND", "OR", "NOT")
TEXT_PREFIX = "text:"
SCOPES = ("any", "q", "many", "n")  # where a term must occur: anywhere, the question, several answers, K answers
MANY_TURNS = 2  # many: — mentioned in at least this many different answer turns …
MANY_MENTIONS = 3  # … or at least this many times in the answers
_TOKEN = re.compile(r'\s*(?:(\()|(\))|([^\s()"]*)"([^"]*)"|([^\s()"]+))')
_SCOPE = re.compile(r"^(q|many|n>=(\d+)):")
_SCOPE_ONLY = re.compile(r"^(q|many|n>=(\d+)):$")


class CodebookError(BookletError):
    """A malformed codebook; the message names the file and line."""


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True)
class EntryFacts:
    """What one entry offers a rule, for evaluating an expression on a single entry (:meth:`Term.eval`): the
    codebook words it uses (as a token or a concept) anywhere and in the question (title, trainee turns), its
    printed text (whole and question), and each answer turn (an instructor's turn) as (its words, one item per
    mention; its printed text)."""

    words: frozenset[str] = frozenset()
    text: str = ""
    question_words: frozenset[str] = frozenset()
    question_text: str = ""
    answers: tuple[tuple[tuple[str, ...], str], ...] = ()


def expression_zh(expression: str) -> str:
    """A codebook expression in words a designer reads (the report's 规则 column): ``q:(text:安全 OR text:隐私) OR
    many:等保 AND NOT q:科研`` → ``提问中有（安全 或 隐私） 或 回答中多次提到 等保 并且 提问中没有 科研``. The prefixes as
    the module doc defines them (``many:``: in ≥ 2 answer turns or ≥ 3 times); ``text:`` (printed text rather than
    words) is left out; quoted terms keep their quotes."""
    out = re.sub(r"\btext:", "", str(expression))
    out = re.sub(r"\bNOT\s+q:", "提问中没有 ", out)
    out = re.sub(r"\bNOT\s+", "没有 ", out)
    out = re.sub(r"\bq:\s*", "提问中有 ", out)
    out = re.sub(r"\bmany:\s*", "回答中多次提到 ", out)
    out = re.sub(r"\bn>=(\d+):\s*", lambda m: f"回答中至少 {m.group(1)} 次提到 ", out)
    out = re.sub(r"\bAND\b", "并且", re.sub(r"\bOR\b", "或", out))
    out = re.sub(r"\s*\(\s*", "（", out)
    out = re.sub(r"\s*\)", "）", out)
    return re.sub(r"\s+", " ", out).strip()


def _scope_label(scope: str, k: int) -> str:
    return {"any": "", "q": "q:", "many": "many:", "n": f"n>={k}:"}[scope]


def _enough(scope: str, k: int, mentions, turns):
    """Whether ``mentions`` in ``turns`` answer turns satisfy a ``many:`` / ``n>=K:`` term (numbers or arrays)."""
    if scope == "many":
        return (turns >= MANY_TURNS) | (mentions >= MANY_MENTIONS)
    return mentions >= k


def _answer_counts(terms: tuple["Term", ...], facts: EntryFacts) -> tuple[int, int]:
    """Mentions of any of ``terms`` in the answers of one entry, and the answer turns with at least one."""
    per_turn = [sum(t.count(term.word) if term.text else ws.count(term.word) for term in terms)
                for ws, t in facts.answers]
    return sum(per_turn), sum(c > 0 for c in per_turn)


@dataclass(frozen=True)
class Term:
    word: str
    text: bool = False  # match the printed text (substring) instead of the words
    scope: str = "any"  # any | q | many | n (see the module docstring)
    k: int = 0  # mentions in the answers needed by scope "n"

    @property
    def label(self) -> str:
        """The term as written in a codebook (normalised): ``q:text:照单全收``, ``n>=3:数据``."""
        return _scope_label(self.scope, self.k) + (TEXT_PREFIX if self.text else "") + self.word

    def eval(self, facts: EntryFacts) -> bool:
        """Whether the term matches one entry."""
        if self.scope == "any":
            return (self.word in facts.text) if self.text else (self.word in facts.words)
        if self.scope == "q":
            return (self.word in facts.question_text) if self.text else (self.word in facts.question_words)
        return bool(_enough(self.scope, self.k, *_answer_counts((self,), facts)))

    def mask(self, evidence: "Evidence") -> np.ndarray:
        """:meth:`eval` for many entries at once: a bool array over ``evidence``'s entries."""
        return evidence.mask(self)

    def terms(self) -> list["Term"]:
        return [self]


@dataclass(frozen=True)
class Group:
    """``many:(A OR B OR …)`` / ``n>=K:(…)``: the mentions of all its terms in the answers counted together (a
    topic named by several words); ``q:(…)`` is ``q:A OR q:B OR …``."""

    scope: str  # q | many | n
    k: int
    members: tuple[Term, ...]  # scope "any" each; the group's scope applies

    @property
    def label(self) -> str:
        return _scope_label(self.scope, self.k) + "(" + " OR ".join(t.label for t in self.members) + ")"

    def _scoped(self) -> tuple[Term, ...]:
        return tuple(Term(t.word, t.text, self.scope, self.k) for t in self.members)

    def eval(self, facts: EntryFacts) -> bool:
        if self.scope == "q":
            return any(t.eval(facts) for t in self._scoped())
        return bool(_enough(self.scope, self.k, *_answer_counts(self.members, facts)))

    def mask(self, evidence: "Evidence") -> np.ndarray:
        if self.scope == "q":
            return np.logical_or.reduce([evidence.mask(t) for t in self._scoped()])
        return evidence.mask_group(self.scope, self.k, self.members)

    def terms(self) -> list[Term]:
        return list(self._scoped())


@dataclass(frozen=True)
class Op:
    op: str  # "AND", "OR", "NOT"
    args: tuple

    def eval(self, facts: EntryFacts) -> bool:
        """Whether the expression matches one entry."""
        if self.op == "NOT":
            return not self.args[0].eval(facts)
        if self.op == "AND":
            return all(a.eval(facts) for a in self.args)
        return any(a.eval(facts) for a in self.args)

    def mask(self, evidence: "Evidence") -> np.ndarray:
        """:meth:`eval` for many entries at once (bool arrays, see :meth:`Term.mask`)."""
        parts = [a.mask(evidence) for a in self.args]
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
        elif m.group(4) is not None:
            if not m.group(4).strip():
                raise _ParseError("空的引号词语")
            out.append(("TERM", m.group(3) + m.group(4)))
        elif m.group(5) in OPERATORS:
            out.append((m.group(5), m.group(5)))
        elif _SCOPE_ONLY.match(m.group(5)) and pos < len(expr) and expr[pos] == "(":
            out.append(("SCOPE", m.group(5)))
        else:
            out.append(("TERM", m.group(5)))
    return out


def _scope_of(prefix: str, word: str) -> tuple[str, int]:
    m = _SCOPE.match(prefix)
    if m.group(2) is None:
        return m.group(1), 0
    k = int(m.group(2))
    if k < 1:
        raise _ParseError(f"{word!r}：n>= 之后应为不小于 1 的整数，如 n>=3:数据")
    return "n", k


def parse_term(word: str) -> Term:
    """One term: an optional scope prefix (``q:``, ``many:``, ``n>=K:``), an optional ``text:``, the word.
    Raises ``_ParseError`` (a ``ValueError``) for an empty word, ``n>=`` without a positive whole number, two
    scope prefixes, or a scope prefix after ``text:``."""
    scope, k, rest = "any", 0, word
    m = _SCOPE.match(rest)
    if m:
        scope, k = _scope_of(m.group(0), word)
        rest = rest[m.end():]
    elif re.match(r"^n\s*[>≥]", rest):
        raise _ParseError(f"{word!r}：次数前缀应写成 n>=K:（K 为正整数），如 n>=3:数据")
    if _SCOPE.match(rest):
        raise _ParseError(f"{word!r}：一个词语只能有一个范围前缀（q: / many: / n>=K:）")
    text = rest.startswith(TEXT_PREFIX)
    if text:
        rest = rest[len(TEXT_PREFIX):]
        if _SCOPE.match(rest):
            raise _ParseError(f"{word!r}：范围前缀（q: / many: / n>=K:）应写在 text: 之前")
    body = normalise(rest).strip()
    if not body:
        raise _ParseError(f"{word!r} 缺少要匹配的{'文字' if text else '词语'}")
    return Term(body, text=text, scope=scope, k=k)


def parse_expression(expr: str) -> Term | Op | Group:
    """The expression tree of ``expr`` (grammar in the module docstring). Raises ``ValueError`` with a Chinese
    message on malformed input (empty, unbalanced parentheses, missing operand, two terms without operator,
    a bad scope prefix, a scoped group that is not terms joined by OR,
    over :data:`~corpus_tools.paramfiles.MAX_EXPRESSION_CHARS` characters, parentheses or NOTs nested deeper
    than :data:`~corpus_tools.paramfiles.MAX_DEPTH`)."""
    if len(str(expr)) > MAX_EXPRESSION_CHARS:
        raise _ParseError(too_long(str(expr), MAX_EXPRESSION_CHARS))
    toks = _lex(str(expr))
    if not toks:
        raise _ParseError("表达式为空")
    return _ExpressionParser(toks).parse()


class _ExpressionParser:
    """Recursive descent over the tokens of :func:`_lex`: OR binds loosest, then AND, then NOT; an atom is a term,
    a parenthesised expression or a scoped group ``prefix(… OR …)``."""

    def __init__(self, toks: list[tuple[str, str]]) -> None:
        self.toks = toks
        self.pos = 0
        self.depth = 0  # parentheses and NOTs open around the current position (recursion stays shallow)

    def parse(self) -> Term | Op | Group:
        node = self.parse_or()
        if self.pos < len(self.toks):
            kind, value = self.toks[self.pos]
            if kind == ")":
                raise _ParseError("括号不配对：多余的“)”")
            raise _ParseError(f"“{value}”之前缺少运算符 AND / OR / NOT")
        return node

    def peek(self) -> str | None:
        return self.toks[self.pos][0] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        self.pos += 1
        return self.toks[self.pos - 1]

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _ParseError(f"括号或 NOT 嵌套超过 {MAX_DEPTH} 层")

    def _chain(self, op: str, operand):
        """``operand (op operand)*``: one operand as it is, several joined in one ``Op(op, …)``."""
        args = [operand()]
        while self.peek() == op:
            self.take()
            args.append(operand())
        return args[0] if len(args) == 1 else Op(op, tuple(args))

    def parse_or(self):
        return self._chain("OR", self.parse_and)

    def parse_and(self):
        return self._chain("AND", self.parse_not)

    def parse_not(self):
        if self.peek() == "NOT":
            self.take()
            self.deeper()
            node = Op("NOT", (self.parse_not(),))
            self.depth -= 1
            return node
        return self.parse_atom()

    def closing(self) -> None:
        if self.peek() != ")":
            raise _ParseError("括号不配对：缺少“)”")
        self.take()

    def parse_group(self, prefix: str):
        self.take()  # "("
        node = self.parse_or()
        self.closing()
        members = node.args if isinstance(node, Op) and node.op == "OR" else (node,)
        if not all(isinstance(t, Term) and t.scope == "any" for t in members):
            raise _ParseError(f"{prefix}( … ) 里只能是用 OR 连接、不带范围前缀的词语")
        scope, k = _scope_of(prefix, prefix + "(…)")
        return Group(scope, k, tuple(members))

    def parse_atom(self):
        kind = self.peek()
        if kind is None:
            raise _ParseError("表达式在运算符之后结束，缺少词语")
        if kind == "SCOPE":
            return self.parse_group(self.take()[1])
        if kind == "(":
            self.take()
            self.deeper()
            node = self.parse_or()
            self.closing()
            self.depth -= 1
            return node
        if kind == "TERM":
            return parse_term(self.take()[1])
        raise _ParseError(f"“{self.toks[self.pos][1]}”之前缺少词语")


# ---------------------------------------------------------------- codebook

@dataclass(frozen=True)
class Code:
    name: str
    expression: str
    tree: Term | Op | Group
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
    from .store import read_parameter_text

    text = read_parameter_text(p, "编码表", CodebookError)
    return parse_codebook(text, p)


def codebook_table(codes: list[Code]) -> pd.DataFrame:
    """The codebook as a table: ``code, expression, terms`` (the words and phrases it uses, each once, without
    prefixes — where each must occur is in the expression — joined by 、)."""
    return pd.DataFrame(dict(code=[c.name for c in codes], expression=[c.expression for c in codes],
                             terms=["、".join(dict.fromkeys(t.word for t in c.tree.terms())) for c in codes]))


# ---------------------------------------------------------------- applying codes

def entry_parts(booklet) -> pd.DataFrame:
    """Each entry's title and turns as rows ``entry_id, turn_no, question, text``: the title is turn 0; ``question``
    is True for the title and the trainees' turns (the question), False for the instructors' (the answers);
    ``text`` normalised (see :func:`corpus_tools.text.normalise`). Turn numbers are those of the tokens table."""
    e, t = booklet.entries, booklet.turns
    titles = pd.DataFrame(dict(entry_id=e.entry_id.astype("int64"), turn_no=0, question=True,
                               text=[normalise(str(x)) for x in e.title]))
    turns = pd.DataFrame(dict(entry_id=t.entry_id.astype("int64"), turn_no=t.turn_no.astype("int64"),
                              question=(t.role == "trainee").to_numpy(dtype=bool),
                              text=[normalise(str(x)) for x in t.text]))
    return pd.concat([titles, turns], ignore_index=True).sort_values(["entry_id", "turn_no"], kind="stable",
                                                                     ignore_index=True)


class Evidence:
    """Where and how often each codebook word occurs in each entry, for evaluating terms on all entries at once.

    ``tokens``: a tokens table (``entry_id``, ``token``, optional ``concept`` and ``turn_no``; a word matches a row
    through either column, counted once per row); ``parts``: :func:`entry_parts` (which turns are the question, and
    the printed text of ``text:`` terms). Without ``parts`` turn 0 is the question and every other row an answer
    (a table without ``turn_no``: all one answer turn), and ``text:`` terms match nothing."""

    def __init__(self, tokens: pd.DataFrame, entry_ids, parts: pd.DataFrame | None = None,
                 words: set[str] | frozenset[str] = frozenset()):
        self.entries = pd.Index([int(i) for i in entry_ids]).unique()
        cols = ["token"] + (["concept"] if "concept" in tokens.columns else [])
        wanted = sorted(words)
        frames = [pd.DataFrame(dict(i=np.zeros(0, dtype=np.int64), word=np.zeros(0, dtype=object)))]
        for col in cols:
            m = tokens[col].isin(wanted).to_numpy(dtype=bool)
            frames.append(pd.DataFrame(dict(i=np.flatnonzero(m), word=tokens[col][m].astype(object).to_numpy())))
        hit = pd.concat(frames, ignore_index=True).drop_duplicates(["i", "word"])  # token = concept: once
        idx = hit.i.to_numpy(dtype=np.int64)
        entry = tokens.entry_id.to_numpy()[idx].astype(np.int64)
        turn = (tokens.turn_no.to_numpy()[idx].astype(np.int64) if "turn_no" in tokens.columns
                else np.ones(len(idx), dtype=np.int64))
        qturns: set[tuple[int, int]] = set()
        if parts is not None:
            qturns = {(int(e), int(t)) for e, t, q in zip(parts.entry_id, parts.turn_no, parts.question) if q}
        question = np.fromiter(((int(e), int(t)) in qturns or t == 0 for e, t in zip(entry, turn)), dtype=bool,
                               count=len(entry))
        row = self.entries.get_indexer(entry)
        keep = row >= 0
        hits = pd.DataFrame(dict(word=hit.word.to_numpy()[keep], row=row[keep], turn=turn[keep],
                                 question=question[keep]))
        self._hits = hits.sort_values(["row", "turn"], kind="stable", ignore_index=True)
        self._by_word = {w: g for w, g in self._hits.groupby("word", sort=False)}
        n = len(self.entries)
        self._text = [""] * n
        self._question_text = [""] * n
        self._answer_texts: list[list[tuple[int, str]]] = [[] for _ in range(n)]  # (turn_no, text)
        if parts is not None:
            at = self.entries.get_indexer(parts.entry_id.astype("int64"))
            for r, t, q, x in zip(at, parts.turn_no, parts.question, parts.text):
                if r < 0:
                    continue
                self._text[r] += "\n" + str(x)
                if q:
                    self._question_text[r] += "\n" + str(x)
                else:
                    self._answer_texts[r].append((int(t), str(x)))

    def __len__(self) -> int:
        return len(self.entries)

    def _answer_hits(self, term: Term) -> pd.DataFrame:
        """``row, turn, mentions``: the answer turns mentioning ``term`` (word or ``text:`` substring)."""
        if term.text:
            rows = [(r, t, x.count(term.word)) for r, ts in enumerate(self._answer_texts) for t, x in ts]
            out = pd.DataFrame(rows, columns=["row", "turn", "mentions"])
            return out[out.mentions > 0]
        g = self._by_word.get(term.word)
        if g is None:
            return pd.DataFrame(dict(row=[], turn=[], mentions=[]))
        ans = g[~g.question]
        return ans.groupby(["row", "turn"], sort=True).size().rename("mentions").reset_index()

    def mask(self, term: Term) -> np.ndarray:
        """Bool array over the entries: where ``term`` matches (see :meth:`Term.eval`)."""
        n = len(self.entries)
        if term.scope in ("many", "n"):
            return self.mask_group(term.scope, term.k, (term,))
        if term.text:
            texts = self._text if term.scope == "any" else self._question_text
            return np.fromiter((term.word in t for t in texts), dtype=bool, count=n)
        g = self._by_word.get(term.word)
        if g is None:
            return np.zeros(n, dtype=bool)
        rows = g.row if term.scope == "any" else g.row[g.question]
        return np.bincount(rows.to_numpy(dtype=np.int64), minlength=n) > 0

    def mask_group(self, scope: str, k: int, terms: tuple[Term, ...]) -> np.ndarray:
        """Bool array over the entries: where the mentions of ``terms`` in the answers, counted together, satisfy
        scope ``many`` or ``n`` (≥ ``k``)."""
        n = len(self.entries)
        hits = pd.concat([self._answer_hits(t) for t in terms], ignore_index=True)
        rows = hits.row.to_numpy(dtype=np.int64)
        mentions = np.bincount(rows, weights=hits.mentions.to_numpy(dtype=float), minlength=n)
        turns = np.bincount(hits.drop_duplicates(["row", "turn"]).row.to_numpy(dtype=np.int64), minlength=n)
        return np.asarray(_enough(scope, k, mentions, turns), dtype=bool)

    def facts(self, entry_id: int) -> EntryFacts:
        """One entry's :class:`EntryFacts` (what :meth:`Term.eval` reads)."""
        r = self.entries.get_loc(int(entry_id))
        h = self._hits[self._hits.row == r]
        ans = h[~h.question]
        answers = tuple((tuple(ans.word[ans.turn == t]), x) for t, x in self._answer_texts[r])
        known = {t for t, _ in self._answer_texts[r]}
        answers += tuple((tuple(ans.word[ans.turn == t]), "") for t in dict.fromkeys(ans.turn) if t not in known)
        return EntryFacts(words=frozenset(h.word), text=self._text[r], question_words=frozenset(h.word[h.question]),
                          question_text=self._question_text[r], answers=answers)


def code_entries(codes: list[Code], tokens: pd.DataFrame, entry_ids, parts: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Entries × codes: ``True`` where the entry matches the code. Shape (n_entries, n_codes); index ``entry_id``
    in the order of ``entry_ids``, columns in codebook order. ``tokens`` is a tokens table (every word: the
    ``token`` and, if present, ``concept`` columns are matched); ``parts`` (see :func:`entry_parts`) says which
    turns are the question and serves ``text:`` terms (see :class:`Evidence`)."""
    ids = [int(i) for i in entry_ids]
    words = {t.word for c in codes for t in c.tree.terms() if not t.text}
    ev = Evidence(tokens, ids, parts, words)
    at = ev.entries.get_indexer(ids)
    data = {c.name: c.tree.mask(ev)[at] for c in codes}
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


# ---------------------------------------------------------------- validation against a hand coding

VALIDATION_MANIFEST = "validation/manifest.json"
HALVES = ("dev", "held_out", "all")  # even entry ids (rules tuned on them), odd ids (held out), every entry
TOTAL = "合计"  # the micro-average row of each half in code_validation
VALIDATION_COLUMNS = ["code", "half", "n_judged", "n_yes", "n_coded", "tp", "fp", "fn", "precision", "recall"]


def half_of(entry_id: int) -> str:
    """``dev`` for an even entry id (the rules were tuned on these), ``held_out`` for an odd one."""
    return "dev" if int(entry_id) % 2 == 0 else "held_out"


def parse_code_judgement(text: str, path: str = "<judgement>") -> pd.DataFrame:
    """A hand coding in CSV (``entry_id,code,applies,…``; applies ``yes`` / ``no``) as ``entry_id`` (int),
    ``code`` (str), ``applies`` (bool), one row per judged (entry, code). Raises :class:`CodebookError` naming the
    file and line for a missing column or an ``applies`` that is neither yes nor no."""
    rows = csv.DictReader(io.StringIO(text))
    missing = {"entry_id", "code", "applies"} - set(rows.fieldnames or [])
    if missing:
        raise CodebookError(path, f"人工判读缺少列：{'、'.join(sorted(missing))}", 1)
    out = []
    for i, r in enumerate(rows, start=2):
        applies = str(r["applies"]).strip().lower()
        if applies not in ("yes", "no") or not str(r["entry_id"]).strip().isdigit():
            raise CodebookError(path, f"人工判读第 {i} 行有误：entry_id 应为整数，applies 应为 yes 或 no", i)
        out.append((int(r["entry_id"]), str(r["code"]).strip(), applies == "yes"))
    return pd.DataFrame(out, columns=["entry_id", "code", "applies"])


def load_code_judgement(booklet_sha256: str | None) -> pd.DataFrame | None:
    """The hand coding bundled with the package (``resources/validation/``, see :func:`parse_code_judgement`) when
    ``booklet_sha256`` is the checksum of the booklet it was made on (the bundled one); ``None`` for any other."""
    from .store import read_text_file

    manifest = json.loads(read_text_file(resource_path(VALIDATION_MANIFEST)))
    if not booklet_sha256 or booklet_sha256 != manifest["booklet_sha256"]:
        return None
    path = resource_path("validation/" + manifest["code_judgement"]["file"])
    return parse_code_judgement(read_text_file(path), str(path))


def _scores(truth: np.ndarray, pred: np.ndarray) -> dict:
    tp, fp, fn = int((truth & pred).sum()), int((~truth & pred).sum()), int((truth & ~pred).sum())
    return dict(n_judged=len(truth), n_yes=int(truth.sum()), n_coded=int(pred.sum()), tp=tp, fp=fp, fn=fn,
                precision=tp / (tp + fp) if tp + fp else np.nan, recall=tp / (tp + fn) if tp + fn else np.nan)


def code_validation(coded: pd.DataFrame, judgement: pd.DataFrame) -> pd.DataFrame:
    """The rules against a hand coding: for each code both have (codebook order) and each half (:data:`HALVES`:
    dev = even entry ids, held_out = odd, all), the judged entries ``n_judged``, those judged to carry the code
    ``n_yes``, those the rule codes ``n_coded``, true positives ``tp``, false positives ``fp``, false negatives
    ``fn``, ``precision`` = tp / (tp + fp) and ``recall`` = tp / (tp + fn) (0–1; NaN when undefined). Then one
    row per half with code :data:`TOTAL`: the counts summed over the codes (micro-average). ``coded``: entries ×
    codes booleans (index entry_id, see :func:`code_entries`); ``judgement``: :func:`parse_code_judgement`."""
    j = judgement[judgement.entry_id.isin(coded.index) & judgement.code.isin(coded.columns)]
    rows, pooled = [], {h: ([], []) for h in HALVES}
    for code in [c for c in coded.columns if c in set(j.code)]:
        jc = j[j.code == code].drop_duplicates("entry_id", keep="last").sort_values("entry_id")
        truth = jc.applies.to_numpy(dtype=bool)
        pred = coded[code].reindex(jc.entry_id).to_numpy(dtype=bool)
        half = np.array([half_of(e) for e in jc.entry_id])
        for h in HALVES:
            keep = np.ones(len(jc), dtype=bool) if h == "all" else half == h
            rows.append(dict(code=code, half=h, **_scores(truth[keep], pred[keep])))
            pooled[h][0].append(truth[keep])
            pooled[h][1].append(pred[keep])
    if rows:
        for h in HALVES:
            rows.append(dict(code=TOTAL, half=h, **_scores(np.concatenate(pooled[h][0]),
                                                           np.concatenate(pooled[h][1]))))
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


CROSSTAB_BY = ("cohort", "unit", "section", "topic")


def code_tables(codes: list[Code], tokens: pd.DataFrame, booklet, entry_topics: pd.DataFrame | None = None,
                topics: pd.DataFrame | None = None, judgement: pd.DataFrame | None = None
                ) -> dict[str, pd.DataFrame]:
    """Every coding table of a booklet: ``codebook`` (code, expression, terms), ``code_entries`` (entry_id + one
    boolean column per code), ``code_crosstab`` — :func:`code_crosstab` for cohort, unit, section and (with
    a topic fit) topic, stacked, with a first column ``by`` naming the grouping — and ``code_validation``
    (:func:`code_validation` against ``judgement``, see :func:`load_code_judgement`; empty without one)."""
    coded = code_entries(codes, tokens, booklet.entries.entry_id, entry_parts(booklet))
    parts = []
    for by in CROSSTAB_BY:
        if by == "topic" and entry_topics is None:
            continue
        x = code_crosstab(coded, entry_groups(booklet.entries, by, entry_topics, topics))
        x["group"] = x["group"].astype(str)
        parts.append(x.assign(by=by))
    crosstab = pd.concat(parts, ignore_index=True)
    crosstab = crosstab[["by", "group", "code", "entries", "n_group", "share", "expected", "residual"]]
    validation = (code_validation(coded, judgement) if judgement is not None
                  else pd.DataFrame(columns=VALIDATION_COLUMNS))
    return {"codebook": codebook_table(codes), "code_entries": coded.reset_index(), "code_crosstab": crosstab,
            "code_validation": validation}
