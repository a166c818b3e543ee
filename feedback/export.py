"""Accepted candidates out as a versioned, verifiable TRL batch.

A batch folder holds `train.jsonl` and `train.parquet` (TRL conversational preference rows),
`eval.jsonl`/`eval.parquet` when a split is asked for, `kto.jsonl` (unpaired rows, label false),
`provenance.jsonl` (row -> candidate, detector, conversation, source offset) and `manifest.json`.
Same inputs give the same bytes: rows are sorted, no file holds a wall-clock time, and the batch
id is a digest of the files. The split is by a seeded hash of the conversation id, so a
conversation never lands in both train and eval. Text is PII-scrubbed before it is written. A local
folder is built under a temporary name and renamed into place; a failed export leaves nothing. An
object-store folder (`s3://...`) has no rename: each file is one PUT and `manifest.json` goes last,
so a folder without a manifest is an unfinished batch (the dashboard lists batches by their manifest).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from feedback.candidates import Candidate, ChatTurn
from feedback.errors import BatchCorruptError, NothingToExportError, OutputExistsError
from feedback.lakefs import LakeFS, LocalLakeFS
from feedback.manifest import EXPORT_SCHEMA_VERSION, FileEntry, Manifest, OffsetRange, manifest_bytes
from feedback.pii import ChainScrubber, Scrubber, default_scrubber
from feedback.reviews import CandidateState
from feedback.store import CandidateStore, load_states
from feedback.trl_format import preference_row, schema_problems, unpaired_row

_MESSAGES = pl.List(pl.Struct({"role": pl.String(), "content": pl.String()}))


def select_accepted(
    candidates: Sequence[Candidate],
    states: dict[str, CandidateState],
    since: datetime | None = None,
    until: datetime | None = None,
    detectors: Sequence[str] | None = None,
) -> list[tuple[Candidate, CandidateState]]:
    """Accepted candidates decided in [since, until), in export order (conversation, turn, detector, id)."""
    out = []
    for c in candidates:
        state = states.get(c.candidate_id)
        if state is None or state.status != "accepted" or state.decided_at is None:
            continue
        if (since and state.decided_at < since) or (until and state.decided_at >= until):
            continue
        if detectors is not None and c.detector not in detectors:
            continue
        out.append((c, state))
    return sorted(out, key=lambda cs: (cs[0].conversation_id, cs[0].turn, cs[0].detector, cs[0].candidate_id))


def in_eval(conversation_id: str, split_eval: float | None, seed: int) -> bool:
    if not split_eval:
        return False
    digest = hashlib.sha256(f"{seed}\x1f{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < split_eval


def export_batch(
    lake: Path | str | LakeFS,
    out_dir: Path | str,
    since: datetime | None = None,
    until: datetime | None = None,
    split_eval: float | None = None,
    seed: int = 0,
    *,
    detectors: Sequence[str] | None = None,
    scrubber: Scrubber | None = None,
) -> Manifest:
    """Export the candidates accepted in [since, until) as a batch folder at `out_dir`."""
    if split_eval is not None and not 0.0 < split_eval < 1.0:
        raise ValueError("split_eval must be in (0, 1)")
    pairs = load_states(CandidateStore(lake))
    states = {c.candidate_id: s for c, s in pairs}
    selected = select_accepted([c for c, _ in pairs], states, since, until, detectors)
    filters = {
        "status": "accepted",
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "detectors": sorted(detectors) if detectors is not None else None,
        "split_eval": split_eval,
        "seed": seed,
    }
    return write_batch(selected, out_dir, filters, scrubber)


def write_batch(
    selected: Sequence[tuple[Candidate, CandidateState]],
    out_dir: Path | str,
    filters: dict[str, Any],
    scrubber: Scrubber | None = None,
) -> Manifest:
    """Write the batch folder for `selected` (see the module docstring). Raises before writing anything
    when there is nothing to export or `out_dir` is a non-empty folder."""
    out = LakeFS.from_location(out_dir)
    if not selected:
        raise NothingToExportError(f"no accepted candidate matches {filters}")
    if _occupied(out):
        raise OutputExistsError(f"{out.url()} exists and is not empty")
    scrub = _Scrub(scrubber if scrubber is not None else default_scrubber())
    split = filters.get("split_eval")
    tables: dict[str, list[dict[str, Any]]] = {"train": [], "kto": []}
    if split:
        tables["eval"] = []
    provenance: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for cand, state in selected:
        prompt, rejected = scrub.turns(cand.prompt), scrub.turns(cand.rejected)
        if state.kind == "pair" and state.chosen:
            table = "eval" if in_eval(cand.conversation_id, split, filters.get("seed", 0)) else "train"
            row = preference_row(prompt, scrub.turns(state.chosen), rejected)
        else:
            table, row = "kto", unpaired_row(prompt, rejected)
        problems = schema_problems(row, "preference" if table != "kto" else "unpaired")
        if problems:
            raise BatchCorruptError(f"candidate {cand.candidate_id} would write a bad row: {problems}")
        key = json.dumps([table, row], ensure_ascii=False)
        if key in seen:  # two detectors on one turn with the same chosen: one training row, both credited
            provenance[seen[key]]["also_candidates"].append(cand.candidate_id)
            continue
        seen[key] = len(provenance)
        tables[table].append(row)
        provenance.append(_provenance(table, len(tables[table]) - 1, cand, state))

    contents: dict[str, tuple[bytes, int]] = {}
    for name, rows in tables.items():
        contents[f"{name}.jsonl"] = (_jsonl(rows), len(rows))
        if name != "kto":
            contents[f"{name}.parquet"] = (_parquet(rows), len(rows))
    contents["provenance.jsonl"] = (_jsonl(provenance), len(provenance))
    files = {n: FileEntry(sha256=hashlib.sha256(b).hexdigest(), bytes=len(b), rows=r) for n, (b, r) in contents.items()}
    manifest = _manifest(selected, tables, files, filters, scrub)
    contents["manifest.json"] = (manifest_bytes(manifest), 1)
    _write_folder(out, {n: b for n, (b, _) in contents.items()})
    return manifest


class _Scrub:
    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber
        self.counts: dict[str, int] = {}

    def turns(self, turns: list[ChatTurn]) -> list[ChatTurn]:
        return [ChatTurn(role=t.role, content=self.text(t.content)) for t in turns]

    def text(self, text: str) -> str:
        if isinstance(self.scrubber, ChainScrubber):
            text, counts = self.scrubber.scrub_counted(text)
        else:
            text, n = self.scrubber.scrub(text)
            counts = {self.scrubber.name: n} if n else {}
        for name, n in counts.items():
            self.counts[name] = self.counts.get(name, 0) + n
        return text

    @property
    def names(self) -> list[str]:
        return self.scrubber.names if isinstance(self.scrubber, ChainScrubber) else [self.scrubber.name]


def _provenance(table: str, row: int, c: Candidate, s: CandidateState) -> dict[str, Any]:
    return {
        "file": table, "row": row, "candidate_id": c.candidate_id, "detector": c.detector,
        "detector_version": c.detector_version, "score": c.score, "threshold": c.threshold,
        "conversation_id": c.conversation_id, "turn": c.turn, "source_topic": c.source_topic,
        "source_partition": c.source_partition, "source_offset": c.source_offset, "model": c.model,
        "model_version": c.model_version, "duplicate_count": c.duplicate_count,
        "chosen_source": s.chosen_source, "reviewer": s.reviewer, "decided_at": _iso(s.decided_at),
        "also_candidates": [],
    }  # fmt: skip


def _manifest(
    selected: Sequence[tuple[Candidate, CandidateState]],
    tables: dict[str, list[dict[str, Any]]],
    files: dict[str, FileEntry],
    filters: dict[str, Any],
    scrub: _Scrub,
) -> Manifest:
    per_detector: dict[str, dict[str, int]] = {}
    offsets: dict[tuple[str, int], list[int]] = {}
    for cand, state in selected:
        kind = "pairs" if state.kind == "pair" and state.chosen else "unpaired"
        counts = per_detector.setdefault(cand.detector, {"pairs": 0, "unpaired": 0})
        counts[kind] += 1
        offsets.setdefault((cand.source_topic, cand.source_partition), []).append(cand.source_offset)
    decided = sorted(s.decided_at for _, s in selected if s.decided_at is not None)
    digest = hashlib.sha256(
        json.dumps([EXPORT_SCHEMA_VERSION, sorted((n, f.sha256) for n, f in files.items())]).encode()
    ).hexdigest()
    return Manifest(
        batch_id="b_" + digest[:20],
        formats={
            "train": "trl-conversational-preference",
            "eval": "trl-conversational-preference",
            "kto": "trl-conversational-unpaired-preference",
        },  # fmt: skip
        counts={
            "candidates": len(selected),
            "pairs": sum(len(tables.get(t, [])) for t in ("train", "eval")),
            "train": len(tables["train"]),
            "eval": len(tables.get("eval", [])),
            "unpaired": len(tables["kto"]),
            "per_detector": dict(sorted(per_detector.items())),
        },
        filters=filters,
        decided_range=[decided[0], decided[-1]],
        source_offsets=[
            OffsetRange(topic=t, partition=p, first_offset=min(o), last_offset=max(o), rows=len(o))
            for (t, p), o in sorted(offsets.items())
        ],
        pii={"scrubbers": scrub.names, "replacements": dict(sorted(scrub.counts.items()))},
        files=files,
    )


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _parquet(rows: list[dict[str, Any]]) -> bytes:
    frame = pl.DataFrame(rows, schema={"prompt": _MESSAGES, "chosen": _MESSAGES, "rejected": _MESSAGES})
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def _occupied(out: LakeFS) -> bool:
    if isinstance(out, LocalLakeFS):
        return out.root.exists() and (not out.root.is_dir() or any(out.root.iterdir()))
    return bool(out.list_names())


def _write_folder(out: LakeFS, contents: dict[str, bytes]) -> None:
    if not isinstance(out, LocalLakeFS):
        names = sorted(n for n in contents if n != "manifest.json") + ["manifest.json"]
        try:
            for name in names:
                out.write_bytes(contents[name], name)
        except BaseException:
            for name in names:
                with contextlib.suppress(OSError):
                    out.delete(name)
            raise
        return
    out_dir = out.root
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir()
    try:
        for name, data in sorted(contents.items()):
            with open(tmp / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked before writing
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
