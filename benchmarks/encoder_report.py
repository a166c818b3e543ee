"""Writes the encoder benchmark's JSON and markdown; the markdown states what was and was not measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def render_markdown(r: dict[str, Any]) -> str:
    cpu, enc = r["machine"]["cpu"], r["encoder"]
    lines = [
        f"# Encoder benchmark ({r['machine']['date_utc']})",
        "",
        f"- Machine: {cpu['model']} ({cpu['family_model']}), {cpu['cores_used']} cores used of "
        f"{cpu['logical_cpus']} logical, {cpu['clock_mhz']:.0f} MHz ({cpu['clock_source']}), "
        f"ISA {', '.join(cpu['isa'])}; {r['machine']['memory_gib']} GiB; onnxruntime {r['machine']['onnxruntime']}",
        f"- CPU fp32 peak: {cpu['fp32_peak_gflops']:.0f} GFLOP/s = {cpu['cores_used']} cores x "
        f"{cpu['fp32_flop_per_cycle_per_core']} FLOP/cycle x clock ({cpu['flop_per_cycle_reason']})",
        f"- Load average at start {cpu['load_average']}: the machine was shared, so absolute numbers are "
        "depressed; ratios compare paths measured interleaved in the same run (fastest of "
        f"{r['rounds']} rounds each)",
        f"- Encoder: {enc['variant']} on {enc['provider']} ({enc['reason']}); max_length {enc['max_length']}, "
        f"token budget {enc['token_budget']}",
        f"- Texts: {r['n_texts']} from {r['texts_source']}; {r['n_sequences']} windows, {r['tokens']:,} tokens, "
        f"{r['useful_gflop']:.1f} GFLOP of useful work (2 x params x tokens + attention; padding not counted)",
        "",
        "| path | what | seq/s | tokens/s | p50 ms | p99 ms | padding eff. | GFLOP/s | % CPU peak |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in r["paths"].values():
        lines.append(
            f"| {p['path']} | {p['what']} | {_fmt(p['seq_per_s'], 1)} | {_fmt(p['tokens_per_s'], 0)} | "
            f"{_fmt(p['p50_ms'], 1)} | {_fmt(p['p99_ms'], 1)} | {_fmt(p['padding_efficiency'])} | "
            f"{_fmt(p['gflops'], 1)} | {_fmt(p['pct_of_cpu_peak'], 1)} |"
        )
    ra, t = r["ratios"], r["targets"]
    lines += [
        "",
        "Latency is per ORT run for (a)/(c) and per `embed` call for (b)/(d), so p50/p99 compare within a path.",
        "",
        "## Ratios and targets",
        "",
        f"- (b)/(a) = {_fmt(ra['b_over_a'], 3)}: target >= 0.85 -> {'met' if t['b_ge_0.85_a']['met'] else 'NOT met'}",
        f"- (a)/(c batch 1) = {_fmt(ra['a_over_c_batch1'])}; (a)/(c unsorted 32) = {_fmt(ra['a_over_c_unsorted32'])}",
        f"- (a)/(d torch) = {_fmt(ra['a_over_d_torch'])}: target >= 2 on CPU -> "
        + ("not measured: " + r["torch"] if ra["a_over_d_torch"] is None
           else ("met" if t["cpu_a_ge_2x_d"]["met"] else "NOT met")),
        f"- (d) vs (b) on 64 texts: min cosine {_fmt(ra.get('d_vs_b_min_cosine'), 6)} (same model check)",
        f"- (a) reaches {100 * ra['a_fraction_of_cpu_peak']:.1f}% of the CPU fp32 peak",
        f"- int8 ceiling / fp32 ceiling = {_fmt(ra.get('int8_over_a'))} (int8: 8-bit block weights with "
        "per-block int8 activations, attention QKV fp32, see detectors/encoder/build.py; fp32 stays the CPU default)",
    ]
    g = r["gpu_estimate"]
    lines += [
        "",
        "## GPU: estimate only",
        "",
        f"**{g['label']}.** {g['gpu']}: at sequence length {g['seq_len']} one sequence is "
        f"{g['gflop_per_sequence']:.2f} GFLOP, so the fp16 ceiling is {g['ceiling_seq_per_s']:,.0f} seq/s and the "
        f"{100 * g['target_fraction']:.0f}% target (batch >= {g['batch']}) is {g['target_seq_per_s']:,.0f} seq/s "
        f"({g['target_tokens_per_s']:,.0f} tokens/s). Whether the fp16 model on CUDA (fused Attention, I/O binding) "
        "reaches it is unmeasured.",
    ]
    s = r.get("rss_soak")
    lines += ["", "## Memory", "", "- Peak RSS of the benchmark process (every path loaded, torch and int8 "
              f"included when run): {r['peak_rss_mib']:.0f} MiB"]
    if s:
        cut = f" (each cut to its first {s['texts_cut_to_words']} words)" if s.get("texts_cut_to_words") else ""
        lines.append(
            f"- RSS over {s['texts']:,} texts{cut} in {s['calls']:,} `embed` calls ({s['seconds']:.0f} s): "
            f"{s['rss_mib_after_warmup']:.0f} MiB after warm-up, {s['rss_mib_end']:.0f} MiB at the end "
            f"(growth {s['growth_after_warmup_mib']:+.1f} MiB, max {s['rss_mib_max']:.0f} MiB)"
            + ("" if s["texts"] >= s["texts_requested"] else f"; stopped early by --rss-seconds, "
               f"{s['texts_requested']:,} requested")
            + (f"; {s['run']}" if s.get("run") else "")
        )
    else:
        lines.append("- RSS soak not run (`--rss-texts N`)")
    return "\n".join(lines) + "\n"


def write_report(result: dict[str, Any], out_dir: Path, name: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    md_path.write_text(render_markdown(result))
    return json_path, md_path
