"""OCR of page images into the same words and lines as the PDF text layer (textlayer.py).

The engine is RapidOCR (PaddleOCR's PP-OCRv6 small detection and recognition models run by ONNX
Runtime). Its models ship inside the `rapidocr` wheel and are always given by path, so nothing is
ever downloaded (rapidocr would fetch a missing default model). docs/benchmarks.md has the
comparison that chose it.

Each page is read once; a page whose lines stand upright (scanned sideways) is turned a quarter and
read again, and one whose lines score low is read upside down too, the better read kept. The words'
corners are then turned back by the page's skew, so that words on one printed line share one line
here too. Heavy imports (numpy, OpenCV, ONNX Runtime, rapidocr) happen on first use.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError, DocRelayError
from core.models import CheckResult
from core.providers.local.textlayer import Word

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

# The longest image side the models see: 200 dpi A4 is 1654 x 2339 pixels, 300 dpi is cut to this.
MAX_SIDE = 2000
# Text lines are found on a copy of at most this side (PaddleOCR's own default is 960): finding them
# costs a fifth of what it does at full size, and they are read from the full-size image.
DETECTION_SIDE = 1280
# Text boxes the detector is at least this sure of are read (rapidocr's default, 0.5, loses a lone "1"
# in a quantity column; the recogniser's own score still drops specks).
DETECTION_BOX_SCORE = 0.35
# A page whose recognised lines score below this median is tried upside down as well.
UPRIGHT_SCORE = 0.85
# Lines scored below this are noise (specks, stamps), not text.
MIN_LINE_SCORE = 0.5
# The detector pads its boxes: they stand 1.27-1.30 times as tall as the text layer's loose character
# boxes of the same words (measured on samples/*.pdf at 200 dpi), so they are brought to that height
# and lines sit as far apart as the engine's layout rules expect.
BOX_HEIGHT_SCALE = 0.78
# A space between two words in the text layer's measure (its gap over the text's height).
SPACE_WIDTH = 0.25
# Grey levels below this are ink when word boxes are narrowed to their ink.
INK_LEVEL = 128
# Skew beyond this is not corrected (a page photographed at an angle needs perspective, not rotation).
MAX_SKEW_DEGREES = 10.0

MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}

_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()


Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class OcrWord:
    """A recognised word: its corners (top-left, top-right, bottom-right, bottom-left) in pixels."""

    text: str
    confidence: float
    quad: Quad


def engine_description() -> str:
    """What `docrelay doctor` and the result's raw section name as the OCR engine."""
    from importlib.metadata import version

    return f"rapidocr {version('rapidocr')} + onnxruntime {version('onnxruntime')} (PP-OCRv6 small)"


def ocr_check() -> CheckResult:
    """`docrelay doctor`: the OCR engine loads and its models are where the package put them."""
    try:
        _engine()
        detail = f"{engine_description()}; models in {model_folder()}"
        return CheckResult(name="local OCR", ok=True, detail=detail)
    except Exception as exc:  # a broken native library can raise anything
        message = exc.full_message if isinstance(exc, DocRelayError) else f"{exc}; reinstall docrelay"
        return CheckResult(name="local OCR", ok=False, detail=message, error_type="config_error")


def model_folder() -> Path:
    """The models inside the installed rapidocr package (or the frozen bundle's copy of it)."""
    import rapidocr

    return Path(rapidocr.__file__).resolve().parent / "models"


def _engine() -> Any:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _make_engine()
        return _ENGINE


def _make_engine() -> Any:
    try:
        from rapidocr import RapidOCR
    except Exception as exc:  # a broken native library can raise anything on import
        raise ConfigError(
            f"The OCR engine cannot be loaded ({exc})",
            hint="Reinstall docrelay (its OCR engine comes with it).",
        ) from exc
    folder = model_folder()
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.max_side_len": MAX_SIDE,
        "Global.text_score": MIN_LINE_SCORE,
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECTION_SIDE,
        "Det.box_thresh": DETECTION_BOX_SCORE,
        "EngineConfig.onnxruntime.intra_op_num_threads": min(os.cpu_count() or 1, 4),
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    for step, file_name in MODEL_FILES.items():
        path = folder / file_name
        if not path.is_file():
            raise ConfigError(
                f"The OCR model {file_name} is missing from {folder}",
                hint="Reinstall docrelay: the OCR models ship inside it and are never downloaded.",
            )
        params[f"{step}.model_path"] = str(path)
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    _no_spinning()
    return RapidOCR(params=params)


def _no_spinning() -> None:
    """ONNX Runtime's worker threads busy-wait between steps by default: a third of the CPU time of a
    page on two cores, taken from the other work on the machine (an RPA robot, a batch's uploads).
    rapidocr has no setting for it, so its session options get the entry added."""
    try:
        from rapidocr.inference_engine.onnxruntime.main import OrtInferSession
    except ImportError:  # another rapidocr layout: keep its defaults
        return
    make_options = OrtInferSession.__dict__.get("_init_sess_opts")
    if not isinstance(make_options, staticmethod) or getattr(make_options.__func__, "docrelay", False):
        return
    original = make_options.__func__

    def without_spinning(cfg: Any) -> Any:
        options = original(cfg)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return options

    without_spinning.docrelay = True  # type: ignore[attr-defined]
    OrtInferSession._init_sess_opts = staticmethod(without_spinning)  # type: ignore[method-assign]


def recognize(
    image: Image, page_index: int, page_width: float, page_height: float
) -> tuple[list[Word], float, float]:
    """Words of one page image, boxes normalized to the upright page; also the upright page size in
    points (a page scanned sideways is turned, so its width and height swap)."""
    import numpy as np

    pixels = np.asarray(image.convert("RGB"))[:, :, ::-1]  # the models expect BGR
    engine = _engine()
    turns = 0
    lines, score, standing = _read(engine, pixels)
    if standing:  # most lines run up or down the page: it was scanned sideways
        turns = 1
        pixels = np.ascontiguousarray(np.rot90(pixels, 1))
        lines, score, _ = _read(engine, pixels)
    if lines and score < UPRIGHT_SCORE:  # upside-down text reads as low-scored nonsense
        flipped = np.ascontiguousarray(np.rot90(pixels, 2))
        flipped_lines, flipped_score, _ = _read(engine, flipped)
        if flipped_score > score:
            lines, pixels, turns = flipped_lines, flipped, turns + 2
    if turns % 2:
        page_width, page_height = page_height, page_width
    height, width = pixels.shape[:2]
    words = _to_words(_deskewed(lines, width, height), page_index, width, height, page_width)
    return words, page_width, page_height


def _read(engine: Any, pixels: Any) -> tuple[list[list[OcrWord]], float, bool]:
    """The page's lines of words; the median line score (low when read upside down); and whether
    most detected lines stand upright (the page lies on its side)."""
    import numpy as np

    output = engine(pixels, use_det=True, use_cls=False, use_rec=True, return_word_box=True)
    texts = getattr(output, "txts", None) or ()
    if not texts:
        return [], 0.0, False
    boxes = np.asarray(output.boxes, dtype=np.float64)
    widths = np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1)
    heights = np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1)
    standing = int((heights > 2 * widths).sum()) > int((widths > 2 * heights).sum())
    word_results = output.word_results or [()] * len(texts)
    grey = pixels.min(axis=2)  # ink is dark in every channel
    lines: list[list[OcrWord]] = []
    for text, score, quad, found in zip(texts, output.scores, output.boxes, word_results, strict=False):
        words = [
            OcrWord(str(w_text).strip(), float(w_score), _quad(w_box))
            for w_text, w_score, w_box in (found or ())
            if w_box is not None and str(w_text).strip()
        ]
        if not words:  # no word boxes: split the line's box at its spaces, by character count
            words = _split_line(str(text), float(score), _quad(quad))
        lines.append([_tightened(word, grey) for word in words])
    scores = sorted(float(s) for s in output.scores)
    return lines, scores[len(scores) // 2], standing


def _tightened(word: OcrWord, grey: Any) -> OcrWord:
    """The word's box narrowed to its ink: the recogniser's word boxes are padded by up to a
    character's width, which would merge a lone "1" with the unit printed beside it."""
    xs = [x for x, _ in word.quad]
    ys = [y for _, y in word.quad]
    left, right = max(int(min(xs)), 0), min(int(max(xs)) + 1, grey.shape[1])
    top, bottom = max(int(min(ys)), 0), min(int(max(ys)) + 1, grey.shape[0])
    if right - left < 3 or bottom - top < 3:
        return word
    columns = ((grey[top:bottom, left:right] < INK_LEVEL).sum(axis=0) >= 2).nonzero()[0]
    if len(columns) == 0:
        return word
    start = max(int(columns[0]) - 1, 0) / (right - left)
    end = min(int(columns[-1]) + 2, right - left) / (right - left)
    if end - start < 0.3:  # too little ink to trust (a faint word): keep the recogniser's box
        return word
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = word.quad
    return OcrWord(
        word.text,
        word.confidence,
        (
            (ax + (bx - ax) * start, ay + (by - ay) * start),
            (ax + (bx - ax) * end, ay + (by - ay) * end),
            (dx + (cx - dx) * end, dy + (cy - dy) * end),
            (dx + (cx - dx) * start, dy + (cy - dy) * start),
        ),
    )


def _quad(points: Any) -> Quad:
    p = [(float(x), float(y)) for x, y in points]
    return (p[0], p[1], p[2], p[3])


def _split_line(text: str, score: float, quad: Quad) -> list[OcrWord]:
    tokens = text.split()
    total = max(sum(len(t) for t in tokens) + len(tokens) - 1, 1)
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = quad

    def top(f: float) -> tuple[float, float]:
        return (ax + (bx - ax) * f, ay + (by - ay) * f)

    def bottom(f: float) -> tuple[float, float]:
        return (dx + (cx - dx) * f, dy + (cy - dy) * f)

    words = []
    done = 0
    for token in tokens:
        start, end = done / total, (done + len(token)) / total
        words.append(OcrWord(token, score, (top(start), top(end), bottom(end), bottom(start))))
        done += len(token) + 1
    return words


def skew_degrees(lines: list[list[OcrWord]]) -> float:
    """The page's skew: the median slope of the text lines' top edges, long lines counting more."""
    slopes: list[tuple[float, float]] = []
    for line in lines:
        (ax, ay), (bx, by) = line[0].quad[0], line[-1].quad[1]
        length = math.hypot(bx - ax, by - ay)
        if length > 0 and bx > ax:
            slopes.append((math.degrees(math.atan2(by - ay, bx - ax)), length))
    if not slopes:
        return 0.0
    slopes.sort()
    half, running = sum(w for _, w in slopes) / 2, 0.0
    for angle, weight in slopes:
        running += weight
        if running >= half:
            return angle if abs(angle) <= MAX_SKEW_DEGREES else 0.0
    return 0.0


def _deskewed(lines: list[list[OcrWord]], width: int, height: int) -> list[list[OcrWord]]:
    """The words' corners turned about the page centre so that the text lines lie level."""
    angle = skew_degrees(lines)
    if abs(angle) < 0.05:
        return lines
    theta = math.radians(-angle)
    cos, sin = math.cos(theta), math.sin(theta)
    mx, my = width / 2, height / 2

    def turn(point: tuple[float, float]) -> tuple[float, float]:
        x, y = point[0] - mx, point[1] - my
        return (mx + x * cos - y * sin, my + x * sin + y * cos)

    return [[OcrWord(w.text, w.confidence, _turned(w.quad, turn)) for w in line] for line in lines]


def _turned(quad: Quad, turn: Callable[[tuple[float, float]], tuple[float, float]]) -> Quad:
    return (turn(quad[0]), turn(quad[1]), turn(quad[2]), turn(quad[3]))


def _to_words(
    lines: list[list[OcrWord]], page_index: int, width: int, height: int, page_width: float
) -> list[Word]:
    """Words as textlayer.Word: boxes normalized to the page, size in points like the text layer's.

    Ink-tight boxes stand further apart than the text layer's loose ones: inside one detected line
    a gap narrower than the text is high is a space, and is given a space's width (SPACE_WIDTH)."""
    points_per_pixel = page_width / max(width, 1)
    words: list[Word] = []
    for line in lines:
        boxes: list[tuple[OcrWord, float, float, float, float]] = []
        for word in line:
            xs = [min(max(float(x), 0.0), width) for x, _ in word.quad]
            ys = [min(max(float(y), 0.0), height) for _, y in word.quad]
            x1, x2, y1, y2 = min(xs), max(xs), min(ys), max(ys)
            if x2 <= x1 or y2 <= y1:
                continue
            middle, half = (y1 + y2) / 2, (y2 - y1) * BOX_HEIGHT_SCALE / 2
            boxes.append((word, x1, x2, middle - half, middle + half))
        for i, (word, x1, x2, y1, y2) in enumerate(boxes):
            if i + 1 < len(boxes):
                next_x1 = boxes[i + 1][1]
                if 0 < next_x1 - x2 < (y2 - y1):
                    x2 = max(x2, next_x1 - SPACE_WIDTH * (y2 - y1))
            words.append(
                Word(
                    text=word.text,
                    page=page_index,
                    x1=x1 / width,
                    y1=y1 / height,
                    x2=x2 / width,
                    y2=y2 / height,
                    size=(y2 - y1) * points_per_pixel,
                    page_width=page_width,
                    confidence=round(word.confidence, 4),
                )
            )
    return words
