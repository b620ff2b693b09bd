"""Tracks on hand-held footage: the demo's sheet on a desk, swaying up to 8 px a frame,
turning up to 6 degrees, zooming, blurred and JPEG-compressed (synthetic/handheld.py)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

FRAMES = 40


@pytest.fixture(scope="module")
def followed(holdout_recognizer):
    """Per frame, each digit wholly in view: (digit index, truth box, live detection and
    its track id or None, the detection read from that frame alone or None)."""
    from livedigits.live.demo_source import DemoSource
    from livedigits.live.pipeline import Pipeline
    from livedigits.synthetic.camera import wholly_inside
    from livedigits.synthetic.synth import warp_boxes

    source = DemoSource(width=1280, height=720, frames=FRAMES, seed=0)
    pipeline = Pipeline(holdout_recognizer)
    seen = []
    for index in range(FRAMES):
        image = source.render(index)
        boxes = warp_boxes(source.boxes.astype(np.float32), source.homography(index))
        in_view = np.flatnonzero(wholly_inside(boxes, 1280, 720))
        result = pipeline.process(image, index)
        alone = holdout_recognizer.recognize(image)
        for w in in_view:
            live = _nearest(result.detections, boxes[w])
            track = None if live is None else result.tracked.track_ids[live]
            still = _nearest(alone, boxes[w])
            seen.append((int(w), boxes[w], None if live is None else result.detections[live],
                         track, None if still is None else alone[still]))
    return source, seen


def _nearest(detections, box) -> int | None:
    """The detection whose centre is nearest ``box``'s, within 0.6 of its height."""
    x, y, w, h = box
    best, best_d = None, 0.6 * h
    for k, d in enumerate(detections):
        dist = np.hypot(d.x + d.w / 2 - (x + w / 2), d.y + d.h / 2 - (y + h / 2))
        if dist < best_d:
            best, best_d = k, dist
    return best


def test_each_digit_keeps_one_track_and_no_box_lags_the_page(followed):
    _, seen = followed
    tracks = defaultdict(set)
    for w, box, live, track, _ in seen:
        if live is not None:
            tracks[w].add(track)
            lag = np.hypot(live.x + live.w / 2 - (box[0] + box[2] / 2),
                           live.y + live.h / 2 - (box[1] + box[3] / 2))
            assert lag <= 0.25 * box[3], (w, lag, box)
    assert len(tracks) >= 55
    assert all(len(ids) == 1 for ids in tracks.values()), {
        w: ids for w, ids in tracks.items() if len(ids) > 1}
    found = sum(live is not None for _, _, live, _, _ in seen)
    assert found >= 0.99 * len(seen)


def test_live_reads_about_as_well_as_each_frame_alone(followed):
    # Measured on these 40 frames: live 94.8%, each frame alone 94.7% (live was 94.1%
    # while an unsure first reading, a 9 read 0 at 0.50, was kept for 19 frames). A label
    # the vote holds for a few frames after the frames alone have turned to the right one
    # may cost a little: any gap must stay small.
    source, seen = followed
    truth = source.digits
    live = np.mean([d is not None and d.digit == truth[w] for w, _, d, _, _ in seen])
    alone = np.mean([d is not None and d.digit == truth[w] for w, _, _, _, d in seen])
    print(f"live {live:.4f}, frame by frame {alone:.4f}")
    assert live >= alone - 0.005
    assert live >= 0.93
