"""Adding one work to a trained album (issue 12: recognised in <= 5 s, without re-embedding the others).

On each hard collection of `benchmarks/hardset.py`, through the real web path in process (the
video and train jobs run inline with `jobs.run`, as the Celery worker runs them):

1. An album of every work but the last is filled from the works' clips and trained: version 1.
2. The last work is added as a curator adds it: a new class, its clip uploaded, its video job,
   then a train job: version 2. This is what is timed (wall and CPU seconds, the load average
   beside them), against step 1 in the same run; and every embedding computed during it is
   counted by the media item it belongs to, so that re-embedding another work's picture shows.
3. Version 2 answers the collection's visitors' photos through the server's own function
   (`albums.recognize.recognize`): top-1 and refusals for the new work's photos, for the other
   works' photos, and the unknowns refused; version 1's figures on the other works beside them.

MUSEION_THREADS is 1 unless set, as in the worker `museion serve` starts.

    .venv/bin/python benchmarks/hardset.py var/hardset/w12-s0 --works 12 --seed 0   # seeds 1, 2
    .venv/bin/python benchmarks/enrol.py var/hardset/w12-s* --json var/enrol.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 5.0


def note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def start_django(home: Path) -> None:
    os.environ.setdefault("MUSEION_MODEL_MIRROR", str(REPO.parent / "shared" / "models"))
    os.environ.setdefault("MUSEION_THREADS", "1")
    os.environ["MUSEION_HOME"] = str(home)
    os.environ["DJANGO_SETTINGS_MODULE"] = "museion.web.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@contextmanager
def counting_embeddings() -> Iterator[Counter]:
    """Count the pictures embedded meanwhile (each call of the backbone, by its number of images)."""
    from museion.albums import training
    from museion.vision import train as pipeline

    counts: Counter = Counter()
    originals = {module: module.embed for module in (training, pipeline)}

    def counted(original: Callable) -> Callable:
        def embed(images: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
            counts["pictures"] += len(images)
            return original(images, *args, **kwargs)

        return embed

    for module, original in originals.items():
        module.embed = counted(original)
    try:
        yield counts
    finally:
        for module, original in originals.items():
            module.embed = original


@contextmanager
def timed(into: dict, key: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    into[key] = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}


def run_job(job_id: int, work: Callable) -> None:
    from museion.albums import jobs
    from museion.albums.models import Job

    jobs.run(job_id, work)
    job = Job.objects.get(pk=job_id)
    if job.status != Job.Status.SUCCEEDED:
        raise RuntimeError(f"the {job.kind} job {job_id} ended {job.status}: {job.error}")


def add_work(album: Any, folder: Path) -> int:
    """The curator's steps for one work: a class, its clip uploaded and read. The frames kept."""
    from museion.albums import media, services, training

    info = json.loads((folder / "info.json").read_text()) if (folder / "info.json").is_file() else {}
    found = services.create_class(album, {"name": folder.name, "title": info.get("title", folder.name)})
    clip = next(p for p in sorted(folder.iterdir()) if p.suffix == ".mp4")
    added = media.add_upload(found, clip.name, clip.read_bytes())  # services.add_media, less the queue
    run_job(added.job.pk, training.extract_video)
    added.job.video.refresh_from_db()
    return added.job.video.frames


def train(album: Any) -> Any:
    from museion.albums import training
    from museion.albums.models import Job

    job = Job.objects.create(album=album, kind=Job.Kind.TRAIN, stage="queued")  # as start_training does
    run_job(job.pk, training.train_album)
    return album.versions.order_by("-number").first()


def answers(version: Any, collection: Path) -> list[dict]:
    from museion.albums.recognize import recognize

    manifest = json.loads((collection / "visitors" / "manifest.json").read_text())
    out = []
    for entry in manifest:
        answer = recognize(version, (collection / entry["file"]).read_bytes(), lambda found: None)
        best = answer["predictions"][0]["label"] if answer["predictions"] else None
        out.append({"work": entry.get("work"), "kind": entry["kind"], "best": best,
                    "unknown": answer["unknown"]})  # fmt: skip
    return out


def figures(rows: list[dict], works: set[str]) -> dict:
    known = [r for r in rows if r["kind"] == "known" and r["work"] in works]
    return {
        "photos": len(known),
        "top1": _share([r["best"] == r["work"] for r in known]),
        "known_refused": _share([r["unknown"] for r in known]),
        "answered_right": _share([r["best"] == r["work"] and not r["unknown"] for r in known]),
    }


def unknowns_refused(rows: list[dict]) -> float | None:
    return _share([r["unknown"] for r in rows if r["kind"] != "known"])


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def measure(collection: Path) -> dict:
    from museion.accounts.models import User
    from museion.accounts.workspaces import personal_workspace
    from museion.albums import services
    from museion.albums.models import Embedding

    folders = sorted(p for p in (collection / "album").iterdir() if p.is_dir())
    old, new = folders[:-1], folders[-1]
    user = User.objects.create_user(email=f"curator-{collection.name}@museum.example", password=None)
    album = services.create_album(user, personal_workspace(user), collection.name)
    report: dict[str, Any] = {"set": collection.name, "works_before": len(old), "new_work": new.name}
    load_before = os.getloadavg()[0]
    with timed(report, "first_training"):
        for folder in old:
            add_work(album, folder)
        v1 = train(album)
    stamps = dict(Embedding.objects.values_list("media_id", "vectors"))
    load_mid = os.getloadavg()[0]
    with counting_embeddings() as counts, timed(report, "enrol"):
        with timed(report, "enrol_video_job"):
            report["new_frames"] = add_work(album, new)
        with timed(report, "enrol_train_job"):
            v2 = train(album)
    report["embedded_during_enrol"] = counts["pictures"]
    report["other_works_re_embedded"] = sum(
        1 for media_id, vectors in Embedding.objects.values_list("media_id", "vectors")
        if media_id in stamps and bytes(vectors) != bytes(stamps[media_id])
    )  # fmt: skip
    report["load_average"] = [round(load_before, 2), round(load_mid, 2), round(os.getloadavg()[0], 2)]
    note(f"{collection.name}: scoring the visitors' photos with both versions")
    rows1, rows2 = answers(v1, collection), answers(v2, collection)
    before = {f.name for f in old}
    report["v1_other_works"] = figures(rows1, before)
    report["v2_other_works"] = figures(rows2, before)
    report["v2_new_work"] = figures(rows2, {new.name})
    report["v1_new_work_refused"] = _share([r["unknown"] for r in rows1 if r["work"] == new.name])
    report["v1_unknowns_refused"] = unknowns_refused(rows1)
    report["v2_unknowns_refused"] = unknowns_refused(rows2)
    report["v2_published"] = album.versions.get(number=v2.number).album.published_version_id == v2.pk
    return report


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def markdown(results: list[dict]) -> str:
    lines = [
        "| set | first training wall / CPU s | add one work wall / CPU s (video job + train job) | "
        "pictures embedded | others re-embedded | new work top-1 / refused | other works top-1 / refused, "
        "before -> after | unknowns refused before -> after | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        first, enrol = r["first_training"], r["enrol"]
        video, job = r["enrol_video_job"], r["enrol_train_job"]
        o1, o2, n2 = r["v1_other_works"], r["v2_other_works"], r["v2_new_work"]
        lines.append(
            f"| {r['set']} ({r['works_before']}+1 works) | {first['wall_s']} / {first['cpu_s']} | "
            f"{enrol['wall_s']} / {enrol['cpu_s']} ({video['wall_s']} + {job['wall_s']}) | "
            f"{r['embedded_during_enrol']} ({r['new_frames']} new frames) | {r['other_works_re_embedded']} | "
            f"{pct(n2['top1'])} / {pct(n2['known_refused'])} | "
            f"{pct(o1['top1'])} / {pct(o1['known_refused'])} -> "
            f"{pct(o2['top1'])} / {pct(o2['known_refused'])} | "
            f"{pct(r['v1_unknowns_refused'])} -> {pct(r['v2_unknowns_refused'])} | "
            f"{' / '.join(str(x) for x in r['load_average'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", type=Path, nargs="*", help="folders written by benchmarks/hardset.py")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--merge", type=Path, nargs="+", help="print the table of earlier --json files")
    args = parser.parse_args()
    if args.merge:
        print(markdown([r for path in args.merge for r in json.loads(path.read_text())]))
        return
    logging.basicConfig(format="note: %(message)s", level=logging.WARNING, stream=sys.stderr)
    results = []
    with tempfile.TemporaryDirectory(prefix="museion-enrol-") as tmp:
        start_django(Path(tmp) / "home")
        for collection in args.sets:
            note(f"{collection.name}: training on all works but one, then adding it")
            results.append(measure(collection))
            if args.json:
                args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    print(f"\ntarget: one work added and recognised in <= {TARGET_S:.0f} s")


if __name__ == "__main__":
    main()
