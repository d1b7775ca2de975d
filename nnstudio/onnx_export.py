"""Export a trained model to ONNX so it runs outside nnstudio (onnxruntime, other languages).

The graph takes raw features and does everything ``TrainedModel`` does::

    features (N, F) float32
      -> Sub(mean) -> Div(scale)                      standardization fitted on the training split
      -> per hidden layer: Gemm(W, b) [-> BatchNormalization (running statistics)] -> activation
      -> Gemm(W, b) -> output activation
    classification: probabilities (N, k) float32 and class_index (N,) int64 = ArgMax
                    (a single sigmoid unit p becomes the two columns 1 - p, p)
    regression:     prediction (N,) float32 = output * target_scale + target_mean

Dropout is absent at inference.  Class labels, feature names and the config travel in the
model's metadata (``metadata_props``), as JSON.
"""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .engine.activations import ELU_ALPHA, LEAKY_SLOPE
from .engine.network import BN_EPS
from .files import atomic_write_bytes
from .model import TrainedModel

OPSET = 17          # widely supported by runtimes, and by onnx.reference
IR_VERSION = 8      # the IR version that goes with opset 17; newer IRs are refused by older runtimes
INPUT_NAME = "features"

# activation name -> (ONNX operator, attributes)
ONNX_ACTIVATIONS: dict[str, tuple[str, dict]] = {
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("Relu", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": LEAKY_SLOPE}),
    "elu": ("Elu", {"alpha": ELU_ALPHA}),
    "linear": ("Identity", {}),
    "softmax": ("Softmax", {"axis": 1}),
}


class _Graph:
    """Collects nodes and constant tensors with unique names."""

    def __init__(self):
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def const(self, name: str, value) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    def int_const(self, name: str, value) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=np.int64), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output


def build_onnx(model: TrainedModel) -> onnx.ModelProto:
    """The ONNX graph of ``model`` (checked with ``onnx.checker``)."""
    g = _Graph()
    x = g.op("Sub", [INPUT_NAME, g.const("scaler_mean", model.scaler.mean)], "centred")
    x = g.op("Div", [x, g.const("scaler_scale", model.scaler.scale)], "standardized")
    for layer in model.network.layers:
        x = g.op("Gemm", [x, g.const(f"{layer.name}.W", layer.W), g.const(f"{layer.name}.b", layer.b)],
                 f"{layer.name}.dense")
        if layer.batch_norm:
            x = g.op("BatchNormalization",
                     [x, g.const(f"{layer.name}.gamma", layer.gamma), g.const(f"{layer.name}.beta", layer.beta),
                      g.const(f"{layer.name}.running_mean", layer.running_mean),
                      g.const(f"{layer.name}.running_var", layer.running_var)],
                     f"{layer.name}.batch_norm", epsilon=BN_EPS)
        x = _activation(g, layer.activation.name, x, f"{layer.name}.activation")
    outputs = _classifier_outputs(g, model, x) if model.classification else _regression_outputs(g, model, x)
    graph = helper.make_graph(
        g.nodes, f"nnstudio_{_safe(model.config.name)}",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", model.n_features])],
        outputs, g.initializers)
    proto = helper.make_model(graph, producer_name="nnstudio", opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, doc_string=_doc(model))
    helper.set_model_props(proto, _metadata(model))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _activation(g: _Graph, name: str, x: str, output: str) -> str:
    try:
        op_type, attrs = ONNX_ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"activation {name!r} has no ONNX equivalent yet; "
                         f"exportable: {', '.join(ONNX_ACTIVATIONS)}") from None
    return g.op(op_type, [x], output, **attrs)


def _classifier_outputs(g: _Graph, model: TrainedModel, out: str) -> list[onnx.ValueInfoProto]:
    k = len(model.class_labels)
    if model.network.n_outputs == 1:  # one sigmoid unit p = P(class 1): columns (1 - p, p)
        rest = g.op("Sub", [g.const("one", np.ones((1, 1))), out], "complement")
        out = g.op("Concat", [rest, out], "two_columns", axis=1)
    probs = g.op("Identity", [out], "probabilities")
    g.op("ArgMax", [probs], "class_index", axis=1, keepdims=0)
    return [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", k]),
            helper.make_tensor_value_info("class_index", TensorProto.INT64, ["N"])]


def _regression_outputs(g: _Graph, model: TrainedModel, out: str) -> list[onnx.ValueInfoProto]:
    scaled = g.op("Mul", [out, g.const("target_scale", model.target_scale)], "scaled")
    shifted = g.op("Add", [scaled, g.const("target_mean", model.target_mean)], "unstandardized")
    g.op("Squeeze", [shifted, g.int_const("squeeze_axes", [1])], "prediction")
    return [helper.make_tensor_value_info("prediction", TensorProto.FLOAT, ["N"])]


def _metadata(model: TrainedModel) -> dict[str, str]:
    return {
        "task": model.task,
        "class_labels": json.dumps(list(model.class_labels), default=str),
        "feature_names": json.dumps(list(model.feature_names)),
        "target_name": model.target_name,
        "nnstudio_config": model.stored_config.to_json(indent=None),
    }


def _doc(model: TrainedModel) -> str:
    out = ("probabilities (N, k) in the order of metadata class_labels, class_index (N,)"
           if model.classification else f"prediction (N,) of {model.target_name!r} in its original units")
    return (f"{model.describe()}. Input: raw features (N, {model.n_features}) float32, standardized inside "
            f"the graph. Outputs: {out}.")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) or "model"


def export_onnx(model: TrainedModel, path: str | os.PathLike) -> onnx.ModelProto:
    """Write ``model`` as an ONNX file at ``path`` (atomically) and return the graph."""
    proto = build_onnx(model)
    atomic_write_bytes(path, proto.SerializeToString())
    return proto
