"""A second look at a photo the recognizer refuses: its centre, which a work photographed from
afar fills, then the whole photo shrunk, as a close-up's work must be to match the walk-around.

In a far photo the work covers a small part of the picture: the embedding sees mostly wall, and
SIFT at 512 px finds few keypoints on the work, so a third of the hard set's far photos were
refused at 40 works. While the photo is refused, its centre (CENTRES of each side in turn, cut
from a decode that keeps 512 px of detail) is scored as well, and each work keeps its best score:
a photo of a work in the album is then answered, while one of a work outside it, whose centre
matches nothing better, stays refused. Measured on the hard set (`benchmarks/hard_recognizer.py`,
three 12-work sets and one of 40, 2026-12-04): known works refused 8/8/5/9% -> 4/6/5/6%, top-1
99/96/97/92% -> 100/98/97/95%, unknowns refused the same (100/100/100/94%). A stretched-contrast
look at dark photos was tried too: it saved dim photos at 12 works but let 2.4% more unknowns in
at 40, so it is not made. A photo answered at first sight costs nothing more.

Still refused, the photo is shrunk to STEP_BACK and matched with more references per work
(STEP_BACK_COMPARED): scored offline on the refused photos of the six hard sets (three seeds, 12
and 40 works), it answered 0-5 more known works a set, every one named right, and let in one
unknown photo of 402 (at 40 works, seed 2).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
from PIL import Image

from museion.config import settings
from museion.vision import keypoints as kp
from museion.vision.head import COMPARED
from museion.vision.images import ImageSource, open_photo, read_bytes

# Of each side, in turn while the photo is refused: a third of a far photo's width is the work and
# its frame. 0.65 then 0.45 refused 1.2% more unknowns and 1% fewer known works at 40 works than
# 0.6 alone, with the same figures at 12.
CENTRES = (0.65, 0.45)

# Then, still refused, the whole photo shrunk to this longest side: a visitor close to the work, or
# with a third of it cut off, shows it three to four times larger than the walk-around's frames do,
# and SIFT's strongest keypoints at that scale are details the frames never show: such photos of
# the hard set had no inliers with any of their work's references at 512 px, and 88-112 at 256.
STEP_BACK = 256
# The references a shrunk look matches per shortlisted work: those that share its scale are the
# walk-around's closer frames, which are seldom the two whose embedding is closest to the photo's.
STEP_BACK_COMPARED = 4

# A picture's deciding scores per class [C]: the global similarity fused with the keypoint check,
# matching `compared` references of each shortlisted work.
Look = Callable[[Image.Image, int], np.ndarray]


def decided(image: ImageSource, look: Look, threshold: float) -> np.ndarray:
    """The deciding scores [C] of a visitor's photo: its own, and while they refuse it (best below
    `threshold`), the better per class of those and each CENTRES' in turn."""
    if not isinstance(image, str | os.PathLike | bytes | bytearray | memoryview | Image.Image):
        image = read_bytes(image, settings().max_image_bytes)  # a file object is read once, for all
    scores = look(open_photo(image, target_size=kp.decode_size).image, COMPARED)
    if scores.max() >= threshold or not (CENTRES or STEP_BACK):
        return scores
    # One decode for every centre: the one the smallest needs serves the larger ones too.
    photo = open_photo(image, target_size=lambda w, h: kp.decode_size(w, h, min(CENTRES, default=1.0))).image
    for fraction in CENTRES:
        scores = np.maximum(scores, look(centre(photo, fraction), COMPARED))
        if scores.max() >= threshold:
            return scores
    if STEP_BACK:
        scores = np.maximum(scores, look(stepped_back(photo), STEP_BACK_COMPARED))
    return scores


def stepped_back(photo: Image.Image) -> Image.Image:
    """The whole photo, its longest side STEP_BACK: a close-up's work at the walk-around's scale."""
    small = photo.copy()
    small.thumbnail((STEP_BACK, STEP_BACK), Image.Resampling.BOX)
    return small


def centre(photo: Image.Image, fraction: float) -> Image.Image:
    """The middle `fraction` of the photo's width and height, at most kp.SIDE long, as a first look's is."""
    width, height = photo.size
    cut_w, cut_h = max(1, round(width * fraction)), max(1, round(height * fraction))
    left, top = (width - cut_w) // 2, (height - cut_h) // 2
    cut = photo.crop((left, top, left + cut_w, top + cut_h))
    cut.thumbnail((kp.SIDE, kp.SIDE))
    return cut
