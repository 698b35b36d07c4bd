"""`museion classify` and `museion detect`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import click

from museion.cli._i18n import _, ngettext, vision_message
from museion.cli._output import EXIT_BAD_INPUT, emit_json, report_bad_input
from museion.vision import catalog
from museion.vision.classify import classify as classify_image
from museion.vision.detect import Detection
from museion.vision.detect import detect as detect_objects
from museion.vision.draw import draw
from museion.vision.errors import ImageError, InvalidLanguage
from museion.vision.images import open_photo
from museion.vision.languages import ENGLISH, from_environment, parse_lang
from museion.vision.runtime import load_model_for

T = TypeVar("T")
IMAGES = click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False))


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        return from_environment(os.environ)
    try:
        return parse_lang(value)
    except InvalidLanguage as exc:
        raise click.BadParameter(vision_message(exc.message)) from None


LANG = click.option(
    "--lang",
    callback=_language,
    help="The labels' language: zh-hans, fr, de or en (default: from LC_ALL / LANG, else English).",
)


def localized(item: dict, spec: catalog.ModelSpec, lang: str) -> dict:
    """A result in `lang`, `label_en` keeping the English common name; English stays as it was."""
    english = catalog.first_synonym(item["label"])
    if lang == ENGLISH:
        return {**item, "label_en": english}
    return {**item, "label": spec.common_label(item["index"], lang), "label_en": english}


def each_good(paths: tuple[str, ...], work: Callable[[str], T], bad: list[str]) -> Iterator[tuple[str, T]]:
    """Run `work` on each path, reporting bad inputs (added to `bad`) and carrying on."""
    for path in paths:
        try:
            yield path, work(path)
        except ImageError as exc:
            bad.append(path)
            report_bad_input(path, exc)


def exit_if_bad(bad: list[str]) -> None:
    """Exit 3 once every result is out, if any input was bad."""
    if bad:
        raise SystemExit(EXIT_BAD_INPUT)


@click.command()
@IMAGES
@click.option("--model", default=catalog.DEFAULT_CLASSIFIER, show_default=True)
@click.option("--top", "top_k", type=click.IntRange(1), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@LANG
def classify(images: tuple[str, ...], model: str, top_k: int, as_json: bool, lang: str) -> None:
    """Say what each image shows, with probabilities."""
    spec = load_model_for("classify", model, progress=True).spec
    results, bad = [], []
    for path, predictions in each_good(images, lambda p: classify_image(p, model, top_k), bad):
        items = [localized(p.to_dict(), spec, lang) for p in predictions]
        results.append({"image": path, "model": model, "lang": lang, "predictions": items})
        if not as_json:
            click.echo(path)
            for p in items:
                click.echo(f"  {p['score']:7.2%}  {p['label']}")
    if as_json:
        emit_json(results)
    exit_if_bad(bad)


@click.command()
@IMAGES
@click.option("--model", default=catalog.DEFAULT_DETECTOR, show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.3, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Write annotated images here.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@LANG
def detect(
    images: tuple[str, ...], model: str, threshold: float, out: Path | None, as_json: bool, lang: str
) -> None:
    """Find objects in each image and give their boxes."""
    spec = load_model_for("detect", model, progress=True).spec
    results, written, bad = [], set(), []

    def work(path: str) -> dict:
        # With --out the picture is decoded in full, since the drawing needs every pixel.
        photo = open_photo(path, target_size=None if out else spec.input.decode_size)
        found = detect_objects(photo, model, threshold)
        if out:
            written.add(_write_annotated(out, path, photo.image, found, written))
        return {"image": path, "model": model, "lang": lang, "width": photo.width, "height": photo.height,
                "detections": [localized(d.to_dict(), spec, lang) for d in found]}  # fmt: skip

    for _path, result in each_good(images, work, bad):
        results.append(result)
        if not as_json:
            _print_detections(result)
    if as_json:
        emit_json(results)
    exit_if_bad(bad)


def _print_detections(result: dict) -> None:
    found = result["detections"]
    size = f"{result['width']}x{result['height']}"
    line = ngettext(
        "%(image)s (%(size)s): %(count)s found", "%(image)s (%(size)s): %(count)s found", len(found)
    )
    click.echo(line % {"image": result["image"], "size": size, "count": len(found)})
    for d in found:
        box = ", ".join(f"{v:.0f}" for v in d["box"])
        click.echo(f"  {d['score']:7.2%}  {d['label']}  [{box}]")


def _write_annotated(out: Path, source: str, image: object, found: list[Detection], taken: set[Path]) -> Path:
    stem = Path(source).stem
    target, n = out / f"{stem}.jpg", 1
    while target in taken:
        n += 1
        target = out / f"{stem}-{n}.jpg"
    try:
        out.mkdir(parents=True, exist_ok=True)
        draw(image, found).save(target, quality=90)  # type: ignore[arg-type]
    except OSError as exc:
        # The output folder, not the input, is at fault: stop with exit code 1.
        reason = {"target": target, "reason": exc.strerror or exc}
        raise click.ClickException(_("cannot write %(target)s: %(reason)s") % reason) from None
    return target
