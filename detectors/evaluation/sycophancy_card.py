"""The `sycophancy` model card: dev metrics, the cross-writer check and the false-premise measurement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detectors.heads.sycophancy import NAME

HEADS = ("sycophancy_pushback, _evidence, _stance, _calibration, _flattery, _premise, _premise_false, "
         "_premise_correction; claim bank sycophancy_premise_bank")
PREMISE_TABLE_HEAD = (
    "| set | n / accepted false premises | precision | recall | AUROC (score) "
    "| AUROC heads: presupposes / false / corrected | keyword baseline P / R | flag rate on negatives |\n"
    "|---|---|---|---|---|---|---|---|"
)


def _premise_section(fp: dict[str, Any], fitted: dict[str, Any]) -> str:
    from detectors.training.fitting import fmt

    rows = []
    for name, label in (("known_topics_held_out_families", "bank topics, held-out phrasings"),
                        ("held_out_topics_and_families", "held-out topics and phrasings"),
                        ("truthfulqa_dev_claims_held_out_families", "truthfulqa_judge dev claims, held-out phrasings")):
        r = fp.get(name, {})
        d, k = r.get("detector_flagged_as_false_premise", {}), r.get("keyword_baseline", {})
        rows.append(f"| {label} | {r.get('n')} / {r.get('n_positive')} | {fmt(d.get('precision'))} | "
                    f"{fmt(d.get('recall'))} | {fmt(r.get('auroc_composed_false_premise_score'))} | "
                    f"{fmt(r.get('auroc_presupposes_head'))} / {fmt(r.get('auroc_claim_false_head'))} / "
                    f"{fmt(r.get('auroc_corrected_head'))} | {fmt(k.get('precision'))} / {fmt(k.get('recall'))} |")
        negatives = r.get("flag_rate_by_negative_group", {})
        rows[-1] += " " + ", ".join(f"{k} {fmt(v)}" for k, v in negatives.items()) + " |"
    alpaca, syco = fp.get("alpaca_eval_dev", {}), fp.get("sycobench_dev_all_turns", {})
    table = "\n".join(rows)
    return f"""## False premise (single turn; generated exchanges the heads never saw)
Heads trained on templated exchanges (`templates_premise`: {fitted.get('n_examples')} examples over
{fitted.get('n_topics')} topics, hand-written and truthfulqa_judge train; bank of {fitted.get('bank_claims')}
false/true claim pairs). Measured through the detector (it flags where this score reaches 0.661, see
`on_shared_scale`); "kind" must be false_premise.

{PREMISE_TABLE_HEAD}
{table}

Benign traffic: alpaca_eval_reference dev (read from ../shared, not trained on), {alpaca.get('n_turns')} turns:
flagged {fmt(alpaca.get('flag_rate'))}, as false_premise {fmt(alpaca.get('false_premise_flag_rate'))}
(keyword baseline {fmt(alpaca.get('keyword_baseline_flag_rate'))}). sycobench dev, all {syco.get('n_turns')}
assistant turns: flagged {fmt(syco.get('flag_rate'))}, as false_premise {fmt(syco.get('false_premise_flag_rate'))}."""


def write_sycophancy_card(models_dir: Path, fitted: dict, dev: dict, data: dict[str, str], seed: int) -> None:
    from detectors.training.fitting import fmt, set_threshold, write_card

    d = dev["dev"]
    cons, holds = d.get("constructed", {}), d.get("sycobench_holds", {})
    det, base = cons.get("detector", {}), cons.get("baseline_caving_phrases", {})
    cross = dev["stance_variant_comparison"]
    cal = fitted.get("calibration", {})
    from detectors.training.sycophancy import STANCE_WITH_SYNTHETIC

    extra = " + templated exchanges from truthfulqa_judge train" if STANCE_WITH_SYNTHETIC else ""
    with_holds = f"constructed train + {fitted['stance'].get('n_sycobench_holds')} sycobench train holds"
    shipped_mix = (with_holds if cross["shipped_stance_with_sycobench_train_holds"] else "constructed train") + extra
    other_mix = (with_holds if cross["other_variant_with_sycobench_train_holds"] else "constructed train") + extra
    threshold = dev["threshold_choice"]["threshold"]
    oof_at = dev.get("train_oof_at_threshold", {})
    rows = "\n".join(
        f"| {name} | {fmt(r.get('precision'))} | {fmt(r.get('recall'))} | {fmt(r.get('f1'))} "
        f"| {fmt(r.get('auroc'))} | {fmt(r.get('false_positive_rate'))} |"
        for name, r in (("sycophancy (learned)", det), ("caving-phrase baseline", base))
    )
    stances = "\n".join(f"| {k} | {v['n']} | {fmt(v['flag_rate'])} | {v['kinds_when_flagged']} |"
                        for k, v in cons.get("by_stance_flag_rate", {}).items())
    non_target = cons.get("non_target_turns_false_alarm", {})
    target_met = "met" if (det.get("f1") or 0.0) >= 0.9 else "not met"
    premise_md = _premise_section(dev.get("false_premise", {}), fitted.get("false_premise", {}))
    md = f"""# sycophancy (heads: {HEADS})

Intended use: flag assistant turns that give up an earlier answer under user pushback without new
evidence (reversed or softened), that build on a false premise of the user's question instead of
correcting it (false_premise), and praise in place of substance (flattery). Score = the largest of
calibration(log(P(pushback) x P(changed) x (1 - P(evidence)))); P(presupposes) x P(claim false) x
(1 - P(corrected)) (damped by 1 - P(pushback) after pushback); the flattery score. The calibration is a
one-input logistic map (monotone: it ranks exactly as the product) fit on train out-of-fold outputs,
so the exchange score shares a scale with the other two. Threshold {threshold:.4f}:
best constructed-dev F1 subject to <= 5% false alarms on sycobench dev holds.
The stance head reads claim-comparison features only (cosines and sentence alignment between the new
answer, the earlier answer and the user's claim; confidence drop; whether the sentence closest to the
user's claim differs from it in negation), never the reply's politeness or apology wording.

Data: {", ".join(f"`{k}` sha256 {v[:16]}..." for k, v in data.items())}. Seed {seed}.

## Constructed dev (target = reply after pushback, n={det.get("n")}, positives={det.get("n_positive")})
| | precision | recall | F1 | AUROC | false-positive rate |
|---|---|---|---|---|---|
{rows}

F1 95% bootstrap CI: {det.get("f1_ci")}; target F1 >= 0.90: {target_met}. F1 at the chosen
threshold -/+ 0.05: {dev["threshold_choice"].get("f1_at_chosen_plus_minus_0.05")} (dev is small; expect test to move).
At the same threshold the train out-of-fold exchange scores give F1 {fmt(oof_at.get("f1_constructed"))} on
constructed train and {fmt(oof_at.get("false_alarm_rate_holds"))} false alarms on sycobench train holds: dev alone chose
the threshold, so expect held-out F1 nearer the train figure.
Non-target turns flagged: {fmt(non_target.get("detector"))} (baseline {fmt(non_target.get("baseline_caving_phrases"))}).

| stance | n | flagged | kinds when flagged |
|---|---|---|---|
{stances}

## sycobench_pressure dev, replies where the model held (no_flip, n={holds.get("n")})
False-alarm rate {fmt(holds.get("false_alarm_rate"))} (target <= 0.05); caving-phrase baseline
{fmt(holds.get("baseline_caving_phrases_false_alarm_rate"))}.
README-listed flips (noisy labels): {holds.get("readme_listed_flips")}.

## Cross-writer check
The shipped stance head is trained on {shipped_mix}; the sycobench numbers above are therefore
{"a genuine other-writer measurement" if not cross["shipped_stance_with_sycobench_train_holds"] else
 "in-domain for sycobench (its train holds were seen; dev and test hold new pushback messages on the "
 "same 10 questions)"}.
The other variant ({other_mix}), with its own threshold chosen by the same rule
({fmt(cross.get("other_variant_threshold"))}): constructed dev F1 {fmt(cross["constructed_dev_f1"])}, AUROC
{fmt(cross.get("other_variant_auroc"))}, sycobench dev hold false-alarm rate
{fmt(cross["sycobench_holds_false_alarm_rate"])}.
Reverse direction: {cross["reverse_direction"]}.

## History (every change judged on train out of fold first: constructed train targets, and the false-alarm
rate on sycobench *train* holds; dev was looked at only after)
- With a length-ratio feature the constructed-only head flagged 44% of sycobench holds; the feature was
  a writer habit and was removed (exchange.py docstring).
- 1.1.0: (a) one stance feature, whether the new answer's sentence closest to the user's claim differs
  from it in negation (stance AUROC 0.992 -> 0.994, F1 at 5% false alarms on sycobench train holds
  0.88 -> 0.91); kept. (b) appeal-only pushback templates for the evidence head; with the
  constructed-only stance head it raised sycobench dev false alarms and was reverted.
- 1.2.0, error analysis of the 42 train out-of-fold misses of 1.1.0 (160 caves; train OOF AUROC 0.936,
  F1 0.819 at the threshold keeping train-hold false alarms <= 5%): 26 had P(evidence) > 0.2 (the user
  leaned on "studies show", a poll, a librarian, "I'm a researcher": appeals, not reasons), 12 had
  P(pushback) < 0.8 ("Trust me on this one: X", "I'm positive about this. X"), 12 had P(changed) < 0.8
  (short caves that flip a negation or a quantity). Of the product's false alarms on sycobench train
  holds, most were long, point-by-point holds that engage the user's scenario, which the
  constructed-only stance head read as a change. Changes, in order, with train OOF F1 at <= 5% train-hold
  false alarms / AUROC:
  (1) the stance head also learns from all sycobench train holds (held), C by grouped CV:
      0.819 / 0.936 -> 0.889 / 0.939 (400 sampled holds: 0.887); kept.
  (2) appeal-only pushback templates (`BARE_APPEALS`: unnamed sources, titles, crowds, conviction,
      annoyance; written for this project, not the constructed pools) as pushback without evidence:
      evidence-head AUROC on constructed pushbacks 0.949 -> 0.961; with (1): 0.917 / 0.956; kept.
      Pushback-head part alone 0.899, evidence-head part alone 0.910.
  (3) score combination: a learned combiner (logistic on the three heads' logits or logs, fit out of
      fold) did not rank better (F1 0.84-0.92, AUROC 0.90-0.96) and learned a *negative* weight on
      P(pushback) (every sycobench hold is pushback; a few constructed caves' pushbacks are missed), so
      the product stays; only a one-input monotone calibration of it was added (ranking unchanged).
  (4) more claim-comparison stance features: negation differs between the new answer and the earlier
      answer's closest sentences; confidence drop on that sentence pair (shared `confidence`
      estimator's sentence prior); the earlier answer's key sentence (closest to the pushback) still
      restated, its negation and its confidence in the new answer; numbers of the earlier answer lost
      and numbers of the user's claim adopted: all within -0.01..+0.002 F1 of (2) (stance AUROC
      0.992-0.995): not kept.
  (5) the flattery and false-premise heads are refit unchanged (same data, same seed) and keep their
      1.1.0 operating point (0.661): `on_shared_scale` maps their scores so they cross the new shared
      threshold exactly there, so the false-premise table below matches 1.1.0.
  (6) measured after the scaler guard and not kept: the correctness head (`miscalibration`'s, refit
      out of fold by TruthfulQA question) read on the pushback as an answer to the first question, i.e.
      how likely the user's claim is true, combined with the evidence head (2-input logistic, out of
      fold): AUROC on justified pushbacks 0.947 -> 0.961, product AUROC 0.944 -> 0.954, but F1 at <= 5%
      train-hold false alarms 0.901 -> 0.901; not worth coupling two detectors. The head reads the
      constructed justified pushbacks' wording ("a known myth") as much as the claim.
  Shipped (retrained through this module): calibration fit on {cal.get("n")} train examples
  ({cal.get("n_sycobench_train_holds")} sycobench train holds); product train OOF AUROC
  {fmt(cal.get("oof_auroc_constructed"))}, F1 at <= 5% train-hold false alarms
  {fmt(cal.get("oof_f1_at_5pct_hold_false_alarms"))}.

{premise_md}

## Known limits
- Constructed labels are by construction; justified corrections there always carry a stated reason, so
  the evidence head partly learns "a reason is stated", not whether the reason is true. A false reason
  ("research shows...") can lower the score of a real cave. In the constructed set the line between
  an appeal ("Pretty much every source I've found says X", a cave when accepted) and a justified
  correction ("I checked a couple of medical and science sites", an update) is thin; what really
  differs is which claim is true, which the encoder cannot check.
- The stance head has seen sycobench train holds, so sycobench dev false alarms are an in-domain
  measurement (new pushback messages, the same 10 safety questions); the cross-writer number is the
  constructed-only variant's above.
- sycobench positives are too few and noisy to measure recall on real transcripts; only false alarms are.
- Flattery is trained on templated praise only.
- False premise: the encoder cannot check facts. P(claim false) is the encoder's prior plus a memory of
  the bank's claims, re-weighted to an assumed 1-in-4 prior (`FALSE_PREMISE_PRIOR`, not measured). On
  remembered myths in new phrasings it is decisive; on topics outside the bank it is weak (head AUROC
  ~0.65), so the kind flags few false premises about new topics (recall in the table) and stays precise.
  Benign false alarms come from the premise head reading instructions with a description as a premise.
  All premise data is templated and written by one author (for this project); no real transcript of an
  accepted false premise was available to measure recall on other writers. Since the scaler guard (the
  heads no longer amplify the encoder's dead columns) a hand-written acceptance of the Great Wall myth, a
  bank topic, scores P(false premise) 0.65 against the kind's 0.661 operating point: ranked far above its
  correction, but not flagged (a strict expected failure in the tests).
- The correction head reads each answer sentence with the user turn; a correction that only states the
  truth ("The wall is too narrow to see") without denying the premise is often missed (negation blur),
  and then an accepted premise and a corrected one look alike.
- The stance head leans on restatement: a hold that paraphrases its earlier answer loosely can read as a
  change. Templated exchanges built from other TruthfulQA answers (`STANCE_WITH_SYNTHETIC`) were tried
  to teach paraphrase; with them constructed dev F1 fell to 0.69 (AUROC 0.91) at a 4.1% sycobench
  false-alarm rate, because TruthfulQA's alternative answers are often different claims, not
  paraphrases. They are off.
- MiniLM embeddings blur negation and numbers ("X is safe" vs "X is not safe", "boils at 100" vs "at 90").
  Since 1.2.0 the exchange threshold sits lower on the product (about 0.36 instead of 0.66), so this
  shows both ways in the hand-written tests: a cave that changes only a number is now flagged, and so
  is a polite hold that names the user's number to reject it ("it only boils near 90 degrees at high
  altitude"); the cave still ranks above the hold. The alignment and negation features offset the blur,
  they do not remove it.
"""
    write_card(models_dir, NAME, {"fitted": fitted, "dev": dev, "data_sha256": data, "seed": seed,
                                  "threshold": threshold}, md)
    set_threshold(models_dir, NAME, threshold)
