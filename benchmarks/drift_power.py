"""Power and false alarms of the drift battery on real conversations (../shared/data).

Two designs, both with one response per prompt inside every sample:
- `disjoint` (faithful): each trial splits the benign prompts in two; the reference takes one
  response for each prompt of one half, windows take prompts of the other half only. Reference
  and windows never share a prompt, as with real traffic. The data allow about 290 reference
  and 240 window conversations, far below the 2,000 target.
- `bootstrap` (resampled, labelled): the benign pool (one row per prompt and response) is the
  population; the reference (4,000) and windows (2,000) are drawn from it with replacement, so
  they are exchangeable under no drift, but share prompts: power here is optimistic compared
  with fresh prompts. 20 references x 10 windows per case.
Cases: `null` (benign only), `hard` (10% AlpacaEval food and cooking prompts, a topic absent
from the reference: same models, style and reply lengths), `easy` (10% XSTest: topic, style and
length move). An alarm is the overall verdict after Holm correction at the nominal level.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.drift_data import Pool
from detectors.baseline import lexicon_score
from detectors.drift.build import build_reference
from detectors.drift.calibrate import calibrate
from detectors.drift.reference import ReferenceProfile
from detectors.drift.window import WindowData, evaluate_window
from detectors.schema import ScoreRecord, SourcedConversation, make_record

SHIFT_SHARE = 0.10
CASES = ("null", "hard", "easy")
SHIFT_POOL = {"hard": "topic", "easy": "xstest"}
LEXICON = "wrapper_lexicon"


def lexicon_records(pool: Pool) -> list[ScoreRecord]:
    """The keyword baseline's record per conversation: the behaviour tests need a detector, this one is free."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return [
        make_record(
            SourcedConversation(conversation=c),
            turn=len(c.messages) - 1,
            detector=LEXICON,
            detector_version="1",
            score=lexicon_score(c.messages[-1].content),
            threshold=0.5,
            details={},
            scored_at=now,
        )
        for c in pool.conversations
    ]


class Sampler:
    """Rows of the pools, with their vectors, lengths and lexicon records, picked by index."""

    def __init__(self, pools: dict[str, Pool]) -> None:
        self.pools = pools
        self.lengths = {k: p.reply_lengths() for k, p in pools.items()}
        self.records = {k: lexicon_records(p) for k, p in pools.items()}

    def window(self, parts: list[tuple[str, np.ndarray]], tag: str) -> WindowData:
        ids, vectors, lengths, records = [], [], [], []
        for name, rows in parts:
            pool = self.pools[name]
            for k, row in enumerate(rows):
                cid = f"{tag}-{name}-{k}"
                ids.append(cid)
                records.append(self.records[name][row].model_copy(update={"conversation_id": cid}))
            vectors.append(pool.vectors[rows])  # type: ignore[index]
            lengths.append(self.lengths[name][rows])
        return WindowData(ids, ["v1"] * len(ids), np.concatenate(vectors), [], np.concatenate(lengths), records)

    def reference(self, rows: np.ndarray, seed: int, n_permutations: int) -> ReferenceProfile:
        pool = self.pools["benign"]
        assert pool.vectors is not None, "embed_pools first"
        labels = [pool.conversations[r].messages[0].content for r in rows]
        return build_reference(
            pool.vectors[rows],
            labels,
            self.lengths["benign"][rows],
            np.zeros(len(rows)),
            [self.records["benign"][r] for r in rows],
            seed=seed,
            n_permutations=n_permutations,
            min_window=100,
        )


def one_per_prompt(pool: Pool, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random row (response) for each of the given prompt groups."""
    rows_by_group: dict[int, list[int]] = {}
    for row, group in enumerate(pool.groups):
        rows_by_group.setdefault(int(group), []).append(row)
    return np.asarray([rng.choice(rows_by_group[int(g)]) for g in groups])


def disjoint_trial(sampler: Sampler, case: str, trial: int, n_permutations: int) -> dict[str, Any]:
    rng = np.random.default_rng(10_000 + trial)
    benign = sampler.pools["benign"]
    groups = rng.permutation(benign.n_groups)
    half = len(groups) // 2
    reference = sampler.reference(one_per_prompt(benign, groups[:half], rng), trial, n_permutations)
    n_shift = sampler.pools["topic"].n_groups  # all 24 held-out prompts: 10% of a 240 window
    window_n = int(round(n_shift / SHIFT_SHARE))
    if case == "null":
        parts = [("benign", one_per_prompt(benign, groups[half:][:window_n], rng))]
    else:
        shift = sampler.pools[SHIFT_POOL[case]]
        shift_groups = rng.choice(shift.n_groups, n_shift, replace=False)
        parts = [
            ("benign", one_per_prompt(benign, groups[half:][: window_n - n_shift], rng)),
            (SHIFT_POOL[case], one_per_prompt(shift, shift_groups, rng)),
        ]
    return _evaluate(reference, sampler.window(parts, f"t{trial}"), trial)


def bootstrap_trials(
    sampler: Sampler,
    case: str,
    n_references: int,
    per_reference: int,
    n_permutations: int,
    reference_n: int = 4000,
    window_m: int = 2000,
) -> list[dict[str, Any]]:
    out = []
    benign_n = len(sampler.pools["benign"].conversations)
    for r in range(n_references):
        rng = np.random.default_rng(20_000 + r)
        reference = sampler.reference(rng.integers(0, benign_n, reference_n), r, n_permutations)
        for w in range(per_reference):
            n_shift = 0 if case == "null" else int(SHIFT_SHARE * window_m)
            parts = [("benign", rng.integers(0, benign_n, window_m - n_shift))]
            if n_shift:
                shift_n = len(sampler.pools[SHIFT_POOL[case]].conversations)
                parts.append((SHIFT_POOL[case], rng.integers(0, shift_n, n_shift)))
            out.append(_evaluate(reference, sampler.window(parts, f"r{r}w{w}"), r * per_reference + w))
    return out


def _evaluate(reference: ReferenceProfile, window: WindowData, seed: int) -> dict[str, Any]:
    start = time.perf_counter()
    events = evaluate_window(reference, window, window_id="bench", seed=seed)
    elapsed = time.perf_counter() - start
    return {
        "alarm": next(e for e in events if e.test == "overall").drifted,
        "tests": {
            e.test: {"p": e.p_value, "p_adj": e.p_adjusted, "effect": e.effect_size, "drifted": e.drifted}
            for e in events
            if e.test != "overall"
        },
        "n_reference": reference.manifest.n_sample,
        "n_window": window.n,
        "seconds": elapsed,
    }


def summarise(trials: list[dict[str, Any]]) -> dict[str, Any]:
    alarms = np.asarray([t["alarm"] for t in trials])
    tests = sorted({name for t in trials for name in t["tests"]})
    return {
        "windows": len(trials),
        "alarm_rate": float(alarms.mean()),
        "alarm_rate_ci95": _wilson(int(alarms.sum()), len(alarms)),
        "per_test_alarm_rate": {
            n: float(np.mean([t["tests"][n]["drifted"] for t in trials if n in t["tests"]])) for n in tests
        },
        "median_effect": {
            n: float(np.median([t["tests"][n]["effect"] for t in trials if n in t["tests"]])) for n in tests
        },
        "n_reference": int(np.median([t["n_reference"] for t in trials])),
        "n_window": int(np.median([t["n_window"] for t in trials])),
        "median_window_seconds": float(np.median([t["seconds"] for t in trials])),
    }


def _wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    if n == 0:
        return [0.0, 1.0]
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [float(max(0.0, centre - half)), float(min(1.0, centre + half))]


def run_power(
    pools: dict[str, Pool],
    trials: int,
    n_permutations: int,
    null_trials: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """`null_trials` (default `trials`) sets the number of null windows of the cheap disjoint design."""
    sampler = Sampler(pools)
    results: dict[str, Any] = {"disjoint": {}, "bootstrap": {}}
    for case in CASES:
        count = (null_trials or trials) if case == "null" else trials
        runs = [disjoint_trial(sampler, case, t, n_permutations) for t in range(count)]
        results["disjoint"][case] = summarise(runs)
        log(f"  disjoint {case}: alarm rate {results['disjoint'][case]['alarm_rate']:.3f} over {count}")
    n_refs = max(1, trials // 10)
    for case in CASES:
        runs = bootstrap_trials(sampler, case, n_refs, 10, n_permutations)
        results["bootstrap"][case] = summarise(runs)
        log(f"  bootstrap {case}: alarm rate {results['bootstrap'][case]['alarm_rate']:.3f} over {len(runs)}")
    rng = np.random.default_rng(1)
    reference = sampler.reference(rng.integers(0, len(pools["benign"].conversations), 4000), 0, n_permutations)
    tuned = calibrate(reference, window_size=2000, n_splits=100, seed=0)
    results["calibration_example"] = {"alpha": tuned.manifest.alpha, **tuned.manifest.calibration}
    results["data"] = {
        k: {
            "rows": len(p.conversations),
            "prompts": p.n_groups,
            "reply_chars_mean": float(sampler.lengths[k].mean()),
            "prompt_chars_mean": float(np.mean([len(c.messages[0].content) for c in p.conversations])),
        }
        for k, p in pools.items()
    }
    return results
