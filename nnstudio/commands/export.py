"""``nnstudio export MODEL.npz --onnx FILE``: the model as an ONNX graph that runs outside nnstudio."""

from __future__ import annotations

import argparse

from ..cli import EXIT_OK, command
from ..errors import UserError
from ..files import FileFormatError, load_model


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL.npz", help="a model saved by nnstudio train")
    p.add_argument("--onnx", metavar="FILE", required=True, help="the ONNX file to write (.onnx)")


@command("export", "export a saved model to ONNX (standardization included)", add_arguments)
def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    from ..onnx_export import OPSET, export_onnx  # onnx loads only when exporting

    try:
        proto = export_onnx(model, args.onnx)
    except FileFormatError:
        raise  # a bad output path: its message says what to fix
    except ValueError as exc:
        raise UserError(f"{args.model}: cannot be exported: {exc}") from None
    outputs = ", ".join(f"{o.name} {_shape(o)}" for o in proto.graph.output)
    print(f"wrote {args.onnx} (ONNX opset {OPSET}): input features [N, {model.n_features}] float32, raw values; "
          f"outputs {outputs}")
    if model.classification:
        print(f"class labels (in metadata 'class_labels'): {', '.join(map(str, model.class_labels))}")
    return EXIT_OK


def _shape(value_info) -> str:
    dims = value_info.type.tensor_type.shape.dim
    return "[" + ", ".join(d.dim_param or str(d.dim_value) for d in dims) + "]"
