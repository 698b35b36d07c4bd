"""The `museion` command line: a thin layer over `museion.vision`.

Exit codes: 0 success, 1 an error that stops the command (a model that cannot
be found, say), 2 a usage error, 3 when some inputs of a batch were bad (the
others were still processed).
"""

from __future__ import annotations

import logging
import os

import click

from museion import __version__
from museion.cli._i18n import vision_message
from museion.cli.cleanup import cleanup
from museion.cli.models import models
from museion.cli.recognizer import predict_command, train_command
from museion.cli.serve import serve, worker
from museion.cli.users import users
from museion.cli.vision import classify, detect
from museion.cli.workspaces import workspaces
from museion.config import ConfigError, checkout_mirror
from museion.vision.errors import VisionError


class MuseionGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (VisionError, ConfigError) as exc:
            # Errors meant for the user: one line on stderr, exit code 1, no traceback.
            message = vision_message(exc) if isinstance(exc, VisionError) else str(exc)
            raise click.ClickException(message) from None


@click.group(cls=MuseionGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="museion")
def cli() -> None:
    """Museion: self-hosted image recognition."""


cli.add_command(classify)
cli.add_command(cleanup)
cli.add_command(detect)
cli.add_command(models)
cli.add_command(serve)
cli.add_command(worker)
cli.add_command(users)
cli.add_command(workspaces)
cli.add_command(train_command)
cli.add_command(predict_command)


def use_checkout_mirror() -> None:
    """Run from a checkout, `museion` finds the built-in models in `../shared/models`, as `make` does.

    Only when MUSEION_MODEL_MIRROR is not set at all: an operator's value, even empty, is kept.
    """
    if "MUSEION_MODEL_MIRROR" not in os.environ and (folder := checkout_mirror()) is not None:
        os.environ["MUSEION_MODEL_MIRROR"] = str(folder)


def main() -> None:
    logging.basicConfig(format="museion: %(levelname)s: %(message)s", level=logging.WARNING)
    use_checkout_mirror()
    cli.main(prog_name="museion")
