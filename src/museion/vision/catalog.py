"""What Museion knows about each model: where it comes from and how to feed it.

The two built-in entries come from the models' own documentation; models the
operator imports are kept in `registry.json` inside the model directory.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Literal

from museion.config import settings
from museion.vision.errors import InvalidModel, UnknownModel
from museion.vision.languages import ENGLISH, label_file

Task = Literal["classify", "detect", "embed"]
TASKS: tuple[str, ...] = ("classify", "detect", "embed")
RESIZE_MODES: tuple[str, ...] = ("crop", "letterbox", "stretch")
OUTPUT_KINDS: tuple[str, ...] = ("logits", "probabilities", "yolox")


@dataclass(frozen=True)
class InputSpec:
    """How a picture becomes the model's input tensor."""

    name: str
    size: tuple[int, int]  # width, height
    color: Literal["RGB", "BGR"] = "RGB"
    scale: float = 1 / 255  # multiplies 0..255 pixel values, before mean/std
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    # crop: short side to `resize_short`, centre crop; letterbox: fit, pad
    # bottom/right with `pad_value`; stretch: resize ignoring aspect.
    resize: Literal["crop", "letterbox", "stretch"] = "crop"
    resize_short: int | None = None
    pad_value: int = 114
    batch: bool = True  # whether the first dimension may exceed 1

    def decode_size(self, width: int, height: int) -> tuple[int, int]:
        """The smallest stored-image size that preprocessing can use at full quality."""
        if self.resize == "crop":
            short = self.resize_short or min(self.size)
            scale = short / min(width, height)
        elif self.resize == "letterbox":
            scale = min(self.size[0] / width, self.size[1] / height)
        else:
            scale = max(self.size[0] / width, self.size[1] / height)
        scale = min(scale, 1.0)
        return math.ceil(width * scale), math.ceil(height * scale)


@dataclass(frozen=True)
class EmbeddingSpec:
    """Where the model's feature vector is, for models that expose one.

    `tensor` names an existing float output, or a quantised tensor inside the
    graph that gets a DequantizeLinear output added (with `scale` and
    `zero_point` naming its quantisation parameters).
    """

    tensor: str
    scale: str | None = None
    zero_point: str | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: Task
    file: str
    input: InputSpec
    output: str
    output_kind: Literal["logits", "probabilities", "yolox"]
    labels: tuple[str, ...]
    title: str = ""
    url: str | None = None
    sha256: str | None = None
    license: str = "unknown"
    embedding: EmbeddingSpec | None = None
    builtin: bool = False
    notes: str = ""
    # The catalog name of the model whose file this one is made from on this machine
    # (dequantised to float32; see museion.vision.dequantize), instead of being fetched.
    derived_from: str | None = None
    # The shipped label set these labels are (`imagenet`, `coco`): its translations sit beside it
    # in labels/ (museion.vision.languages). Empty for an imported model: its labels stay as given.
    label_set: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def tasks(self) -> tuple[str, ...]:
        """Every task this model can serve (a classifier with an embedding also embeds)."""
        if self.embedding and self.task != "embed":
            return (self.task, "embed")
        return (self.task,)

    def label(self, index: int) -> str:
        return self.labels[index] if 0 <= index < len(self.labels) else f"class {index}"

    def common_label(self, index: int, lang: str = ENGLISH) -> str:
        """The name people read for label `index` in `lang`: its translation, else the first synonym."""
        names = label_file(self.label_set, lang)
        if len(names) == len(self.labels) and 0 <= index < len(names) and names[index]:
            return names[index]
        return first_synonym(self.label(index))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelSpec:
        data = dict(data)
        data["input"] = InputSpec(
            **{
                **data["input"],
                "size": tuple(data["input"]["size"]),
                "mean": tuple(data["input"]["mean"]),
                "std": tuple(data["input"]["std"]),
            }
        )
        if data.get("embedding"):
            data["embedding"] = EmbeddingSpec(**data["embedding"])
        data["labels"] = tuple(data["labels"])
        return cls(**data)


def first_synonym(label: str) -> str:
    """The common name of a label that lists synonyms: ImageNet's "tench, Tinca tinca" is "tench"."""
    return label.split(", ", 1)[0].strip() or label


def _labels(resource: str) -> tuple[str, ...]:
    text = resources.files("museion.vision").joinpath("labels", resource).read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


MOBILENETV2_INPUT = InputSpec(
    name="input",
    size=(224, 224),
    mean=(0.485, 0.456, 0.406),
    std=(0.229, 0.224, 0.225),
    resize="crop",
    resize_short=256,
)

# The file as the model zoo ships it. Its integer kernels differ by CPU (AVX2 against
# AVX-512 VNNI, and onnxruntime-web again), so one photo scores differently by machine.
IMAGENET_MOBILENETV2_INT8 = ModelSpec(
    name="imagenet-mobilenetv2-int8",
    title="MobileNetV2 int8 (ImageNet, 1000 classes; answers vary by CPU)",
    task="classify",
    file="mobilenetv2-12-int8.onnx",
    url="https://huggingface.co/onnxmodelzoo/mobilenetv2-12-int8/resolve/main/mobilenetv2-12-int8.onnx",
    sha256=None,  # the model zoo publishes no checksum for this file
    license="Apache-2.0",
    input=MOBILENETV2_INPUT,
    output="output",
    output_kind="logits",
    labels=_labels("imagenet.txt"),
    label_set="imagenet",
    embedding=EmbeddingSpec(tensor="464_quantized", scale="464_scale", zero_point="464_zero_point"),
    builtin=True,
    notes="int8 (QOperator) from the ONNX model zoo, as shipped: faster, but its scores depend on the CPU",
)

# The default: the int8 file's weights in float32, built here once (museion.vision.dequantize).
# Float kernels agree across CPUs and with onnxruntime-web to about 1e-6.
IMAGENET_MOBILENETV2 = ModelSpec(
    name="imagenet-mobilenetv2",
    title="MobileNetV2 (ImageNet, 1000 classes)",
    task="classify",
    file="mobilenetv2-12-float32.onnx",
    url=None,
    license="Apache-2.0",
    input=MOBILENETV2_INPUT,
    output="output",
    output_kind="logits",
    labels=IMAGENET_MOBILENETV2_INT8.labels,
    label_set="imagenet",
    embedding=EmbeddingSpec(tensor="464"),
    builtin=True,
    notes="float32, derived from the int8 model zoo file; 1280-d pooled feature as embedding",
    derived_from=IMAGENET_MOBILENETV2_INT8.name,
)

COCO_YOLOX_NANO = ModelSpec(
    name="coco-yolox-nano",
    title="YOLOX-Nano (COCO, 80 classes)",
    task="detect",
    file="yolox_nano.onnx",
    url="https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx",
    sha256="c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d",
    license="Apache-2.0",
    input=InputSpec(
        name="images",
        size=(416, 416),
        color="BGR",
        scale=1.0,
        resize="letterbox",
        pad_value=114,
        batch=False,
    ),
    output="output",
    output_kind="yolox",
    labels=_labels("coco.txt"),
    label_set="coco",
    builtin=True,
    notes="Megvii YOLOX-Nano, strides 8/16/32",
)

BUILTIN: dict[str, ModelSpec] = {
    m.name: m for m in (IMAGENET_MOBILENETV2, IMAGENET_MOBILENETV2_INT8, COCO_YOLOX_NANO)
}
DEFAULT_CLASSIFIER = IMAGENET_MOBILENETV2.name
DEFAULT_DETECTOR = COCO_YOLOX_NANO.name


# Parsed registry.json, keyed by (path, mtime, size): re-read only when it changes.
_registry_cache: dict[tuple[str, int, int], dict[str, ModelSpec]] = {}


class Catalog:
    """The built-in models plus those imported into `model_dir`."""

    def __init__(self, model_dir: Path | None = None) -> None:
        self.model_dir = model_dir or settings().model_dir

    @property
    def registry_path(self) -> Path:
        return self.model_dir / "registry.json"

    def imported(self) -> dict[str, ModelSpec]:
        try:
            stat = self.registry_path.stat()
        except FileNotFoundError:
            return {}
        key = (str(self.registry_path), stat.st_mtime_ns, stat.st_size)
        if key not in _registry_cache:
            _registry_cache.clear()
            _registry_cache[key] = self._read()
        return _registry_cache[key]

    def _read(self) -> dict[str, ModelSpec]:
        try:
            raw = json.loads(self.registry_path.read_text("utf-8"))
            return {name: ModelSpec.from_dict(entry) for name, entry in raw.items()}
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise InvalidModel(f"cannot read the model registry {self.registry_path}: {exc}") from None

    def all(self) -> dict[str, ModelSpec]:
        return {**BUILTIN, **self.imported()}

    def get(self, name: str) -> ModelSpec:
        models = self.all()
        if name not in models:
            known = ", ".join(sorted(models))
            raise UnknownModel(f"no model named {name!r}; known models: {known}")
        return models[name]

    def add(self, spec: ModelSpec) -> None:
        if spec.name in BUILTIN:
            raise InvalidModel(f"{spec.name!r} is a built-in model name; choose another")
        entries = {name: m.to_dict() for name, m in self.imported().items()}
        entries[spec.name] = replace(spec, builtin=False).to_dict()
        self._write(entries)

    def discard(self, name: str) -> None:
        entries = {n: m.to_dict() for n, m in self.imported().items() if n != name}
        self._write(entries)

    def _write(self, entries: dict[str, dict]) -> None:
        self.model_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.registry_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(entries, indent=2, sort_keys=True), "utf-8")
        tmp.replace(self.registry_path)
