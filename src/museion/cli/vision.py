"""`museion classify` and `museion detect`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import click

from museion.cli._output import EXIT_BAD_INPUT, emit_json, report_bad_input
from museion.vision import catalog
from museion.vision.classify import classify as classify_image
from museion.vision.detect import Detection
from museion.vision.detect import detect as detect_objects
from museion.vision.draw import draw
from museion.vision.errors import ImageError
from museion.vision.images import open_photo
from museion.vision.runtime import load_model_for

T = TypeVar("T")
IMAGES = click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))


def each_good(paths: tuple[str, ...], work: Callable[[str], T]) -> Iterator[tuple[str, T]]:
    """Run `work` on each path, reporting bad inputs and carrying on; exit 3 if any was bad."""
    bad = 0
    for path in paths:
        try:
            yield path, work(path)
        except ImageError as exc:
            bad += 1
            report_bad_input(path, exc)
    if bad:
        raise SystemExit(EXIT_BAD_INPUT)


@click.command()
@IMAGES
@click.option("--model", default=catalog.DEFAULT_CLASSIFIER, show_default=True)
@click.option("--top", "top_k", type=click.IntRange(1), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def classify(images: tuple[str, ...], model: str, top_k: int, as_json: bool) -> None:
    """Say what each image shows, with probabilities."""
    load_model_for("classify", model, progress=True)
    results = []
    for path, predictions in each_good(images, lambda p: classify_image(p, model, top_k)):
        results.append({"image": path, "model": model, "predictions": [p.to_dict() for p in predictions]})
        if not as_json:
            click.echo(path)
            for p in predictions:
                click.echo(f"  {p.score:7.2%}  {p.label}")
    if as_json:
        emit_json(results)


@click.command()
@IMAGES
@click.option("--model", default=catalog.DEFAULT_DETECTOR, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.3, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write annotated images here.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def detect(images: tuple[str, ...], model: str, threshold: float, out: Path | None, as_json: bool) -> None:
    """Find objects in each image and give their boxes."""
    spec = load_model_for("detect", model, progress=True).spec
    results, written = [], set()

    def work(path: str) -> dict:
        # With --out the picture is decoded in full, since the drawing needs every pixel.
        photo = open_photo(path, target_size=None if out else spec.input.decode_size)
        found = detect_objects(photo, model, threshold)
        if out:
            written.add(_write_annotated(out, path, photo.image, found, written))
        return {"image": path, "model": model, "width": photo.width, "height": photo.height,
                "detections": [d.to_dict() for d in found]}  # fmt: skip

    for _path, result in each_good(images, work):
        results.append(result)
        if not as_json:
            _print_detections(result)
    if as_json:
        emit_json(results)


def _print_detections(result: dict) -> None:
    found = result["detections"]
    click.echo(f"{result['image']} ({result['width']}x{result['height']}): {len(found)} found")
    for d in found:
        box = ", ".join(f"{v:.0f}" for v in d["box"])
        click.echo(f"  {d['score']:7.2%}  {d['label']}  [{box}]")


def _write_annotated(out: Path, source: str, image: object, found: list[Detection], taken: set[Path]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(source).stem
    target, n = out / f"{stem}.jpg", 1
    while target in taken:
        n += 1
        target = out / f"{stem}-{n}.jpg"
    draw(image, found).save(target, quality=90)  # type: ignore[arg-type]
    return target
