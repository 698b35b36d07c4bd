"""ONNX Runtime sessions: one per model per process, made on first use, shared by threads.

`InferenceSession.run` is thread-safe, so web threads share a session; the lock
only guards creation, so two first requests do not load a model twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

from museion.config import settings
from museion.vision.catalog import Catalog, ModelSpec
from museion.vision.errors import InvalidModel, WrongTask
from museion.vision.fetch import ModelFile, fetch

EMBEDDING_OUTPUT = "embedding"

_sessions: dict[tuple[str, str, int], Model] = {}  # (name, file, threads)
_lock = threading.Lock()


@dataclass(frozen=True)
class Model:
    spec: ModelSpec
    file: ModelFile
    session: ort.InferenceSession

    def run(self, outputs: list[str], batch: np.ndarray) -> list[np.ndarray]:
        return self.session.run(outputs, {self.spec.input.name: batch})


def load_model(model: str | ModelSpec, *, progress: bool = False) -> Model:
    """The shared session for `model` (a catalog name or a spec), creating it once."""
    spec = model if isinstance(model, ModelSpec) else Catalog().get(model)
    key = (spec.name, spec.file, settings().threads)
    cached = _sessions.get(key)
    if cached is not None and cached.spec == spec:
        return cached  # the hot path: no file lookups once a session exists
    file = fetch(spec, progress=progress)
    with _lock:
        cached = _sessions.get(key)
        if cached is None or cached.spec != spec:
            _sessions[key] = Model(spec, file, _session(spec, file, key[2]))
        return _sessions[key]


def load_model_for(task: str, model: str | ModelSpec, *, progress: bool = False) -> Model:
    """Like `load_model`, refusing a model that cannot do `task`."""
    spec = model if isinstance(model, ModelSpec) else Catalog().get(model)
    if task not in spec.tasks:
        raise WrongTask(f"{spec.name!r} is a {spec.task} model; it cannot {task}")
    return load_model(spec, progress=progress)


def clear_sessions() -> None:
    with _lock:
        _sessions.clear()


def _session(spec: ModelSpec, file: ModelFile, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        graph = _with_embedding_output(spec, onnx.load(str(file.path)))
        return ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        # onnx and onnxruntime raise many types for a bad file; all mean the same here.
        raise InvalidModel(f"{file.path} is not a usable ONNX model for {spec.name!r}: {exc}") from None


def _with_embedding_output(spec: ModelSpec, graph: onnx.ModelProto) -> onnx.ModelProto:
    """Expose the model's feature vector as a float graph output named `embedding`."""
    emb = spec.embedding
    if emb is None:
        return graph
    if emb.scale:
        inputs = [emb.tensor, emb.scale, emb.zero_point or ""]
        node = helper.make_node("DequantizeLinear", inputs, [EMBEDDING_OUTPUT])
    else:
        node = helper.make_node("Identity", [emb.tensor], [EMBEDDING_OUTPUT])
    graph.graph.node.append(node)
    graph.graph.output.append(helper.make_tensor_value_info(EMBEDDING_OUTPUT, TensorProto.FLOAT, None))
    return graph
