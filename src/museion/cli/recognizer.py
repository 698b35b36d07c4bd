"""`museion train` and `museion predict`: build and use a recognizer bundle."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from museion.albums.job_messages import stage_text
from museion.cli._i18n import _
from museion.cli._output import EXIT_BAD_INPUT, emit_json, report_bad_input
from museion.cli.vision import IMAGES, each_good, exit_if_bad
from museion.vision.bundle import Bundle
from museion.vision.catalog import DEFAULT_CLASSIFIER
from museion.vision.images import load_image
from museion.vision.train import TrainOptions, export, read_dataset, train
from museion.vision.video import FPS_MAX, FPS_MIN


@click.command("train")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Bundle .zip to write."
)
@click.option(
    "--fps",
    type=click.FloatRange(FPS_MIN, FPS_MAX),
    default=2.0,
    show_default=True,
    help="Video frames per second.",
)
@click.option("--backbone", default=DEFAULT_CLASSIFIER, show_default=True)
@click.option("--negatives", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of photos of things NOT in the album, to calibrate 'unknown'.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def train_command(
    dataset: Path, out: Path, fps: float, backbone: str, negatives: Path | None, as_json: bool
) -> None:
    """Train a recognizer from DATASET (one folder per class) and export a bundle."""
    data = read_dataset(dataset, fps)
    for problem in data.problems:
        report_bad_input(problem.split(": ", 1)[0], problem.split(": ", 1)[-1])
    if len(data.classes) < 2 or len({item.label for item in data.items}) < 2:
        raise click.ClickException(_("a recognizer needs at least two class folders with pictures in them"))
    negative_images = [load_image(p) for p in sorted(negatives.iterdir()) if p.is_file()] if negatives else []
    with tqdm(total=100, desc="training", unit="%", disable=True if as_json else None, leave=False) as bar:

        def progress(fraction: float, stage: str) -> None:
            bar.set_description(stage_text(stage, _))
            bar.update(round(fraction * 100) - bar.n)

        head, metrics = train(data, TrainOptions(backbone=backbone, fps=fps), negative_images, progress)
        export(out, head, data, metrics, backbone)
    if as_json:
        emit_json(metrics)
    else:
        _print_metrics(metrics, out)
    if data.problems:
        raise SystemExit(EXIT_BAD_INPUT)


def _print_metrics(metrics: dict, out: Path) -> None:
    accuracy = metrics["accuracy"]
    wrote = _("wrote %(out)s: %(classes)s classes, %(pictures)s pictures")
    click.echo(wrote % {"out": out, "classes": len(metrics["classes"]), "pictures": metrics["pictures"]})
    rows: list[tuple[str, str]] = []
    if accuracy is None:
        click.echo("  " + _("no calibration photos"))
    else:
        held_out = _("%(count)s phone photos of held-out pictures") % {"count": metrics["validated"]}
        rows += [
            (_("top-1 on calibration photos"), f"{accuracy:.1%} ({held_out})"),
            (_("known works refused"), f"{metrics['known_refused']:.1%}"),
            (_("works left out refused"), f"{metrics['unknown_refused']:.1%}"),
        ]
    thresholds = _("%(verified).3f with keypoints, %(alone).3f model.onnx alone")
    verified, alone = metrics["verified_threshold"], metrics["unknown_threshold"]
    rows += [
        (_("unknown thresholds"), thresholds % {"verified": verified, "alone": alone}),
        ("", f"({metrics['calibration']['basis']})"),
        (_("export check"), _("ok") if metrics["export_check"]["ok"] else _("MISMATCH")),
        (_("time"), _("%(seconds).1f s") % {"seconds": metrics["seconds"]}),
    ]
    width = max(len(name) for name, _value in rows) + 3
    for name, value in rows:
        click.echo(f"  {name:<{width}}{value}")
    for warning in metrics.get("warnings", []):
        click.echo("  " + _("warning: %(warning)s") % {"warning": warning})


@click.command("predict")
@click.option("--bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@IMAGES
@click.option("--top", "top_k", type=click.IntRange(1), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def predict_command(bundle: Path, images: tuple[str, ...], top_k: int, as_json: bool) -> None:
    """Recognise IMAGES with a trained bundle."""
    loaded = Bundle.load(bundle)
    results, bad = [], []
    for path, result in each_good(images, lambda p: loaded.predict([p], top_k)[0], bad):
        results.append({"image": path, **result})
        if not as_json:
            best = result["predictions"][0]
            verdict = _("not recognized") if result["unknown"] else f"{best['label']} ({best['score']:.0%})"
            click.echo(f"{path}: {verdict}")
    if as_json:
        emit_json(results)
    exit_if_bad(bad)
