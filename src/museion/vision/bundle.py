"""A trained recognizer as one portable zip: model.onnx, labels, preprocessing, metrics.

`model.onnx` holds the backbone and the head in one graph, with the pixel
normalisation inside it, so a front-end feeds it plain RGB bytes:

    input  image          uint8 [N, 224, 224, 3]  RGB
    output probabilities  float [N, C]            in labels.json order
    output embedding      float [N, D]            unit length
    output similarity     float [N, C]            best cosine similarity to each class's examples

A picture is "unknown" when `similarity` of its best class is under
`metrics.json`'s `unknown_threshold`.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx.utils import Extractor

from museion.vision.catalog import InputSpec, ModelSpec
from museion.vision.errors import InvalidModel
from museion.vision.fetch import fetch
from museion.vision.head import Head
from museion.vision.images import ImageSource, open_photo
from museion.vision.preprocess import fit
from museion.vision.runtime import EMBEDDING_OUTPUT, _with_embedding_output

FEATURES = "museion_backbone_features"
README = (Path(__file__).parent / "bundle_readme.md").read_text("utf-8")


def recognizer_input(backbone: ModelSpec) -> InputSpec:
    """How album photos are framed: the short side to the input size, centre crop."""
    return replace(backbone.input, resize="crop", resize_short=min(backbone.input.size))


def build_graph(backbone: ModelSpec, head: Head) -> onnx.ModelProto:
    """The backbone cut at its embedding, with preprocessing before and the head after."""
    full = _with_embedding_output(backbone, onnx.load(str(fetch(backbone).path)))
    graph = Extractor(full).extract_model([backbone.input.name], [EMBEDDING_OUTPUT]).graph
    _rename(graph, EMBEDDING_OUTPUT, FEATURES)
    _rename(graph, backbone.input.name, "museion_pixels")
    del graph.input[:]
    del graph.output[:]
    width, height = backbone.input.size
    graph.input.append(helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", height, width, 3]))
    body = list(graph.node)
    del graph.node[:]
    graph.node.extend([*_preprocess_nodes(backbone.input, graph), *body, *_head_nodes(head, graph)])
    c, d = head.weights.shape
    graph.output.extend([
        helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", c]),
        helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", d]),
        helper.make_tensor_value_info("similarity", TensorProto.FLOAT, ["N", c]),
    ])  # fmt: skip
    model = helper.make_model(graph, opset_imports=full.opset_import, producer_name="museion")
    model.ir_version = full.ir_version
    onnx.checker.check_model(model)
    return model


def _rename(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]


def _const(graph: onnx.GraphProto, name: str, value: np.ndarray) -> str:
    graph.initializer.append(numpy_helper.from_array(value, name))
    return name


def _preprocess_nodes(spec: InputSpec, graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    """uint8 NHWC RGB -> the backbone's normalised float NCHW input."""
    scale = _const(graph, "museion_scale", np.array(spec.scale, np.float32))
    mean = _const(graph, "museion_mean", np.array(spec.mean, np.float32))
    std = _const(graph, "museion_std", np.array(spec.std, np.float32))
    nodes = [helper.make_node("Cast", ["image"], ["museion_float"], to=TensorProto.FLOAT)]
    source = "museion_float"
    if spec.color == "BGR":
        order = _const(graph, "museion_bgr", np.array([2, 1, 0], np.int64))
        nodes.append(helper.make_node("Gather", [source, order], ["museion_bgr_pixels"], axis=3))
        source = "museion_bgr_pixels"
    return [
        *nodes,
        helper.make_node("Mul", [source, scale], ["museion_scaled"]),
        helper.make_node("Sub", ["museion_scaled", mean], ["museion_centred"]),
        helper.make_node("Div", ["museion_centred", std], ["museion_normal"]),
        helper.make_node("Transpose", ["museion_normal"], ["museion_pixels"], perm=[0, 3, 1, 2]),
    ]


def _head_nodes(head: Head, graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    c, k, d = head.prototypes.shape
    weights = _const(graph, "museion_head_w", head.weights.T.astype(np.float32).copy())
    bias = _const(graph, "museion_head_b", head.bias.astype(np.float32))
    protos = _const(graph, "museion_protos", head.prototypes.reshape(c * k, d).T.astype(np.float32).copy())
    shape = _const(graph, "museion_sim_shape", np.array([-1, c, k], np.int64))
    return [
        helper.make_node("Flatten", [FEATURES], ["museion_flat"], axis=1),
        helper.make_node("LpNormalization", ["museion_flat"], ["embedding"], axis=1, p=2),
        helper.make_node("MatMul", ["embedding", weights], ["museion_logits_raw"]),
        helper.make_node("Add", ["museion_logits_raw", bias], ["museion_logits"]),
        helper.make_node("Softmax", ["museion_logits"], ["probabilities"], axis=1),
        helper.make_node("MatMul", ["embedding", protos], ["museion_sim_all"]),
        helper.make_node("Reshape", ["museion_sim_all", shape], ["museion_sim"]),
        helper.make_node("ReduceMax", ["museion_sim"], ["similarity"], axes=[2], keepdims=0),
    ]


def preprocess_description(spec: InputSpec) -> dict:
    width, height = spec.size
    return {
        "input": "image",
        "dtype": "uint8",
        "layout": "NHWC",
        "color": "RGB",
        "size": [width, height],
        "resize": {"short_side": spec.resize_short or min(spec.size), "filter": "bilinear"},
        "crop": "center",
        "normalisation": "inside the model",
        "steps": [
            "apply the photo's EXIF orientation",
            f"resize so the short side is {spec.resize_short or min(spec.size)} px, keeping the aspect ratio",
            f"crop the central {width}x{height} px",
            "feed the RGB bytes as uint8 [1, H, W, 3]",
        ],
    }


def write_bundle(
    path: Path, model: onnx.ModelProto, labels: list[dict], preprocess: dict, metrics: dict
) -> None:
    """Write the zip atomically: a reader never sees half a bundle."""
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model.onnx", model.SerializeToString())
        zf.writestr("labels.json", json.dumps(labels, indent=2, ensure_ascii=False))
        zf.writestr("preprocess.json", json.dumps(preprocess, indent=2))
        zf.writestr("metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))
        zf.writestr("README.md", README)
    tmp.replace(path)


@dataclass
class Bundle:
    """A bundle loaded for prediction with plain onnxruntime."""

    session: ort.InferenceSession
    labels: list[dict]
    preprocess: dict
    metrics: dict

    @classmethod
    def load(cls, source: Path | bytes) -> Bundle:
        try:
            with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
                model = zf.read("model.onnx")
                labels, pre, metrics = (
                    json.loads(zf.read(n)) for n in ("labels.json", "preprocess.json", "metrics.json")
                )
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise InvalidModel(f"not a Museion bundle: {exc}") from None
        return cls(ort.InferenceSession(model, providers=["CPUExecutionProvider"]), labels, pre, metrics)

    @property
    def threshold(self) -> float:
        return float(self.metrics.get("unknown_threshold", 0.0))

    def pixels(self, image: ImageSource) -> np.ndarray:
        width, height = self.preprocess["size"]
        spec = InputSpec(
            name="image", size=(width, height), resize_short=self.preprocess["resize"]["short_side"]
        )
        photo = open_photo(image, target_size=spec.decode_size)
        return np.asarray(fit(photo.image, spec)[0], np.uint8)

    def predict(self, images: list[ImageSource], top_k: int = 3) -> list[dict]:
        batch = np.stack([self.pixels(image) for image in images])
        probs, sims = self.session.run(["probabilities", "similarity"], {"image": batch})
        results = []
        for p, s in zip(probs, sims, strict=True):
            order = np.argsort(-p, kind="stable")[:top_k]
            results.append({
                "unknown": bool(s[order[0]] < self.threshold),
                "predictions": [{"label": self.labels[i]["name"], "score": float(p[i])} for i in order],
            })  # fmt: skip
        return results
