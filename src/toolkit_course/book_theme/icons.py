"""Cut the theme's icon fonts and icon stylesheet down to the icons the built book shows.

The theme ships Font Awesome whole: three fonts (300 KB) and a rule per icon in its stylesheet
(about 100 KB), for the fifteen or so icons the book uses. After the build this module

1. finds the icon classes (fa-bars, fa-moon, ...) used in the built pages and scripts;
2. drops the stylesheet rules for every other icon;
3. subsets each font to the glyphs the remaining stylesheets still name (the icon classes kept,
   and the icons the theme draws from its own rules, such as admonition and link icons);
4. points the theme's @font-face rules at the subsets and deletes the full fonts and the
   1.5 MB icon script from the output, so nothing can load them.

It runs on the built output, never on the installed theme, so a theme upgrade is picked up at
the next build. tests/test_book_weight.py checks that every icon a page shows has its glyph.
"""

from __future__ import annotations

import re
from pathlib import Path

# One icon rule in the theme's minified CSS: ".fa-x:before,.fa-y:before{content:"\f00d"}".
ICON_RULE = re.compile(r'((?:\.fa-[\w-]+:before,?)+)\{content:"((?:\\.|[^"\\])*)"\}')
ICON_CLASS = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*\b")
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})")
FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
THEME_CSS = "styles/pydata-sphinx-theme.css"
FONTS = "vendor/fontawesome/webfonts"
SUBSET_SUFFIX = ".subset.woff"


def used_icon_classes(outdir: Path) -> set[str]:
    """Icon class names in any built page or script (scripts add a few icons, e.g. fa-xmark)."""
    used: set[str] = set()
    for path in [*outdir.rglob("*.html"), *(outdir / "_static").rglob("*.js")]:
        if path.name.startswith("fontawesome.js"):
            continue
        used |= set(ICON_CLASS.findall(path.read_text(encoding="utf-8", errors="replace")))
    return used


def trim_icon_rules(css: str, used: set[str]) -> str:
    def keep_if_used(match: re.Match) -> str:
        names = {selector[1:-len(":before")] for selector in match.group(1).rstrip(",").split(",")}
        return match.group(0) if names & used else ""

    return ICON_RULE.sub(keep_if_used, css)


def codepoints(css: str) -> set[int]:
    """Private-use code points the stylesheet names (where Font Awesome keeps its glyphs)."""
    without_font_faces = FONT_FACE.sub("", css)
    return {int(h, 16) for h in CSS_ESCAPE.findall(without_font_faces) if 0xE000 <= int(h, 16) <= 0xF8FF}


def subset_font(source: Path, target: Path, wanted: set[int]) -> None:
    from fontTools import subset  # fontTools comes with matplotlib

    options = subset.Options()
    options.flavor = "woff"  # zlib-compressed; woff2 would need the brotli package
    options.layout_features = ["*"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)


def point_font_faces_at_subsets(css: str) -> str:
    def replace(match: re.Match) -> str:
        rule = match.group(0)
        name = re.search(r"webfonts/(fa-[\w-]+)\.(?:woff2|ttf)", rule)
        if not name:
            return rule
        return re.sub(r"src:[^;}]*", f'src:url(../{FONTS}/{name.group(1)}{SUBSET_SUFFIX}) format("woff")', rule)

    return FONT_FACE.sub(replace, css)


def slim_icons(app, exception) -> None:
    if exception or app.builder.format != "html":
        return
    outdir = Path(app.builder.outdir)
    static = outdir / "_static"
    theme_css = static / THEME_CSS
    fonts = static / FONTS
    if not theme_css.exists() or not fonts.exists():
        return  # another theme: nothing to slim
    css = trim_icon_rules(theme_css.read_text(encoding="utf-8"), used_icon_classes(outdir))
    wanted = codepoints(css)
    for other in static.rglob("*.css"):
        if other != theme_css:
            wanted |= codepoints(other.read_text(encoding="utf-8", errors="replace"))
    for source in sorted(fonts.glob("fa-*.ttf")):
        subset_font(source, fonts / f"{source.stem}{SUBSET_SUFFIX}", wanted)
    theme_css.write_text(point_font_faces_at_subsets(css), encoding="utf-8")
    # Nothing refers to these any more; deleting them keeps the book (and its USB copy) small.
    for unused in [*fonts.glob("fa-*.woff2"), *fonts.glob("fa-*.ttf"), *(static / "scripts").glob("fontawesome.js*")]:
        unused.unlink()


def setup(app) -> None:
    app.connect("build-finished", slim_icons)
