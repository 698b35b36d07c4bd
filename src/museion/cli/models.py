"""`museion models`: list, pull, import and remove models."""

from __future__ import annotations

from pathlib import Path

import click

from museion.cli._i18n import _
from museion.cli._output import emit_json
from museion.vision import catalog
from museion.vision.catalog import Catalog, InputSpec, ModelSpec
from museion.vision.fetch import fetch, locate
from museion.vision.importer import import_model, read_labels, remove_model


@click.group()
def models() -> None:
    """Manage the model catalog."""


def describe(spec: ModelSpec) -> dict:
    found = locate(spec)
    return {
        "name": spec.name,
        "title": spec.title,
        "task": spec.task,
        "tasks": list(spec.tasks),
        "builtin": spec.builtin,
        "classes": len(spec.labels),
        "license": spec.license,
        "file": spec.file,
        "url": spec.url,
        "sha256": spec.sha256,
        "available": found is not None,
        "source": found.source if found else None,
        "path": str(found.path) if found else None,
        "local_sha256": found.sha256 if found else None,
        "derived_from": str(found.origin) if found and found.origin else None,
        "input": {"size": list(spec.input.size), "resize": spec.input.resize, "color": spec.input.color},
    }


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
def list_models(as_json: bool) -> None:
    """Show every model, and where its file is on this machine."""
    rows = [describe(spec) for spec in Catalog().all().values()]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        where = f"{row['source']}: {row['path']}" if row["available"] else _("not here (museion models pull)")
        classes = _("%(count)5d classes") % {"count": row["classes"]}
        click.echo(f"{row['name']:24} {row['task']:9} {classes}  {where}")


@models.command()
@click.argument("names", nargs=-1)
def pull(names: tuple[str, ...]) -> None:
    """Make models available here: from the cache, a mirror folder, or a download.

    With no NAME, every built-in model.
    """
    cat = Catalog()
    for name in names or tuple(catalog.BUILTIN):
        file = fetch(cat.get(name), progress=True)
        source = (
            _("%(source)s from %(origin)s") % {"source": file.source, "origin": file.origin}
            if file.origin
            else file.source
        )
        click.echo(f"{name}: {file.path} ({source})")


@models.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Catalog name for the model.")
@click.option("--task", type=click.Choice(catalog.TASKS), required=True)
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Text file, one class name a line, in output order.")  # fmt: skip
@click.option("--size", type=int, nargs=2, metavar="W H", help="Input size (default: from the model).")
@click.option(
    "--color", type=click.Choice(["RGB", "BGR"], case_sensitive=False), default="RGB", show_default=True
)
@click.option("--pixel-max", type=click.Choice(["1", "255"]), default="1", show_default=True,
              help="Pixel range the model expects before mean/std: 0..1 or 0..255.")  # fmt: skip
@click.option("--mean", type=float, nargs=3, default=(0.0, 0.0, 0.0), show_default=True)
@click.option("--std", type=float, nargs=3, default=(1.0, 1.0, 1.0), show_default=True)
@click.option("--resize", type=click.Choice(catalog.RESIZE_MODES), default="crop", show_default=True)
@click.option("--resize-short", type=int, help="With --resize crop: short side before the centre crop.")
@click.option("--output", help="Output tensor to read (default: the first).")
@click.option("--output-kind", type=click.Choice(catalog.OUTPUT_KINDS), default="logits", show_default=True)
@click.option("--license", "license_", default="unknown", show_default=True)
def import_(file: Path, name: str, task: str, labels: Path | None, size: tuple[int, int] | None,
            color: str, pixel_max: str, mean: tuple[float, float, float], std: tuple[float, float, float],
            resize: str, resize_short: int | None, output: str | None, output_kind: str,
            license_: str) -> None:  # fmt: skip
    """Register your own ONNX model FILE in the catalog."""
    input_spec = InputSpec(
        name="", size=size or (0, 0), color=color.upper(),  # type: ignore[arg-type]
        scale=1 / 255 if pixel_max == "1" else 1.0, mean=mean, std=std,
        resize=resize, resize_short=resize_short,  # type: ignore[arg-type]
    )  # fmt: skip
    spec = import_model(
        file, name=name, task=task, input=input_spec,  # type: ignore[arg-type]
        labels=read_labels(labels) if labels else (),
        output=output, output_kind=output_kind, license=license_,
    )  # fmt: skip
    imported = _("imported %(name)s (%(task)s, %(count)s classes, input %(size)s)")
    click.echo(
        imported % {"name": spec.name, "task": spec.task, "count": len(spec.labels), "size": spec.input.size}
    )


@models.command()
@click.argument("name")
def remove(name: str) -> None:
    """Forget an imported model, or delete a built-in model's cached file."""
    spec = Catalog().get(name)
    removed = remove_model(spec)
    if removed:
        click.echo(_("removed %(path)s") % {"path": removed})
    elif spec.builtin:
        click.echo(
            _("%(name)s has no cached copy here (files in mirror folders are never removed)") % {"name": name}
        )
    else:
        click.echo(_("forgot %(name)s") % {"name": name})
