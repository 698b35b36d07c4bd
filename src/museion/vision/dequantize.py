"""A float32 model derived from an int8 QOperator one, so answers do not depend on the CPU.

ONNX Runtime runs integer convolutions with different kernels by CPU: on AVX2
the u8 x s8 products are summed in saturating 16-bit pairs, on AVX-512 VNNI
they are not, and onnxruntime-web does it differently again. The same photo
then gets another score on another machine. Float32 kernels differ only in
summation order (about 1e-6), so Museion runs the float model derived here.

The rewrite is exact in what it computes, up to the int8 model's rounding:
- weights become `(w - zero_point) * scale` (per tensor or per output channel),
  int32 biases `b * x_scale * w_scale`;
- every quantised output is clipped to the range its uint8/int8 type can hold
  (`(q_min - zero_point) * scale` to `(q_max - zero_point) * scale`), which is
  how the int8 model expresses ReLU and ReLU6;
- QLinearAdd, QLinearGlobalAveragePool and QLinearMatMul become their float ops;
  Quantize/DequantizeLinear vanish.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from google.protobuf.message import DecodeError
from onnx import helper, numpy_helper
from PIL import Image, ImageDraw

from museion.vision.catalog import InputSpec
from museion.vision.errors import InvalidModel
from museion.vision.preprocess import prepare

_QUANTISED_OPS = {"QLinearConv", "QLinearAdd", "QLinearGlobalAveragePool", "QLinearMatMul"}


class _Rewriter:
    """Walks the int8 graph once, emitting float nodes and initialisers."""

    def __init__(self, model: onnx.ModelProto) -> None:
        self.graph = model.graph
        self.consts = {init.name: numpy_helper.to_array(init) for init in self.graph.initializer}
        self.nodes: list[onnx.NodeProto] = []
        self.new_consts: dict[str, np.ndarray] = {}
        self.quantised_tensors = _quantised_tensors(self.graph)

    def float_name(self, quantised: str) -> str:
        """The float tensor standing for a quantised one: the name without `_quantized`."""
        stem = quantised.removesuffix("_quantized")
        return stem if stem != quantised else f"{quantised}_float"

    def const(self, name: str, value: np.ndarray) -> str:
        self.new_consts[name] = value.astype(np.float32)
        return name

    def scalar(self, name: str) -> np.ndarray:
        return self.consts[name].astype(np.float64)

    def dequantised_const(self, q: str, scale: str, zero: str, axis: int = 0) -> np.ndarray:
        """`(q - zero_point) * scale`, broadcasting a per-channel scale along `axis`."""
        value = self.consts[q].astype(np.float64)
        s, z = self.scalar(scale), self.consts[zero].astype(np.float64)
        if s.ndim == 1 and s.size > 1:
            shape = [1] * value.ndim
            shape[axis] = s.size
            s, z = s.reshape(shape), z.reshape(shape)
        return (value - z) * s

    def clip(self, raw: str, out_q: str, scale: str, zero: str) -> None:
        """Clip `raw` to what the quantised output `out_q` can hold, into its float name."""
        info = np.iinfo(self.consts[zero].dtype)
        s, z = float(self.scalar(scale)), float(self.consts[zero])
        low = self.const(f"{out_q}_float_min", np.array((info.min - z) * s))
        high = self.const(f"{out_q}_float_max", np.array((info.max - z) * s))
        self.nodes.append(helper.make_node("Clip", [raw, low, high], [self.float_name(out_q)]))

    def input_of(self, name: str, scale: str, zero: str, axis: int = 0) -> str:
        """A quantised operand as float: a rewritten tensor, or a dequantised constant.

        A per-channel scale runs along `axis`: a MatMul's right operand is scaled per column.
        """
        if name in self.consts:
            return self.const(f"{name}_float", self.dequantised_const(name, scale, zero, axis))
        return self.float_name(name)

    def rewrite(self, node: onnx.NodeProto) -> None:
        handler = getattr(self, f"_{node.op_type}", None)
        if handler is not None:
            handler(node)
        elif node.op_type.startswith("QLinear"):
            raise InvalidModel(f"cannot derive a float model: {node.op_type} is not supported")
        else:
            self.nodes.append(self._renamed(node))

    def _renamed(self, node: onnx.NodeProto) -> onnx.NodeProto:
        """A node that works on any type (Reshape, Shape...): its quantised inputs renamed."""
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        quantised = self.quantised_tensors
        copy.input[:] = [self.float_name(n) if n in quantised else n for n in node.input]
        copy.output[:] = [self.float_name(n) if n in quantised else n for n in node.output]
        return copy

    def _QuantizeLinear(self, node: onnx.NodeProto) -> None:
        self._alias(node.input[0], self.float_name(node.output[0]))

    def _DequantizeLinear(self, node: onnx.NodeProto) -> None:
        self._alias(self.float_name(node.input[0]), node.output[0])

    def _alias(self, source: str, target: str) -> None:
        if source != target:
            self.nodes.append(helper.make_node("Identity", [source], [target]))

    def _QLinearConv(self, node: onnx.NodeProto) -> None:
        x, xs, _, w, ws, wz, ys, yz, *bias = node.input
        out = node.output[0]
        inputs = [self.float_name(x), self.const(f"{w}_float", self.dequantised_const(w, ws, wz, axis=0))]
        if bias and bias[0]:
            scale = self.scalar(xs) * self.scalar(ws)
            inputs.append(self.const(f"{bias[0]}_float", self.consts[bias[0]].astype(np.float64) * scale))
        conv = helper.make_node("Conv", inputs, [f"{out}_raw"])
        conv.attribute.extend(node.attribute)
        self.nodes.append(conv)
        self.clip(f"{out}_raw", out, ys, yz)

    def _QLinearAdd(self, node: onnx.NodeProto) -> None:
        a, as_, az, b, bs, bz, ys, yz = node.input
        out = node.output[0]
        operands = [self.input_of(a, as_, az), self.input_of(b, bs, bz)]
        self.nodes.append(helper.make_node("Add", operands, [f"{out}_raw"]))
        self.clip(f"{out}_raw", out, ys, yz)

    def _QLinearMatMul(self, node: onnx.NodeProto) -> None:
        a, as_, az, b, bs, bz, ys, yz = node.input
        out = node.output[0]
        operands = [self.input_of(a, as_, az), self.input_of(b, bs, bz, axis=-1)]
        self.nodes.append(helper.make_node("MatMul", operands, [f"{out}_raw"]))
        self.clip(f"{out}_raw", out, ys, yz)

    def _QLinearGlobalAveragePool(self, node: onnx.NodeProto) -> None:
        x, _, _, ys, yz = node.input
        out = node.output[0]
        if any(a.name == "channels_last" and a.i for a in node.attribute):
            raise InvalidModel("cannot derive a float model: channels-last average pooling")
        self.nodes.append(helper.make_node("GlobalAveragePool", [self.float_name(x)], [f"{out}_raw"]))
        self.clip(f"{out}_raw", out, ys, yz)


def dequantize(model: onnx.ModelProto) -> onnx.ModelProto:
    """The float32 equivalent of an int8 QOperator model (same inputs and outputs)."""
    if not any(node.op_type in _QUANTISED_OPS for node in model.graph.node):
        raise InvalidModel("the model has no quantised operators to derive a float model from")
    rewriter = _Rewriter(model)
    for node in model.graph.node:
        rewriter.rewrite(node)
    return _assemble(model, rewriter)


def _quantised_tensors(graph: onnx.GraphProto) -> set[str]:
    """Every tensor that holds quantised values (outputs of the integer ops, and reshapes of them)."""
    names: set[str] = set()
    for node in graph.node:
        if node.op_type in _QUANTISED_OPS or node.op_type == "QuantizeLinear":
            names.update(node.output)
        if node.op_type == "Reshape" and node.input[0] in names:
            names.add(node.output[0])
    return names


def _assemble(source: onnx.ModelProto, rewriter: _Rewriter) -> onnx.ModelProto:
    used = {name for node in rewriter.nodes for name in node.input}
    initialisers = [init for init in source.graph.initializer if init.name in used]
    initialisers += [numpy_helper.from_array(v, n) for n, v in rewriter.new_consts.items() if n in used]
    graph = helper.make_graph(
        rewriter.nodes,
        source.graph.name,
        list(source.graph.input),
        list(source.graph.output),
        initialisers,
    )
    # The source's opset: its Unsqueeze still takes `axes` as an attribute.
    opsets = [helper.make_opsetid("", _default_opset(source))]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="museion-dequantize")
    model.ir_version = max(source.ir_version, 7)
    onnx.checker.check_model(model)
    return model


def _default_opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 12)


# A derived model whose logits point elsewhere than its source's on these pictures is broken.
# Measured on this set (AVX-512 VNNI): the float model's mean cosine to the int8 one is 0.96,
# a rewrite without the output clipping -0.08, one with ReLU for the clipping 0.27. AVX2's
# saturating int8 kernels move the int8 side further from the float one (cat.bmp's top score
# fell from 0.65 to 0.43 there), hence the wide margin on both sides.
MIN_LOGIT_COSINE = 0.6
REFERENCE_PICTURES = 16


@dataclass(frozen=True)
class Agreement:
    """How the derived model's logits compare with its source's on the reference pictures."""

    pictures: int
    top1_agreement: float
    logit_cosine_min: float
    logit_cosine_mean: float

    def to_dict(self) -> dict:
        return asdict(self)


def reference_pictures(spec: InputSpec, count: int = REFERENCE_PICTURES, seed: int = 0) -> np.ndarray:
    """Seeded pictures (colour gradients under ellipses and boxes) as the model's input tensors."""
    rng = np.random.default_rng(seed)
    width, height = spec.size
    tensors = []
    for _ in range(count):
        top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        ramp = np.linspace(0, 1, height)[:, None, None]
        base = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (height, width, 3)).astype(np.uint8)
        picture = Image.fromarray(np.ascontiguousarray(base))
        draw = ImageDraw.Draw(picture)
        for _ in range(6):
            x0, y0 = int(rng.integers(0, width - 8)), int(rng.integers(0, height - 8))
            box = (x0, y0, x0 + int(rng.integers(8, width)), y0 + int(rng.integers(8, height)))
            shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
            shape(box, fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        tensors.append(prepare(picture, spec).tensor)
    return np.stack(tensors)


def compare(source: bytes, derived: bytes, spec: InputSpec, output: str) -> Agreement:
    """Run both models on the reference pictures and measure how far their logits are apart."""
    batch = reference_pictures(spec)
    logits = [_session(model).run([output], {spec.name: batch})[0].reshape(len(batch), -1)
              for model in (source, derived)]  # fmt: skip
    a, b = (x.astype(np.float64) for x in logits)
    cosine = (a * b).sum(axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)
    return Agreement(
        pictures=len(batch),
        top1_agreement=float((a.argmax(axis=1) == b.argmax(axis=1)).mean()),
        logit_cosine_min=float(cosine.min()),
        logit_cosine_mean=float(cosine.mean()),
    )


def _session(model: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def derive_float_model(source: Path, target: Path, spec: InputSpec, output: str) -> Agreement:
    """Write the float32 equivalent of `source` to `target`, once it is checked against the source.

    The file appears whole or not at all (written beside `target`, then renamed), so two
    processes deriving at once both end with the same good file.
    """
    try:
        source_bytes = source.read_bytes()
        derived = dequantize(onnx.load_from_string(source_bytes)).SerializeToString()
    except (OSError, onnx.checker.ValidationError, DecodeError) as exc:
        raise InvalidModel(f"cannot derive a float model from {source}: {exc}") from None
    agreement = compare(source_bytes, derived, spec, output)
    if agreement.logit_cosine_mean < MIN_LOGIT_COSINE:
        raise InvalidModel(
            f"the float model derived from {source} disagrees with it (logit cosine "
            f"{agreement.logit_cosine_mean:.3f} < {MIN_LOGIT_COSINE}); it was not kept"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        partial.write_bytes(derived)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return agreement
