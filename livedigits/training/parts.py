"""The default model's slow training parts, rendered once and shipped with the package.

Rendering the digit styles and the not-a-digit examples and augmenting digits.png
take about 16 s of one core, and fitting the projection 2-3 s more: a first run
spent them before reading anything. ``scripts/build_default_parts.py`` renders
them once into ``livedigits/data/default-parts.npz`` (with the generator's state
after the augmentation and the default model's projection), and ``fit.fit``
takes them from there: a first run only deskews, describes and projects the
25,000 cells (about 0.5 s), and a profile's model reuses the parts it shares with the
default one. The held-out model (digits.png's last ten columns left out: the demo's and
the tests') has its own file, since its augmented copies differ.

The file carries the recipe, digits.png's hash and the parameters it was rendered
with; a file that does not match this package's recipe or digits.png is not used
(the parts are rendered as before). Loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from livedigits.atomic import write_npz_atomic
from livedigits.paths import PACKAGE_DIR, digits_png
from livedigits.training.model import ModelParams

log = logging.getLogger(__name__)

PARTS_FORMAT = 1
#: The shipped parts: the default model's, and the held-out model's (``ModelParams(holdout=True)``:
#: the demo's, which must not have seen the digits it draws), whose augmented copies differ.
SHIPPED = PACKAGE_DIR / "data" / "default-parts.npz"
SHIPPED_HOLDOUT = PACKAGE_DIR / "data" / "holdout-parts.npz"


@dataclass
class Parts:
    """Rendered parts of a training set.

    Attributes
    ----------
    params : ModelParams they were rendered for
    sheet : str, ``build.sheet_hash`` of the digits.png they were rendered from
    recipe : int, ``build.RECIPE`` they were rendered by
    style_cells : (S, 20, 20) uint8, ``styles.render_all``'s cells; style_digits : (S,) int32
    negative_cells : (R, 20, 20) uint8, ``negatives.render_all``'s cells;
        negative_kinds : (R,) int32
    augmented : (copies * (5000 + S), 20, 20) uint8, ``cells.augment`` of digits.png's
        cells and the styles'
    rng_state : dict, ``bit_generator.state`` of ``fit``'s generator after augmenting
    projection : (512, dims) float32, the projection fitted on that training set
    """

    params: ModelParams
    sheet: str
    recipe: int
    style_cells: np.ndarray
    style_digits: np.ndarray
    negative_cells: np.ndarray
    negative_kinds: np.ndarray
    augmented: np.ndarray
    rng_state: dict
    projection: np.ndarray

    def save(self, path: Path) -> Path:
        """Write the parts as a compressed ``.npz``, atomically; returns the path."""
        return write_npz_atomic(path, dict(
            format_version=np.int32(PARTS_FORMAT),
            params=np.array(self.params.to_json()),
            sheet=np.array(self.sheet),
            recipe=np.int32(self.recipe),
            style_cells=self.style_cells,
            style_digits=self.style_digits,
            negative_cells=self.negative_cells,
            negative_kinds=self.negative_kinds,
            augmented=self.augmented,
            rng_state=np.array(json.dumps(self.rng_state, sort_keys=True)),
            projection=self.projection,
        ), compressed=True)


def load(path: Path) -> Parts:
    """Read a parts file; raises ValueError (with the reason) on anything wrong."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format_version"]) != PARTS_FORMAT:
                raise ValueError(f"format {int(data['format_version'])}, not {PARTS_FORMAT}")
            raw = json.loads(str(data["params"]))
            state = json.loads(str(data["rng_state"]))
            if not isinstance(raw, dict) or not isinstance(state, dict):
                raise ValueError("params or rng_state is not an object")
            loaded = Parts(
                params=ModelParams(**raw), sheet=str(data["sheet"]),
                recipe=int(data["recipe"]),
                style_cells=np.ascontiguousarray(data["style_cells"], np.uint8),
                style_digits=np.ascontiguousarray(data["style_digits"], np.int32),
                negative_cells=np.ascontiguousarray(data["negative_cells"], np.uint8),
                negative_kinds=np.ascontiguousarray(data["negative_kinds"], np.int32),
                augmented=np.ascontiguousarray(data["augmented"], np.uint8),
                rng_state=state,
                projection=np.ascontiguousarray(data["projection"], np.float32),
            )
    except (OSError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    cells = (loaded.style_cells, loaded.negative_cells, loaded.augmented)
    if any(c.ndim != 3 or c.shape[1:] != (20, 20) for c in cells) or \
            len(loaded.style_digits) != len(loaded.style_cells) or \
            len(loaded.negative_kinds) != len(loaded.negative_cells) or \
            loaded.projection.shape != (512, loaded.params.dims):
        raise ValueError("arrays of inconsistent shapes")
    return loaded


@lru_cache(maxsize=2)
def shipped(holdout: bool = False) -> Parts | None:
    """The package's parts (the held-out model's with ``holdout``) when they fit this
    package's recipe and digits.png, else None."""
    from livedigits.training.build import RECIPE, sheet_hash

    path = SHIPPED_HOLDOUT if holdout else SHIPPED
    if not path.is_file():
        log.info("no shipped training parts (%s): rendering them", path)
        return None
    try:
        found = load(path)
    except ValueError as exc:
        log.warning("ignoring damaged shipped training parts %s (%s); reinstall livedigits",
                    path, exc)
        return None
    if found.recipe != RECIPE or found.sheet != sheet_hash(digits_png()):
        log.warning("shipped training parts %s are for another recipe or digits.png; "
                    "rebuild them with scripts/build_default_parts.py", path)
        return None
    return found
