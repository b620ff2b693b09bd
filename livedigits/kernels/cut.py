"""Cutting candidates' cells: patch -> (20, 20) cell for a whole batch, as ``normalise.normalise``.

``normalise.normalise`` is the reference, written with OpenCV calls (eight of them a
cell, ~100 us in all); this kernel does the same steps in one compiled pass per
cell (~5 us): the patch of the candidate's own components, a stretch of its gray
levels (small digits) or a resize to the working side, threshold and stroke
correction (larger ones), then the crop, the resize to the digit box and the
shift of the centre of mass. Resizes follow OpenCV's ``INTER_AREA`` (shrinking:
exact area average) and ``INTER_LINEAR`` (growing: half-pixel centres, edges
clamped); the shift is bilinear with zero outside, as ``cv2.warpAffine``'s. Cells
agree with the reference to a gray level or two where OpenCV rounds in fixed
point.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTS = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_OPTS)
def _taps(n_dst, n_src):
    """Resampling ``n_src`` pixels to ``n_dst``: for each output pixel the first source
    pixel and the weights (n_dst, T) of T consecutive ones from there.

    Shrinking, each output pixel averages the source interval it covers (exact
    overlaps, OpenCV's ``INTER_AREA``); growing, it interpolates linearly at
    (d + 0.5) * n_src / n_dst - 0.5, clamped at the edges (``INTER_LINEAR``).
    """
    scale = n_src / n_dst
    area = n_dst < n_src
    n_taps = int(np.ceil(scale)) + 1 if area else 2
    first = np.zeros(n_dst, np.int64)
    weights = np.zeros((n_dst, n_taps), np.float32)
    for d in range(n_dst):
        if area:
            f0 = d * scale
            f1 = min(f0 + scale, float(n_src))
            i0 = int(np.floor(f0))
            first[d] = i0
            for t in range(n_taps):
                lo = max(f0, float(i0 + t))
                hi = min(f1, float(i0 + t + 1))
                if hi > lo:
                    weights[d, t] = (hi - lo) / (f1 - f0)
        else:
            f = (d + 0.5) * scale - 0.5
            i = int(np.floor(f))
            frac = f - i
            if i < 0:
                i, frac = 0, 0.0
            if i >= n_src - 1:
                i, frac = n_src - 1, 0.0
            first[d] = i
            weights[d, 0] = 1 - frac
            weights[d, 1] = frac
    return first, weights


@njit(**_OPTS)
def resize(src, nh, nw):
    """(h, w) float32 -> (nh, nw) float32 by ``_taps`` along the rows, then the columns."""
    h, w = src.shape
    if nh == h and nw == w:
        return src.copy()
    row_first, row_weights = _taps(nh, h)
    col_first, col_weights = _taps(nw, w)
    rows = np.zeros((nh, w), np.float32)
    for d in range(nh):
        for t in range(row_weights.shape[1]):
            y = min(row_first[d] + t, h - 1)
            weight = row_weights[d, t]
            for x in range(w):
                rows[d, x] += weight * src[y, x]
    # Along the columns tap by tap, the taps' clamped source columns worked out once:
    # the inner loop then runs over contiguous outputs (3x faster than output by output).
    n_taps = col_weights.shape[1]
    source = np.empty((n_taps, nw), np.int64)
    weights = np.empty((n_taps, nw), np.float32)
    for t in range(n_taps):
        for d in range(nw):
            source[t, d] = min(col_first[d] + t, w - 1)
            weights[t, d] = col_weights[d, t]
    out = np.zeros((nh, nw), np.float32)
    for r in range(nh):
        src = rows[r]
        dst = out[r]
        for t in range(n_taps):
            tap_source = source[t]
            tap_weight = weights[t]
            for d in range(nw):
                dst[d] += tap_weight[d] * src[tap_source[d]]
    return out


@njit(**_OPTS)
def to_levels(image):
    """float32 -> float32 gray levels as uint8 holds them: rounded, 0..255."""
    h, w = image.shape
    for r in range(h):
        for c in range(w):
            v = np.floor(image[r, c] + 0.5)
            image[r, c] = min(max(v, 0.0), 255.0)
    return image


# A binary mask of at most 128 columns as two 64-bit words a row: column c is bit c of
# ``lo`` (c < 64) or bit c - 64 of ``hi``. The working masks are WORK_SIDE + 16 = 72 wide.
_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(**_OPTS)
def _shifted(lo, hi, j, fill):
    """The row whose column c is column c + j of (lo, hi), |j| < 64; columns from left of
    0 are ``fill`` (0 or 1)."""
    if j > 0:
        u = np.uint64(j)
        v = np.uint64(64 - j)
        return (lo >> u) | (hi << v), hi >> u
    if j < 0:
        u = np.uint64(-j)
        v = np.uint64(64 + j)
        low = (np.uint64(1) << u) - np.uint64(1) if fill else np.uint64(0)
        return (lo << u) | low, (hi << u) | (lo >> v)
    return lo, hi


@njit(**_OPTS)
def _row_mask(w):
    """(lo, hi) with the first ``w`` columns set."""
    if w >= 128:
        return _ONES, _ONES
    if w >= 64:
        return _ONES, (np.uint64(1) << np.uint64(w - 64)) - np.uint64(1) if w > 64 \
            else np.uint64(0)
    return (np.uint64(1) << np.uint64(w)) - np.uint64(1), np.uint64(0)


@njit(**_OPTS)
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(**_OPTS)
def _count(lo, hi):
    n = 0
    for r in range(lo.shape[0]):
        n += _popcount(lo[r]) + _popcount(hi[r])
    return n


@njit(**_OPTS)
def morph(lo, hi, w, element, grow):
    """Dilate (``grow``) or erode the (h,) x 2 bit mask ``lo``, ``hi`` of width ``w`` with a
    (s, s) 0/1 element holding its centre, the anchor; outside the mask counts as empty
    for dilation, as full for erosion (OpenCV's defaults).

    out(r, c) = max (dilation) or min (erosion) of mask(r + i - a, c + j - a) over the
    element's (i, j), word-wise: a shifted copy of a row a column of the element.
    """
    h = lo.shape[0]
    s = element.shape[0]
    a = s // 2
    keep_lo, keep_hi = _row_mask(w)
    fill = 0 if grow else 1
    out_lo = np.empty(h, np.uint64)
    out_hi = np.empty(h, np.uint64)
    for r in range(h):
        acc_lo = np.uint64(0) if grow else _ONES
        acc_hi = np.uint64(0) if grow else _ONES
        for i in range(s):
            y = r + i - a
            if y < 0 or y >= h:
                continue  # outside: empty for dilation, full for erosion
            src_lo = lo[y] if grow else lo[y] | ~keep_lo
            src_hi = hi[y] if grow else hi[y] | ~keep_hi
            for j in range(s):
                if element[i, j] == 0:
                    continue
                a_lo, a_hi = _shifted(src_lo, src_hi, j - a, fill)
                if grow:
                    acc_lo |= a_lo
                    acc_hi |= a_hi
                else:
                    acc_lo &= a_lo
                    acc_hi &= a_hi
        out_lo[r] = acc_lo & keep_lo
        out_hi[r] = acc_hi & keep_hi
    return out_lo, out_hi


@njit(**_OPTS)
def stroke_width(lo, hi, w):
    """Mean stroke width of a bit mask, px: area over half its outline (the pixels a 3x3
    erosion, empty outside, removes)."""
    h = lo.shape[0]
    area = _count(lo, hi)
    if area == 0:
        return 0.0
    keep_lo, keep_hi = _row_mask(w)
    inner = 0
    for r in range(1, h - 1):
        in_lo = keep_lo
        in_hi = keep_hi
        for y in range(r - 1, r + 2):
            for j in range(-1, 2):
                a_lo, a_hi = _shifted(lo[y], hi[y], j, 0)
                in_lo &= a_lo
                in_hi &= a_hi
        inner += _popcount(in_lo) + _popcount(in_hi)
    return 2.0 * area / max(area - inner, 1)


@njit(**_OPTS)
def _place(ink, digit_box, centre, out):
    """(h, w) float32 ink -> ``out`` (side, side) uint8: cropped to its ink, resized so its
    longer side is ``digit_box`` px, shifted so its centre of mass is at ``centre``."""
    h, w = ink.shape
    out[:, :] = 0
    r0, r1, c0, c1 = h, -1, w, -1
    for r in range(h):
        for c in range(w):
            if ink[r, c] > 0:
                r0 = min(r0, r)
                r1 = max(r1, r)
                c0 = min(c0, c)
                c1 = max(c1, c)
    if r1 < 0:
        return
    _place_inked(np.ascontiguousarray(ink[r0:r1 + 1, c0:c1 + 1]), digit_box, centre, out)


@njit(**_OPTS)
def _place_inked(ink, digit_box, centre, out):
    """``_place`` of (bh, bw) float32 ink already cropped to its ink (``out`` zeroed)."""
    side = out.shape[0]
    bh, bw = ink.shape
    factor = digit_box / max(bh, bw)
    nh = max(1, int(np.rint(bh * factor)))
    nw = max(1, int(np.rint(bw * factor)))
    small = to_levels(resize(ink, nh, nw))
    mass = 0.0
    sum_r = 0.0
    sum_c = 0.0
    for r in range(nh):
        for c in range(nw):
            v = small[r, c]
            mass += v
            sum_r += v * r
            sum_c += v * c
    if mass <= 0:
        return
    ty = centre - sum_r / mass
    tx = centre - sum_c / mass
    for r in range(side):
        fy = r - ty
        y = int(np.floor(fy))
        wy = fy - y
        for c in range(side):
            fx = c - tx
            x = int(np.floor(fx))
            wx = fx - x
            total = 0.0
            for dy in range(2):
                yy = y + dy
                if yy < 0 or yy >= nh:
                    continue
                ky = wy if dy else 1 - wy
                for dx in range(2):
                    xx = x + dx
                    if xx < 0 or xx >= nw:
                        continue
                    total += ky * (wx if dx else 1 - wx) * small[yy, xx]
            out[r, c] = np.uint8(min(max(np.floor(total + 0.5), 0.0), 255.0))


@njit(**_OPTS)
def normalise_patch(patch, small_digit, work_side, stroke, digit_box, centre, ellipses, out):
    """One darkness patch (h, w) uint8, zero outside the digit -> ``out`` (20, 20) uint8.

    ``ellipses`` (K, K, K) uint8: element ``s`` is OpenCV's elliptic structuring
    element of side ``s`` in its top-left corner.
    """
    h, w = patch.shape
    peak = 0
    for v in patch.ravel():
        if v > peak:
            peak = v
    if peak == 0:
        out[:, :] = 0
        return
    if max(h, w) <= small_digit:
        # Too few pixels to clean up a stroke: keep the gray levels, stretched.
        stretched = np.empty((h, w), np.float32)
        gain = np.float32(510.0 / peak)
        for r in range(h):
            for c in range(w):
                v = np.float32(patch[r, c]) * gain - np.float32(153.0)
                stretched[r, c] = np.floor(min(max(v, np.float32(0.0)), np.float32(255.0)))
        _place(stretched, digit_box, centre, out)
        return
    factor = work_side / max(h, w)
    nh = max(1, int(np.rint(h * factor)))
    nw = max(1, int(np.rint(w * factor)))
    work = to_levels(resize(patch.astype(np.float32), nh, nw))
    limit = np.floor(0.35 * peak)
    pad = 8
    mh, mw = nh + 2 * pad, nw + 2 * pad
    lo = np.zeros(mh, np.uint64)
    hi = np.zeros(mh, np.uint64)
    for r in range(nh):
        for c in range(nw):
            if work[r, c] > limit:
                col = c + pad
                if col < 64:
                    lo[r + pad] |= np.uint64(1) << np.uint64(col)
                else:
                    hi[r + pad] |= np.uint64(1) << np.uint64(col - 64)
    grow = int(np.rint(stroke - stroke_width(lo, hi, mw)))
    k = ellipses.shape[0] - 1
    if grow >= 1:
        s = min(grow + 1, k)
        lo, hi = morph(lo, hi, mw, ellipses[s, :s, :s], True)
    elif grow <= -2:
        s = min(-grow, k)
        thin_lo, thin_hi = morph(lo, hi, mw, ellipses[s, :s, :s], False)
        if _count(thin_lo, thin_hi) > 0.25 * _count(lo, hi):
            lo, hi = thin_lo, thin_hi
    # The mask's ink box from its bit rows; only that box is unpacked.
    r0, r1 = -1, -1
    any_lo = np.uint64(0)
    any_hi = np.uint64(0)
    for r in range(mh):
        if lo[r] | hi[r]:
            if r0 < 0:
                r0 = r
            r1 = r
            any_lo |= lo[r]
            any_hi |= hi[r]
    out[:, :] = 0
    if r0 < 0:
        return
    c0, c1 = -1, -1
    for c in range(mw):
        word = any_lo if c < 64 else any_hi
        if (word >> np.uint64(c & 63)) & np.uint64(1):
            if c0 < 0:
                c0 = c
            c1 = c
    mask = np.zeros((r1 - r0 + 1, c1 - c0 + 1), np.float32)
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            word = lo[r] if c < 64 else hi[r]
            if (word >> np.uint64(c & 63)) & np.uint64(1):
                mask[r - r0, c - c0] = 255.0
    _place_inked(mask, digit_box, centre, out)


@njit(**_OPTS)
def cut_batch(dark, labels, extents, member_labels, member_start, small_digit, work_side,
              stroke, digit_box, centre, ellipses, out):
    """Cells of N candidates at once.

    dark : (H, W) uint8 darkness; labels : (H, W) int32 component labels
    extents : (N, 4) int64 x0, y0, x1, y1 of each candidate
    member_labels : (M,) int32, the components of candidate i are
        ``member_labels[member_start[i]:member_start[i + 1]]``
    out : (N, 20, 20) uint8, each candidate's patch (its components' darkness inside
        its extent, zero elsewhere) normalised by ``normalise_patch``
    """
    for i in range(extents.shape[0]):
        x0, y0, x1, y1 = extents[i, 0], extents[i, 1], extents[i, 2], extents[i, 3]
        patch = np.zeros((y1 - y0, x1 - x0), np.uint8)
        first, last = member_start[i], member_start[i + 1]
        for r in range(y0, y1):
            for c in range(x0, x1):
                label = labels[r, c]
                if label == 0:
                    continue
                for m in range(first, last):
                    if member_labels[m] == label:
                        patch[r - y0, c - x0] = dark[r, c]
                        break
        normalise_patch(patch, small_digit, work_side, stroke, digit_box, centre, ellipses,
                        out[i])
