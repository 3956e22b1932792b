"""Titles, one-sentence captions and methods of every figure, from the facts of a run.

``caption_for(stem, **facts)`` returns a :class:`Caption` (title, caption, method, source table) for any figure
stem the stages produce. A caption says what is shown, what the marks mean and n; the method says how the
numbers were made. Facts not given fall back to wording without the number, never to a wrong number.

Facts used (all optional): ``n_entries`` (entries drawn), ``k`` (topics), ``k_chosen`` (True when k was chosen
by the rule), ``seed``, ``perplexity`` (t-SNE), ``n_sections``, ``n_units``, ``n_cohorts``, ``n_nodes``,
``n_edges``, ``n_labelled`` (nodes with a label), ``n_terms``, ``topic_id``, ``label`` (topic label / group
name), ``npmi`` (co-occurrence threshold), ``q`` (colour-scale quantile), ``n_concepts`` and ``min_docs``
(correspondence analysis).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Caption:
    title: str
    caption: str
    method: str
    source: str


def _n(facts: dict, key: str, unit: str, lead: str = "共 ") -> str:
    v = facts.get(key)
    return f"{lead}{v} {unit}" if v is not None else ""


def _paren(*parts: str) -> str:
    parts = tuple(p for p in parts if p)
    return f"（{'，'.join(parts)}）" if parts else ""


def _k_method(facts: dict) -> str:
    k = facts.get("k")
    how = ("k 由稳定性与一致性规则选定" if facts.get("k_chosen", True) else "k 为手动指定")
    return f"一致性 NMF 主题模型（k = {k}，{how}，随机种子 {facts.get('seed', 0)}）" if k else "一致性 NMF 主题模型"


def _network(kind: str, what: str, edge: str, size: str, one_type: bool = False):
    def make(facts: dict) -> Caption:
        n_lab, n_nodes = facts.get("n_labelled"), facts.get("n_nodes")
        labelled = ("每个节点都有标注" if n_lab is None or n_lab == n_nodes
                    else f"标注连接最多的 {n_lab} 个节点")
        return Caption(
            title=what,
            caption=(f"{what}{_paren(_n(facts, 'n_nodes', '个节点'), _n(facts, 'n_edges', '条边', ''))}："
                     f"{'' if one_type else '颜色表示节点类型，'}节点面积与{size}成正比，边宽与{edge}成正比；{labelled}。"),
            method=kind, source="network_edges")
    return make


def _wordcloud_topic(facts: dict) -> Caption:
    t, label = facts.get("topic_id", ""), facts.get("label", "")
    return Caption(f"主题 {t} 关键词云", f"主题 {t}（{label}）相对其余主题最突出的词；字号与对数似然 G² 成正比"
                   "（只列 p < 0.05、用得更多的词）；位置和颜色无含义。", "关键性（G²），概念视图", "topic_cloud_terms")


def _wordcloud_group(by: str):
    other = {"cohort": "其余各期", "section": "其余栏目"}[by]

    def make(facts: dict) -> Caption:
        name = facts.get("label", "")
        return Caption(f"{name} 关键词云", f"{name}相对{other}最突出的词；字号与对数似然 G² 成正比（只列 p < 0.05、"
                       f"用得更多的词）；位置和颜色无含义{_paren(_n(facts, 'n_entries', '条问答'))}。",
                       "关键性（G²），概念视图", "cloud_terms")
    return make


CAPTIONS = {
    "overview_entries_by_section": lambda f: Caption(
        "各栏目问答条数",
        f"每个栏目收录的问答条数{_paren(_n(f, 'n_entries', '条'), _n(f, 'n_sections', '个栏目', ''))}，"
        "按培训期次分色堆叠；条末数字为合计。", "计数（每条问答计一次）", "entries"),
    "overview_entries_by_unit": lambda f: Caption(
        "各课程单元问答条数",
        f"每期每个课程单元及答疑讨论课引出的问答条数{_paren(_n(f, 'n_entries', '条'), _n(f, 'n_units', '个单元', ''))}，"
        "按期次、单元序号排列并按期次着色。", "计数（问答按来源说明归入课程单元）", "units"),
    "topics_top_terms": lambda f: Caption(
        "各主题关键词",
        f"{f.get('k', '各')} 个主题各自权重最高的 8 个词；条长为词在主题中的权重（各面板横轴相同），"
        "面板标题给出归入该主题的问答条数。", _k_method(f) + "；词权重 = 主题中心的 tf-idf 均值", "topic_terms"),
    "topics_section_heatmap": lambda f: Caption(
        "栏目 × 主题",
        f"每个栏目的问答落在各主题的条数{_paren(_n(f, 'n_entries', '条问答'), _n(f, 'k', '个主题', ''))}；"
        "格中数字为条数，空白为 0，颜色越深条数越多。", _k_method(f) + "；每条问答归入权重最高的主题，与编者栏目交叉计数",
        "entry_topics"),
    "topics_entry_map": lambda f: Caption(
        "问答分布图",
        f"每个点是一条问答{_paren(_n(f, 'n_entries', '条'))}，颜色为所属主题；距离近表示用词相近，坐标轴无单位；"
        "圈出并标注每个主题权重最高的问答。",
        "tf-idf → LSA（≤ 20 维）→ t-SNE（余弦距离" + (f"，困惑度 {f['perplexity']:g}" if f.get("perplexity") else "")
        + f"，随机种子 {f.get('seed', 0)}）；主题：" + _k_method(f), "entry_map"),
    "network_instructor_topic": _network("二部图（教员—主题）", "教员 — 主题", "该教员在该主题作答的问答条数",
                                         "问答条数"),
    "network_trainee_topic": _network("二部图（学员—主题）", "学员 — 主题", "该学员在该主题提问的条数", "问答条数"),
    "network_hospital_topic": _network("二部图（医院—主题）", "医院 — 主题", "该医院学员在该主题提问的条数",
                                       "问答条数"),
    "network_trainee_instructor": _network("有向二部图（提问学员 → 作答教员）", "学员 → 教员（谁的问题由谁作答）",
                                           "该学员的问题由该教员作答的条数", "问答条数"),
    "network_instructor_coanswer": _network("共现网络（两位教员在同一条问答中作答即相连；孤立者列于图中）",
                                            "教员共同作答", "两人共同作答的问答条数", "该教员与他人共同作答的条数",
                                            one_type=True),
    "network_term_cooccurrence": lambda f: Caption(
        "关键词共现网络",
        f"至少见于 {f.get('min_entries', 3)} 条问答的名词（去掉“有所”“积极性”等空泛词）之间、同现于至少 "
        f"{f.get('min_both', 2)} 条问答的词对中 Jaccard 系数最高的"
        f"{_n(f, 'n_edges', '对词', ' ') or '若干对词'}{_paren(_n(f, 'n_nodes', '个词'), _n(f, 'n_components', '个连通部分', ''))}"
        "：线宽与 Jaccard 系数成正比，圆面积与用到该词的问答条数成正比，颜色为社群"
        + (f"（{f['n_communities']} 个）" if f.get("n_communities") else "")
        + "；位置由布局算法给出，只有相连与否有含义。",
        "共现网络（KH Coder 式：问答为单位；词数不超过 75 时的最低问答条数；Jaccard 系数取前 60 条边；"
        "社群：贪心模块度划分；布局：Fruchterman–Reingold，固定随机种子）", "tokens"),
    "trends_top_terms_by_cohort": lambda f: Caption(
        "高频词在各期的使用",
        f"各期最常用的{_n(f, 'n_terms', '个', ' ').strip() or ''}词每万词的出现次数（各面板纵轴相同）；"
        "点旁数字为使用该词的问答条数，条数少时的起伏可能来自个别长回答。", "词频（每万词）与文档频次（问答条数）",
        "term_freq_by_cohort"),
    "cohort_trends": lambda f: Caption(
        "随期次上升或下降的词与编码",
        f"经检验随期次上升或下降的词语与编码{_paren(_n(f, 'n_terms', '个'), _n(f, 'n_cohorts', '期', ''))}：点为该期含此"
        "词（或匹配此编码）的问答占比，竖线为 Wilson 95% 区间，点旁为条数/该期问答数（不超过 8 期时）；各面板纵轴相同（0–100%）。",
        "Cochran–Armitage 趋势检验（问答为单位，BH 校正），去掉任一期仍显著、非一人所说、在共有课程单元内成立",
        "cohort_trends"),
    "trends_terms_by_unit": lambda f: Caption(
        "高频词 × 课程单元",
        f"高频词在各课程单元中每万词的出现次数{_paren(_n(f, 'n_units', '个单元'), _n(f, 'n_terms', '个词', ''))}；"
        f"单元按期次、单元序号排列，空白为 0，色阶上限为非零值的第 {int(100 * f.get('q', 0.95))} 百分位（更高值同色）。",
        "词频（每万词）", "term_freq_by_unit"),
    "keyness_by_cohort": lambda f: Caption(
        "各期关键词（对其余各期）",
        f"每期{_paren(_n(f, 'n_groups', '期'))}相对其余各期多用（蓝）和少用（橙红）最突出的词，条长为带符号的 G²（各面板横轴不同），"
        "仅列 p < 0.05 的词；多用词须见于本期至少 2 条问答；词后 n/N 为本期用到该词的问答条数 / 本期问答条数；"
        "双栏版每侧 8 个词，单栏版 5 个。",
        "对数似然 G²（词次层面，描述性，未校正多重比较）", "keyness_by_cohort"),
    "keyness_by_section": lambda f: Caption(
        "各栏目关键词（对其余栏目）",
        f"每个栏目{_paren(_n(f, 'n_groups', '个栏目'))}相对其余栏目多用（蓝）和少用（橙红）最突出的词，面板按合集中的栏目顺序排列，"
        "条长为带符号的 G²（各面板横轴不同），仅列 p < 0.05 的词；多用词须见于本栏目至少 2 条问答；"
        "词后 n/N 为本栏目用到该词的问答条数 / 本栏目问答条数；双栏版每侧 8 个词，单栏版 5 个。",
        "对数似然 G²（词次层面，描述性，未校正多重比较）", "keyness_by_section"),
    "coverage_unit_by_section": lambda f: Caption(
        "课程单元 × 栏目",
        f"每个课程单元（及答疑讨论课）的问答落在各栏目的条数{_paren(_n(f, 'n_entries', '条问答'))}；"
        "格中数字为条数，空白为 0。", "交叉计数", "unit_by_section"),
    "coverage_unit_by_topic": lambda f: Caption(
        "课程单元 × 主题",
        f"每个课程单元的问答落在各主题的条数{_paren(_n(f, 'n_entries', '条问答'), _n(f, 'k', '个主题', ''))}；"
        "格中数字为条数，空白为 0。", _k_method(f) + "；每条问答归入权重最高的主题，与课程单元交叉计数",
        "unit_by_topic"),
    "coverage_questions_per_unit": lambda f: Caption(
        "各课程单元的问答条数",
        f"每期每个课程单元（及答疑讨论课）收录的问答条数{_paren(_n(f, 'n_units', '个单元'))}；"
        "0 表示课程表列出但无问答入册（只在用 --curriculum 提供课程表时出现；问答合集是编者的选辑）。",
        "计数（课程表 × 问答来源说明）", "curriculum"),
}

_GROUP = {"section": "栏目", "sections": "栏目", "cohort": "期次", "cohorts": "期次", "unit": "课程单元",
          "topic": "主题"}


def _codes_heatmap(facts: dict, by: str) -> Caption:
    name = _GROUP.get(by, by)
    return Caption(f"编码规则 × {name}",
                   f"各能力领域编码在每个{name}问答中出现的比例（括号内为条数）；颜色为调整标准化残差：红色多于其他{name}，"
                   f"蓝色少于；方框标出 |残差| > 1.96{_paren(_n(facts, 'n_entries', '条问答'))}。",
                   "编码规则（AND/OR/NOT，匹配词语与概念）；Haberman 调整标准化残差", "code_crosstab")


def _ca(facts: dict, what: str, by: str) -> Caption:
    name = _GROUP.get(by, by)
    if what == "terms":
        rows = (f"对平面贡献最大的 30 个概念（单栏版 20 个；取自最常用、至少 {facts.get('min_docs', 3)} 条问答使用的 "
                f"{facts.get('n_concepts', 60)} 个概念）")
        title = f"词语与{name}的对应分析"
    else:
        rows, title = "各能力领域编码", f"编码与{name}的对应分析"
    return Caption(title, f"{rows}（圆）与各{name}（方块）的对称图，两轴比例尺相同：距离相近的点在各{name}间的使用分布"
                   "相似；圆面积与质量（占全部次数的比例）成正比；坐标轴括号内为该维解释的惯量比例。",
                   "对应分析（SVD，主坐标，对称图）；贡献 = 质量 × 坐标² / 主惯量（第 1、2 维合计），概念视图",
                   "ca_coordinates")


def _comparison_cloud(what: str, other: str, source: str):
    def make(f: dict) -> Caption:
        n_groups, n_words = f.get("n_groups"), f.get("n_words")
        count = f"{n_groups} 组共 {n_words} 个词" if n_groups and n_words else ""
        return Caption(
            f"各{what}关键词云",
            f"每个面板是一个{what}相对{other}最突出的词{_paren(count)}：只列 p < 0.05、本组多用且至少见于本组 2 条问答的词，"
            "字号随 G² 增大（最小 6 pt），双栏版每组至多 20 个、单栏版至多 10 个，放不下的词略去；面板标题给出本组问答条数，"
            "词的位置和颜色无含义。数据文件列出每个词的 G²、次数和用到它的问答条数。",
            "关键性（对数似然 G²，概念视图）；布局：wordcloud（只横排，词间留白）", source)
    return make


def _matrix(what: str):
    def make(f: dict) -> Caption:
        n, k, pairs = f.get("n_instructors"), f.get("n_groups"), f.get("n_answered")
        return Caption(
            f"教员 × {what}",
            f"每行一位作答教员{_paren(_n(f, 'n_instructors', '位'))}，每列一个{what}{_paren(_n(f, 'n_groups', '个', ''))}："
            f"格中数字为该教员在该{what}作答的问答条数，空白为 0；右侧条为该教员作答的问答条数，上方条为该{what}的作答人次"
            f"（一条问答有两位教员作答计两次{'，合计 ' + str(pairs) + ' 人次' if pairs else ''}）。",
            "计数（一位教员在一条问答中作答计一次）", "turns")
    return make


CAPTIONS.update({
    "matrix_instructor_topic": _matrix("主题"),
    "matrix_instructor_section": _matrix("栏目"),
    "matrix_instructor_cohort": _matrix("期次"),
    "wordcloud_cohorts": _comparison_cloud("期", "其余各期", "cloud_terms"),
    "wordcloud_sections": _comparison_cloud("栏目", "其余栏目", "cloud_terms"),
    "topics_wordcloud": _comparison_cloud("主题", "其余主题", "topic_cloud_terms"),
})

def _code_shares(f: dict) -> Caption:
    """``rising`` / ``falling``: codes with BH q < 0.05 as "name（q = …，共有单元内 p = …）" strings (computed from
    the plotted table)."""
    moves = [f"{w}：{'、'.join(f[key])}" for key, w in (("rising", "上升"), ("falling", "下降")) if f.get(key)]
    found = "；".join(moves) if moves else "没有编码的占比随期次显著变化（校正后 q < 0.05）"
    return Caption(
        "各能力领域编码在各期的占比",
        f"每行一个编码{_paren(_n(f, 'n_codes', '个'))}，每点为一期问答中匹配该编码的比例{_paren(_n(f, 'n_cohorts', '期', ''))}，"
        f"线为 Wilson 95% 区间，右侧为条数/该期问答数；随期次{found}。趋势按问答计，与各期所来自的课程单元混杂，"
        "共有单元内的检验见数据文件 within_units_p。",
        "Wilson 得分区间（scipy binomtest）；Cochran–Armitage 趋势检验（期次为得分，Benjamini–Hochberg 校正）；"
        "共有课程单元内为 Mantel 分层趋势检验", "code_share_by_cohort")


def _xray(f: dict) -> Caption:
    return Caption(
        "关键词在合集中的分布（X 光图）",
        f"各栏目 G² 最高的 {f.get('per_group', 2)} 个多用词{_paren(_n(f, 'n_terms', '个词'))}在全部"
        f"{_n(f, 'n_entries', '条问答', ' ') or '问答'}中的位置：横轴为问答在合集中的序号，每条竖线是一条用到该词的问答，"
        "蓝线在该词为关键词的栏目内、灰线在其他栏目；"
        + (f"{f['n_inside']} / {f['n_ticks']} 条竖线落在该词的栏目内。" if f.get("n_ticks") else "")
        + "选词与“各栏目关键词”图相同（p < 0.05、至少见于本栏目 2 条问答；一词只归 G² 最高的栏目）。",
        "quanteda textplot_xray 式分散图；关键性：对数似然 G²（概念视图）", "keyness_by_section")


def _dendrogram(f: dict) -> Caption:
    pure = (f"多于一个词的 {f['n_multi']} 簇中有 {f['n_pure']} 簇的词全部是同一栏目的关键词"
            if f.get("n_pure") is not None and f.get("n_multi") else "")
    return Caption(
        "关键词聚类树",
        f"各栏目 G² 最高的至多 {f.get('per_group', 5)} 个多用词（p < 0.05，至少见于本栏目 3 条问答；"
        f"一词只归 G² 最高的栏目{_n(f, 'n_terms', '个词', '，共 ')}）"
        f"按共同出现的问答聚类；树切成 {f.get('n_clusters', '若干')} 簇（虚线；颜色 = 多词簇，深灰 = 单词簇）"
        + (f"，{pure}" if pure else "") + "；括号内为该词为关键词的栏目与用到该词的问答条数。",
        "层次聚类（Jaccard 距离 = 1 − 共同问答数 / 用到任一词的问答数，平均连接，scipy）；"
        "切成与栏目数相同的簇数（maxclust）", "keyness_by_section")


CAPTIONS.update({
    "codes_share_by_cohort": _code_shares,
    "keyness_xray": _xray,
    "keyness_dendrogram": _dendrogram,
})

PATTERNS = [
    (re.compile(r"topics_wordcloud_\d+$"), _wordcloud_topic),
    (re.compile(r"codes_heatmap_(section|cohort|unit|topic)$"), None),
    (re.compile(r"ca_(terms|codes)_(sections|cohorts)$"), None),
    (re.compile(r"wordcloud_cohort_\d+$"), _wordcloud_group("cohort")),
    (re.compile(r"wordcloud_section_\d+$"), _wordcloud_group("section")),
]


def caption_for(stem: str, **facts) -> Caption:
    """Title, caption, method and source table of the figure ``stem``; raises KeyError for an unknown stem."""
    if stem in CAPTIONS:
        return CAPTIONS[stem](facts)
    for pattern, make in PATTERNS:
        m = pattern.match(stem)
        if m:
            if stem.startswith("codes_heatmap_"):
                return _codes_heatmap(facts, m.group(1))
            if stem.startswith("ca_"):
                return _ca(facts, m.group(1), m.group(2))
            return make(facts)
    raise KeyError(f"no caption for figure {stem!r}")
