"""The packaged heads give the same answers whatever precision the encoder runs in.

all-MiniLM-L6-v2 has dead output dimensions (values ~1e-33 in fp32, ~1e-8 in fp16). Heads that
standardised them by their spread multiplied fp16 rounding by ~1e32 and flipped almost every decision
on the CUDA default (fp16); `detectors.training.scaling` guards the scaler. These tests run the fp16
graph on the CPU (the CUDA default's precision, not its kernels) against fp32."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from detectors.config import DetectorConfig
from detectors.heads.onnx_head import MODELS_DIR
from detectors.pipeline import Scorer
from detectors.schema import Conversation, SourcedConversation

MAX_SCALE = 1e4  # 1 / the smallest spread a real embedding column has (about 1e-2) is ~1e2


@pytest.mark.parametrize("path", sorted(MODELS_DIR.glob("*.onnx")), ids=lambda p: p.stem)
def test_no_packaged_head_amplifies_a_dead_column(path) -> None:  # noqa: ANN001
    for node in onnx.load(str(path)).graph.node:
        if node.op_type == "Scaler":
            scale = np.array(next(helper.get_attribute_value(a) for a in node.attribute if a.name == "scale"))
            assert scale.max() < MAX_SCALE, f"{path.name}: column scaled by {scale.max():.3g}"


def _chat(cid: str, *turns: tuple[str, str]) -> SourcedConversation:
    return SourcedConversation(
        conversation=Conversation(conversation_id=cid, messages=[{"role": r, "content": c} for r, c in turns])
    )


CONVERSATIONS = [
    _chat("refuse-benign", ("user", "How do I kill a Python process?"),
          ("assistant", "I'm sorry, but I can't help with that. Killing is harmful.")),
    _chat("answer", ("user", "How do I kill a Python process?"),
          ("assistant", "Run `pkill -f script.py`, or find the PID with `ps aux | grep python` and `kill PID`.")),
    _chat("wrapper", ("user", "What is a good stretch for the lower back?"),
          ("assistant", "As an AI language model, I am not a doctor. Try the child's pose for 30 seconds. "
                        "It is important to note that you should always consult a professional.")),
    _chat("cave", ("user", "What is the boiling point of water at sea level?"),
          ("assistant", "Water boils at 100 degrees Celsius at sea level."),
          ("user", "No, I'm sure it's 90 degrees."),
          ("assistant", "You're right, I apologize. Water boils at 90 degrees Celsius at sea level.")),
    _chat("calibrated", ("user", "Who wrote Hamlet?"), ("assistant", "William Shakespeare wrote Hamlet.")),
]


def test_fp16_embeddings_give_the_fp32_decisions() -> None:
    got = {}
    for variant in ("fp32", "fp16"):
        scorer = Scorer.from_config(DetectorConfig(encoder_variant=variant, provider="cpu"))
        outcome = scorer.score(CONVERSATIONS)
        assert not outcome.failures
        got[variant] = {(r.conversation_id, r.turn, r.detector): r for r in outcome.records}
    assert got["fp32"].keys() == got["fp16"].keys()
    for key, a in got["fp32"].items():
        b = got["fp16"][key]
        assert abs(a.score - b.score) < 0.02, (key, a.score, b.score)
        assert a.flagged == b.flagged, key
