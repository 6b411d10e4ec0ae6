#!/usr/bin/env python3
"""Writes Tracks/canyon.json: the third built-in track (issue #16), laid out from straights and arcs.

The centre line is drawn with a turtle: a 150 m straight into a 8 m hairpin, two 7 m switchbacks,
an S-bend across the top, a long straight into a 8 m corner, a chicane and the last corner. Two
straights are solved for so the lap closes; the path is then sampled every ~4 m as control points
(the simulator fits its centripetal Catmull-Rom spline through them). The output is formatted the
way `Simulate tracks --export` writes a track (sorted keys, ' : ', numbers without '.0', no
trailing newline), so the file and the exported spec are byte-identical.

Usage: Scripts/tracks/canyon.py [OUTPUT] (default Tracks/canyon.json). Pure Python, no packages.
"""
import math
import os
import sys

HAIRPIN = 7.0  # m, the two switchbacks; the first hairpin and the top-left corner are 1 m wider
ROAD_WIDTH = 5.5


def segments(top, west):
    """(kind, ...) pieces counter-clockwise from the start line heading east: ('S', length) or
    ('T', degrees left, radius). `top` and `west` are the two free straights."""
    r = HAIRPIN
    return [("S", 150), ("T", 180, r + 1), ("S", 55), ("T", -180, r), ("S", 45), ("T", 180, r), ("S", 25),
            ("T", -55, 12), ("T", 110, 10), ("T", -55, 12), ("S", top), ("T", 90, r + 1), ("S", west),
            ("T", 30, 10), ("T", -60, 10), ("T", 30, 10), ("T", 90, 11), ("S", 10)]


def trace(pieces, step=0.25):
    """Dense points along the pieces from (0, 0) heading east, and the final heading."""
    x, y, h = 0.0, 0.0, 0.0
    points = [(x, y)]
    for piece in pieces:
        if piece[0] == "S":
            n = max(1, int(piece[1] / step))
            for _ in range(n):
                x += math.cos(h) * piece[1] / n
                y += math.sin(h) * piece[1] / n
                points.append((x, y))
        else:
            angle = math.radians(piece[1])
            length = abs(angle) * piece[2]
            n = max(1, int(length / step))
            for _ in range(n):
                h += angle / n
                x += math.cos(h) * length / n
                y += math.sin(h) * length / n
                points.append((x, y))
    return points, h


def control_points(spacing=4.0):
    # The top straight runs west (-x) and the west one south (-y): their lengths close the lap.
    end, _ = trace(segments(0, 0))
    top, west = end[-1]
    assert top > 0 and west > 0, (top, west)
    points, heading = trace(segments(top, west))
    assert math.hypot(*points[-1]) < 1e-6 and abs(heading - 2 * math.pi) < 1e-9
    arc = [0.0]
    for a, b in zip(points, points[1:]):
        arc.append(arc[-1] + math.dist(a, b))
    count = round(arc[-1] / spacing)
    out, j = [], 0
    for i in range(count):
        target = arc[-1] * i / count
        while arc[j + 1] < target:
            j += 1
        t = (target - arc[j]) / (arc[j + 1] - arc[j])
        x = points[j][0] + (points[j + 1][0] - points[j][0]) * t
        y = points[j][1] + (points[j + 1][1] - points[j][1]) * t
        out.append([round(x, 2) + 0.0, round(y, 2) + 0.0])
    return out


def number(v):
    """A Double as Swift's JSONEncoder writes it (shortest round-trip digits, no trailing .0)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) or float(v).is_integer():
        return str(int(v))
    return repr(float(v))


def encode(value, indent=0):
    """JSON as JSONEncoder's [.prettyPrinted, .sortedKeys] writes it."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        items = [f'{pad}"{k}" : {encode(value[k], indent + 1)}' for k in sorted(value)]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list):
        return "[\n" + ",\n".join(pad + encode(v, indent + 1) for v in value) + "\n" + "  " * indent + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return number(value)


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../Tracks/canyon.json")
    spec = {
        "name": "canyon",
        "roadWidth": ROAD_WIDTH,
        "controlPoints": control_points(),
        "style": {"edgeLines": "yellow", "centerLine": False, "kerbRadius": 0, "shoulder": "gravel",
                  "ground": "rock", "scenery": "canyon"},
        # Sand in the hairpins' bays and the infield, gravel scree below the long straight.
        "regions": [
            {"surface": "sand", "center": [150, 8], "radius": 4},
            {"surface": "sand", "center": [95, 23], "radius": 3.5},
            {"surface": "sand", "center": [140, 37], "radius": 3.5},
            {"surface": "sand", "center": [45, 25], "radius": 14},
            {"surface": "gravel", "center": [75, -22], "radius": 12},
        ],
        "textureSeed": 37,
    }
    with open(output, "w") as f:
        f.write(encode(spec))
    print(f"wrote {output}: {len(spec['controlPoints'])} control points")


if __name__ == "__main__":
    main()
