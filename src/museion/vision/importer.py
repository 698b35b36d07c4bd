"""Bring your own model: check an ONNX file and register it in the catalog."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from museion.config import settings
from museion.vision.catalog import BUILTIN, Catalog, InputSpec, ModelSpec, Task
from museion.vision.detect import decode_yolox
from museion.vision.errors import InvalidModel
from museion.vision.fetch import remove
from museion.vision.preprocess import prepare
from museion.vision.runtime import EMBEDDING_OUTPUT, Model, clear_sessions, load_model


def read_labels(path: Path) -> tuple[str, ...]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidModel(f"cannot read labels from {path}: {exc}") from None
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def import_model(
    path: Path,
    *,
    name: str,
    task: Task,
    input: InputSpec | None = None,
    labels: tuple[str, ...] = (),
    output: str | None = None,
    output_kind: str = "logits",
    license: str = "unknown",
) -> ModelSpec:
    """Copy `path` into the model directory and register it as `name`.

    The model is run once on a blank picture before it is kept, so a model that
    does not fit the given input options is refused now rather than at the first
    user request.
    """
    _check_name(name)
    session = _open(path)
    model_input = session.get_inputs()[0]
    input = _input_spec(model_input, input)
    output = output or session.get_outputs()[0].name
    if output not in {o.name for o in session.get_outputs()}:
        known = ", ".join(o.name for o in session.get_outputs())
        raise InvalidModel(f"the model has no output {output!r}; its outputs are {known}")
    if task == "detect" and output_kind != "yolox":
        raise InvalidModel("only YOLOX-style detectors are supported: use --output-kind yolox")
    if task != "embed" and not labels:
        raise InvalidModel(f"a {task} model needs --labels, a text file with one class name a line")
    spec = ModelSpec(
        name=name,
        task=task,
        file=f"{name}.onnx",
        input=input,
        output=output,
        output_kind="probabilities" if task == "embed" else output_kind,  # type: ignore[arg-type]
        labels=labels,
        title=name,
        license=license,
    )
    _install(path, spec)
    return spec


def _check_name(name: str) -> None:
    if name in BUILTIN:
        raise InvalidModel(f"{name!r} is a built-in model name; choose another")
    if any(f"{name}.onnx" == m.file for m in BUILTIN.values()):
        # Its file would replace the built-in model's cached copy.
        raise InvalidModel(f"{name!r} is the file name of a built-in model; choose another")
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise InvalidModel("a model name may hold only letters, digits, '-', '_' and '.'")


def _open(path: Path) -> ort.InferenceSession:
    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:
        # onnxruntime raises several unrelated types for unreadable files.
        raise InvalidModel(f"{path} is not a usable ONNX model: {exc}") from None


def _input_spec(model_input: ort.NodeArg, given: InputSpec | None) -> InputSpec:
    shape = list(model_input.shape)
    if len(shape) != 4:
        raise InvalidModel(f"the model's input {model_input.name!r} is {shape}; expected [N, 3, H, W]")
    height, width = (d if isinstance(d, int) else None for d in shape[2:])
    spec = given or InputSpec(name=model_input.name, size=(0, 0))
    if spec.size == (0, 0):  # not given: take the model's own, else the common 224
        spec = replace(spec, size=(width or 224, height or 224))
    spec = replace(spec, name=model_input.name, batch=not isinstance(shape[0], int) or shape[0] != 1)
    if (width and spec.size[0] != width) or (height and spec.size[1] != height):
        raise InvalidModel(f"the model takes {width}x{height} pictures, not {spec.size[0]}x{spec.size[1]}")
    return spec


def _install(path: Path, spec: ModelSpec) -> None:
    model_dir = settings().model_dir
    model_dir.mkdir(parents=True, exist_ok=True)
    target = model_dir / spec.file
    tmp = target.with_suffix(".onnx.tmp")
    shutil.copyfile(path, tmp)
    # Tried from the temporary copy, so a refused model leaves an earlier import of the name intact.
    try:
        _smoke_test(load_model(replace(spec, file=tmp.name)))
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidModel(f"the model does not run with these input options: {exc}") from None
    finally:
        clear_sessions()
    tmp.replace(target)
    Catalog(model_dir).add(spec)


def _smoke_test(model: Model) -> None:
    spec = model.spec
    blank = Image.new("RGB", spec.input.size, (128, 128, 128))
    (out,) = model.run(
        [EMBEDDING_OUTPUT if spec.embedding else spec.output], prepare(blank, spec.input).tensor[None]
    )
    if spec.task == "detect" and out.shape[-1] != 5 + len(spec.labels):
        raise InvalidModel(
            f"a YOLOX row should hold 5 + {len(spec.labels)} values, the model gives {out.shape[-1]}"
        )
    if spec.task == "detect":
        decode_yolox(out[0], spec.input.size, threshold=1.0)  # raises on a grid mismatch
    if spec.task == "classify" and np.prod(out.shape[1:]) != len(spec.labels):
        raise InvalidModel(
            f"the model gives {int(np.prod(out.shape[1:]))} scores but {len(spec.labels)} labels were given"
        )


def remove_model(spec: ModelSpec) -> Path | None:
    """Forget an imported model, or drop a built-in model's cached copy."""
    removed = remove(spec)
    if not spec.builtin:
        Catalog().discard(spec.name)
    clear_sessions()
    return removed
