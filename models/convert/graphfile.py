"""The command line of a conversion step: ``python STEP.py IN.onnx OUT.onnx`` applies one graph rewrite."""

from __future__ import annotations

import sys
from collections.abc import Callable

import onnx


def rewrite(transform: Callable[[onnx.ModelProto], onnx.ModelProto], argv: list[str] | None = None) -> None:
    """Load IN, apply ``transform``, check the result and save it as OUT."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        raise SystemExit(f"usage: python {sys.argv[0]} IN.onnx OUT.onnx")
    model = transform(onnx.load(args[0]))
    onnx.checker.check_model(model)
    onnx.save(model, args[1])
    print(f"wrote {args[1]}")
