"""Correspondence analysis (CA) of a contingency table — KH Coder's biplot of words (or codes) and groups.

A small SVD implementation (Greenacre, *Correspondence Analysis in Practice*, ch. 4 and appendix A): with
P = N / n, row masses r = P·1, column masses c = Pᵀ·1, the standardised residuals
S = D_r^{-½} (P − r cᵀ) D_c^{-½} are decomposed as S = U Σ Vᵀ. Then

- principal inertias λₖ = σₖ², their total Σλₖ = χ² / n (Pearson's χ² of the table over its grand total);
- row principal coordinates F = D_r^{-½} U Σ, column principal coordinates G = D_c^{-½} V Σ (the symmetric map:
  both in principal coordinates);
- share of inertia explained by dimension k = λₖ / Σλ.

Rows or columns whose total is zero are dropped first (they have no profile).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CAResult:
    """``rows`` / ``cols``: principal coordinates (DataFrames indexed by the labels, columns ``dim1 …``);
    ``row_mass`` / ``col_mass``: masses (Series); ``eigenvalues``: principal inertias λₖ (largest first);
    ``total_inertia`` = Σλₖ = χ²/n; ``explained``: λₖ / Σλ."""

    rows: pd.DataFrame
    cols: pd.DataFrame
    row_mass: pd.Series
    col_mass: pd.Series
    eigenvalues: np.ndarray
    total_inertia: float
    explained: np.ndarray


def correspondence_analysis(table: pd.DataFrame, n_dims: int = 2) -> CAResult:
    """CA of a non-negative contingency table (rows × columns of counts). Keeps ``n_dims`` dimensions (at most
    min(rows, cols) − 1). Signs are fixed so that the heaviest-mass row has a non-negative coordinate on each
    dimension (SVD signs are otherwise arbitrary)."""
    t = table.astype(float)
    t = t.loc[t.sum(axis=1) > 0, t.sum(axis=0) > 0]
    N = t.to_numpy()
    if N.ndim != 2 or N.shape[0] < 2 or N.shape[1] < 2:
        raise ValueError("correspondence analysis needs at least 2 non-empty rows and 2 non-empty columns")
    if (N < 0).any():
        raise ValueError("correspondence analysis needs non-negative counts")
    n = N.sum()
    P = N / n
    r, c = P.sum(axis=1), P.sum(axis=0)
    S = (P - np.outer(r, c)) / np.sqrt(np.outer(r, c))
    U, sigma, Vt = np.linalg.svd(S, full_matrices=False)
    k_max = min(N.shape) - 1
    sigma = sigma[:k_max]
    U, V = U[:, :k_max], Vt[:k_max].T
    anchor = int(np.argmax(r))
    for k in range(k_max):
        if U[anchor, k] < 0 or (U[anchor, k] == 0 and V[int(np.argmax(c)), k] < 0):
            U[:, k], V[:, k] = -U[:, k], -V[:, k]
    F = U * sigma / np.sqrt(r)[:, None]
    G = V * sigma / np.sqrt(c)[:, None]
    d = max(1, min(n_dims, k_max))
    names = [f"dim{k + 1}" for k in range(d)]
    eig = sigma**2
    total = float(eig.sum())
    return CAResult(rows=pd.DataFrame(F[:, :d], index=t.index, columns=names),
                    cols=pd.DataFrame(G[:, :d], index=t.columns, columns=names),
                    row_mass=pd.Series(r, index=t.index), col_mass=pd.Series(c, index=t.columns),
                    eigenvalues=eig, total_inertia=total, explained=eig / total if total > 0 else eig)


def ca_coordinates(result: CAResult, row_kind: str, col_kind: str) -> pd.DataFrame:
    """Long table of a CA: ``label, kind`` (``row_kind`` or ``col_kind``, e.g. "词语" / "章节"), ``dim1, dim2``,
    ``mass``. Rows first, then columns, each in table order."""
    def part(coords: pd.DataFrame, mass: pd.Series, kind: str) -> pd.DataFrame:
        out = coords.copy()
        if "dim2" not in out:
            out["dim2"] = 0.0
        out = out[["dim1", "dim2"]].assign(mass=mass.to_numpy(), kind=kind)
        return out.rename_axis("label").reset_index()[["label", "kind", "dim1", "dim2", "mass"]]

    df = pd.concat([part(result.rows, result.row_mass, row_kind), part(result.cols, result.col_mass, col_kind)],
                   ignore_index=True)
    return df.astype({"label": "string", "kind": "string"})


def ca_inertia(result: CAResult) -> pd.DataFrame:
    """``dim, eigenvalue, share, cumulative`` for every dimension; ``total_inertia`` = χ²/n on each row."""
    share = result.explained
    return pd.DataFrame(dict(dim=np.arange(1, len(share) + 1), eigenvalue=result.eigenvalues, share=share,
                             cumulative=np.cumsum(share), total_inertia=result.total_inertia))


def term_group_table(tokens: pd.DataFrame, groups: pd.Series, n_terms: int = 60, min_docs: int = 3
                     ) -> pd.DataFrame:
    """Terms × groups counts for CA: the ``n_terms`` most frequent terms of ``tokens`` (an analysis view) used in
    at least ``min_docs`` entries (ties by term), counted per group (``groups``: entry_id → group)."""
    g = groups.dropna()
    eid = tokens.entry_id.astype(int)
    m = eid.isin(g.index).to_numpy()
    t = pd.DataFrame({"entry_id": eid[m].to_numpy(), "token": tokens.token[m].array})  # the two columns needed
    n = t.token.value_counts()  # uses of each term
    docs = t.drop_duplicates(["token", "entry_id"]).token.value_counts()  # entries using it
    stats = pd.DataFrame({"n": n, "docs": docs.reindex(n.index)}).rename_axis("token")
    stats = stats[stats.docs >= min_docs].reset_index()
    top = stats.sort_values(["n", "token"], ascending=[False, True], kind="stable").token.head(n_terms)
    t = t[t.token.isin(set(top))]
    t = t.assign(group=g.reindex(t.entry_id).to_numpy())
    table = pd.crosstab(t.token.astype(str), t.group)
    return table.loc[[str(x) for x in top if str(x) in table.index]]


def code_group_table(coded: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Codes × groups: entries carrying each code in each group (``coded``: entries × codes booleans)."""
    g = groups.reindex(coded.index)
    keep = g.notna()
    return coded[keep].astype(int).groupby(g[keep]).sum().T


#: the analyses of :func:`ca_tables`: name → (what the rows are, what the columns are)
CA_ANALYSES = {"terms_sections": ("词语", "栏目"), "terms_cohorts": ("词语", "期次"),
               "codes_sections": ("编码", "栏目"), "codes_cohorts": ("编码", "期次")}


def ca_tables(tokens: pd.DataFrame, coded: pd.DataFrame | None, entries: pd.DataFrame, n_terms: int = 60
              ) -> dict[str, pd.DataFrame]:
    """The project's correspondence analyses, as two long tables with a first column ``analysis``
    (:data:`CA_ANALYSES`): ``ca_coordinates`` (analysis, label, kind, dim1, dim2, mass) and ``ca_inertia``
    (analysis, dim, eigenvalue, share, cumulative, total_inertia). ``tokens`` is an analysis view; ``coded`` the
    entries × codes booleans (None: no code analyses). An analysis whose table has fewer than two non-empty rows
    or columns (e.g. a one-cohort booklet) is left out."""
    from .codes import entry_groups

    groups = {"sections": entry_groups(entries, "section"), "cohorts": entry_groups(entries, "cohort")}
    coords, inertia = [], []
    for name, (row_kind, col_kind) in CA_ANALYSES.items():
        what, by = name.split("_")
        if what == "codes" and coded is None:
            continue
        table = (term_group_table(tokens, groups[by], n_terms) if what == "terms"
                 else code_group_table(coded, groups[by]))
        if what == "terms" and by == "sections":
            table = table[[c for c in dict.fromkeys(entries.section) if c in table.columns]]
        try:
            result = correspondence_analysis(table)
        except ValueError:
            continue
        coords.append(ca_coordinates(result, row_kind, col_kind).assign(analysis=name))
        inertia.append(ca_inertia(result).assign(analysis=name))
    c_cols = ["analysis", "label", "kind", "dim1", "dim2", "mass"]
    i_cols = ["analysis", "dim", "eigenvalue", "share", "cumulative", "total_inertia"]
    return {"ca_coordinates": pd.concat(coords, ignore_index=True)[c_cols] if coords else pd.DataFrame(columns=c_cols),
            "ca_inertia": pd.concat(inertia, ignore_index=True)[i_cols] if inertia else pd.DataFrame(columns=i_cols)}
