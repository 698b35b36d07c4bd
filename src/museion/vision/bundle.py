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
from PIL import Image

from museion.vision import keypoints, second_look
from museion.vision.catalog import InputSpec, ModelSpec
from museion.vision.errors import InvalidModel
from museion.vision.fetch import fetch
from museion.vision.head import SHARPNESS, Head, softmax
from museion.vision.images import ImageSource, open_photo
from museion.vision.preprocess import fit
from museion.vision.runtime import EMBEDDING_OUTPUT, _with_embedding_output

FEATURES = "museion_backbone_features"
README = (Path(__file__).parent / "bundle_readme.md").read_text("utf-8")
# The bundle's own viewer (viewer/index.html) runs the visitors' page's recognizer.js: one file,
# served by the albums app and copied into every bundle, so the two never recognise differently.
RECOGNIZER_JS = Path(__file__).parents[1] / "albums" / "static" / "museion" / "recognizer.js"
VIEWER_HTML = Path(__file__).parent / "viewer" / "index.html"


def viewer_files() -> dict[str, bytes]:
    """viewer/ inside a bundle: the page and the recognizer (onnxruntime-web is not shipped: README)."""
    return {"viewer/index.html": VIEWER_HTML.read_bytes(), "viewer/recognizer.js": RECOGNIZER_JS.read_bytes()}


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
    c, _, d = head.prototypes.shape
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
    """The global stage of `Head`: best similarity per class to its prototypes, and its softmax."""
    c, k, d = head.prototypes.shape
    protos = _const(graph, "museion_protos", head.prototypes.reshape(c * k, d).T.astype(np.float32).copy())
    shape = _const(graph, "museion_sim_shape", np.array([-1, c, k], np.int64))
    sharpness = _const(graph, "museion_sharpness", np.array(SHARPNESS, np.float32))
    return [
        helper.make_node("Flatten", [FEATURES], ["museion_flat"], axis=1),
        helper.make_node("LpNormalization", ["museion_flat"], ["embedding"], axis=1, p=2),
        helper.make_node("MatMul", ["embedding", protos], ["museion_sim_all"]),
        helper.make_node("Reshape", ["museion_sim_all", shape], ["museion_sim"]),
        helper.make_node("ReduceMax", ["museion_sim"], ["similarity"], axes=[2], keepdims=0),
        helper.make_node("Mul", ["similarity", sharpness], ["museion_sharp"]),
        helper.make_node("Softmax", ["museion_sharp"], ["probabilities"], axis=1),
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


ZIP_LEVEL = 1


def write_bundle(
    path: Path, model: onnx.ModelProto, labels: list[dict], preprocess: dict, metrics: dict, head: Head
) -> None:
    """Write the zip atomically: a reader never sees half a bundle.

    `head.npz` is the server's own head (prototypes, thresholds, reference keypoints), for
    runtimes that can run the keypoint check as the server does (`Bundle.predict`).
    """
    tmp = path.with_name(path.name + ".part")
    # Level 1: model.onnx still shrinks to 56% (54% at the default level 6), in half the time;
    # training writes the bundle twice (before and after its check), and that was 4 s of a retraining.
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as zf:
        zf.writestr("model.onnx", model.SerializeToString())
        zf.writestr("head.npz", head.to_bytes())
        zf.writestr("labels.json", json.dumps(labels, indent=2, ensure_ascii=False))
        zf.writestr("preprocess.json", json.dumps(preprocess, indent=2))
        zf.writestr("metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False))
        zf.writestr("README.md", README)
        for name, content in viewer_files().items():
            zf.writestr(name, content)
    tmp.replace(path)


def with_current(
    data: bytes, labels: list[dict], threshold: float, global_threshold: float, set_by: str
) -> bytes:
    """A bundle's zip with new labels and thresholds (model.onnx unchanged): what a download carries.

    `threshold` is the keypoint stage's (head.npz, `verified_threshold`), `global_threshold`
    model.onnx's (`unknown_threshold`), `set_by` who chose them ("calibration" or "curator"); the
    metrics keep the other figures as trained.
    """
    out = io.BytesIO()
    viewer = viewer_files()  # today's viewer, also in a bundle made before it existed
    with (
        zipfile.ZipFile(io.BytesIO(data)) as old,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as new,
    ):
        for name in old.namelist():
            content = old.read(name)
            if name == "labels.json":
                content = json.dumps(labels, indent=2, ensure_ascii=False).encode()
            elif name == "metrics.json":
                metrics = {**json.loads(content), "verified_threshold": threshold,
                           "unknown_threshold": global_threshold, "threshold_set_by": set_by}  # fmt: skip
                content = json.dumps(metrics, indent=2, ensure_ascii=False).encode()
            elif name == "head.npz":
                head = Head.from_bytes(content)
                content = replace(head, threshold=threshold, global_threshold=global_threshold).to_bytes()
            elif name == "README.md":
                content = README.encode()
            elif name in viewer:
                continue
            new.writestr(name, content)
        for name, content in viewer.items():
            new.writestr(name, content)
    return out.getvalue()


@dataclass
class Bundle:
    """A bundle loaded for prediction with plain onnxruntime."""

    session: ort.InferenceSession
    labels: list[dict]
    preprocess: dict
    metrics: dict
    head: Head | None = None  # absent from bundles made before the keypoint check

    @classmethod
    def load(cls, source: Path | bytes) -> Bundle:
        try:
            with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
                model = zf.read("model.onnx")
                labels, pre, metrics = (
                    json.loads(zf.read(n)) for n in ("labels.json", "preprocess.json", "metrics.json")
                )
                head = Head.from_bytes(zf.read("head.npz")) if "head.npz" in zf.namelist() else None
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise InvalidModel(f"not a Museion bundle: {exc}") from None
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        return cls(session, labels, pre, metrics, head)

    @property
    def threshold(self) -> float:
        return float(self.metrics.get("unknown_threshold", 0.0))

    def pixels(self, image: ImageSource | Image.Image) -> np.ndarray:
        width, height = self.preprocess["size"]
        spec = InputSpec(
            name="image", size=(width, height), resize_short=self.preprocess["resize"]["short_side"]
        )
        picture = (
            image if isinstance(image, Image.Image) else open_photo(image, target_size=spec.decode_size).image
        )
        return np.asarray(fit(picture, spec)[0], np.uint8)

    def _verified_look(self, picture: Image.Image, compared: int) -> np.ndarray:
        """A picture's deciding scores as the server's: model.onnx's similarity, then the keypoint check."""
        assert self.head is not None
        (s,), (e,) = self.session.run(["similarity", "embedding"], {"image": self.pixels(picture)[None]})
        return self.head.verified(e, s, keypoints.extract(picture), compared=compared)

    def predict(self, images: list[ImageSource], top_k: int = 3, verify: bool = True) -> list[dict]:
        """Each photo's best classes and unknown verdict: with the server's keypoint check where
        the bundle holds the head and `verify` is on, else model.onnx's global answer alone."""
        results = []
        for image in images:
            if verify and self.head is not None and self.head.references is not None:
                threshold = self.head.threshold
                s = second_look.decided(image, self._verified_look, threshold)
                p = softmax(s[None] * SHARPNESS)[0]
            else:
                photo = open_photo(image, target_size=keypoints.decode_size).image
                (p,), (s,) = self.session.run(
                    ["probabilities", "similarity"], {"image": self.pixels(photo)[None]}
                )
                threshold = self.threshold
            order = np.argsort(-s, kind="stable")[:top_k]
            results.append({
                "unknown": bool(s[order[0]] < threshold),
                "predictions": [{"label": self.labels[i]["name"], "score": float(p[i])} for i in order],
            })  # fmt: skip
        return results
