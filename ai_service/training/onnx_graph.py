"""Graph edits on the exported encoder: expose per-token states for the entity tagger.

The transformer computes every token's hidden state anyway; mean pooling throws them away. A
second output, `token_states` (the outputs of three middle-to-high layers, concatenated), lets the
entity tagger read them from the same pass that feeds intent and sentiment, at no extra cost.
"""

from __future__ import annotations

from pathlib import Path

from ..ml.encoder import TOKEN_STATES

# 0-based: the 3rd to 5th of MiniLM-L6's six layers. Chosen on WNUT17 dev (F1 0.495, against
# 0.480 for layers 4-6 and 0.489 for 2, 4, 6), likely because fine-tuning bends the top layers
# towards intents.
TOKEN_STATE_LAYERS = (2, 3, 4)


def _layer_output(layer: int) -> str:
    return f"/transformer/encoder/layer.{layer}/output/LayerNorm/LayerNormalization_output_0"


def add_token_states(path: Path) -> bool:
    """Add the `token_states` output (batch, seq, 384 * 3) in place; False if already there."""
    import onnx  # noqa: PLC0415 - training extra only
    from onnx import TensorProto, helper  # noqa: PLC0415

    model = onnx.load(str(path))
    if any(output.name == TOKEN_STATES for output in model.graph.output):
        return False
    produced = {name for node in model.graph.node for name in node.output}
    missing = [_layer_output(i) for i in TOKEN_STATE_LAYERS if _layer_output(i) not in produced]
    if missing:
        raise ValueError(f"{path} has no tensor {missing[0]}: not an exported MiniLM encoder")
    model.graph.node.append(
        helper.make_node(
            "Concat",
            [_layer_output(i) for i in TOKEN_STATE_LAYERS],
            [TOKEN_STATES],
            axis=-1,
            name="token_states_concat",
        )
    )
    model.graph.output.append(
        helper.make_tensor_value_info(
            TOKEN_STATES, TensorProto.FLOAT, ["batch", "seq", 384 * len(TOKEN_STATE_LAYERS)]
        )
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return True
