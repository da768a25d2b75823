"""Small binary images drawn as text, for the demo and the examples."""

import numpy as np

GLYPHS = {
    "H": [
        "#........#",
        "#........#",
        "#........#",
        "#........#",
        "##########",
        "##########",
        "#........#",
        "#........#",
        "#........#",
        "#........#",
    ],
    "O": [
        "..######..",
        ".#......#.",
        "#........#",
        "#........#",
        "#........#",
        "#........#",
        "#........#",
        "#........#",
        ".#......#.",
        "..######..",
    ],
    "P": [
        "########..",
        "#.......#.",
        "#........#",
        "#.......#.",
        "########..",
        "#.........",
        "#.........",
        "#.........",
        "#.........",
        "#.........",
    ],
    "F": [
        "##########",
        "#.........",
        "#.........",
        "#.........",
        "#######...",
        "#.........",
        "#.........",
        "#.........",
        "#.........",
        "#.........",
    ],
    "X": [
        "#........#",
        ".#......#.",
        "..#....#..",
        "...#..#...",
        "....##....",
        "....##....",
        "...#..#...",
        "..#....#..",
        ".#......#.",
        "#........#",
    ],
}


def glyph_patterns():
    """The glyphs as +/-1 rows of a (n_glyphs, 100) array, and their names."""
    names = list(GLYPHS)
    X = np.array(
        [[1.0 if c == "#" else -1.0 for row in GLYPHS[n] for c in row] for n in names]
    )
    return X, names


def render(pattern, width=10):
    """A +/-1 row as lines of text: '#' for +1, '.' for -1, '?' for NaN."""
    pattern = np.asarray(pattern)
    cells = np.where(pattern > 0, "#", np.where(np.isnan(pattern), "?", "."))
    cells = cells.reshape(-1, width)
    return ["".join(row) for row in cells]
