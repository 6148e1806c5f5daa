"""bertcore.support.figures and .drawing: every figure reaches the page with alt text; diagrams share one style."""
import base64
import html
import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import bertcore as bc  # noqa: E402
from bertcore.support import drawing, figures  # noqa: E402

ALT = "Bar chart: accuracy of three models, the fine-tuned one highest."


def test_show_figure_sends_an_image_with_its_alt_text_and_closes_the_figure(monkeypatch):
    import IPython.display

    sent = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: sent.append(obj))
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["a", "b", "c"], [0.6, 0.7, 0.8])
    bc.show_figure(fig, ALT + ' "quoted" <b>')
    assert len(sent) == 1 and set(sent[0]) == {"text/html", "image/png", "text/plain"}
    tag = sent[0]["text/html"]
    alt = re.search(r'alt="([^"]*)"', tag)[1]
    assert html.unescape(alt) == ALT + ' "quoted" <b>'  # escaped in the attribute, intact when read
    png = base64.b64decode(sent[0]["image/png"])
    assert png.startswith(b"\x89PNG") and base64.b64encode(png).decode() in tag
    assert 'width="400"' in tag  # 4 inches at 100 CSS px per inch
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend does not draw it again


@pytest.mark.parametrize("alt, error, fragment", [
    (None, TypeError, "one sentence"),
    ("Accuracy", ValueError, "at least 4 words"),
    ("", ValueError, "at least 4 words"),
    ("figure of the loss curve.png", ValueError, "does not describe"),
])
def test_alt_text_must_describe_the_figure(alt, error, fragment):
    fig, _ = plt.subplots()
    with pytest.raises(error, match=fragment):
        bc.show_figure(fig, alt)
    plt.close(fig)


def test_show_figure_refuses_what_is_not_a_figure():
    with pytest.raises(TypeError, match="matplotlib Figure"):
        figures.figure_html([1, 2, 3], ALT)


def test_a_diagram_is_drawn_on_a_cell_canvas_in_the_role_colours():
    fig, ax = bc.new_diagram(12, 4)
    assert tuple(fig.get_size_inches()) == (12 * drawing.CELL_INCHES, 4 * drawing.CELL_INCHES)
    centres = bc.draw_tokens(ax, ["[CLS]", "good", "[MASK]", "[SEP]"], 1, 1, below=[101, 2204, 103, 102])
    assert [round(x, 2) for x, _ in centres] == [1.5, 2.6, 3.7, 4.8]  # width 1, gap 0.1
    faces = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert faces == [drawing.ROLES[r][0] for r in ("special", "input", "mask", "special")]
    assert [t.get_text() for t in ax.texts][:2] == ["[CLS]", "101"]
    centre = bc.draw_box(ax, 1, 2, 4, 1, "encoder", role="model")
    assert centre == (3, 2.5)
    bc.draw_arrow(ax, centres[0], centre, "reads")
    bc.draw_grid(ax, [[1, 0], [0.5, 1]], 8, 3, row_labels=["a", "b"], col_labels=["a", "b"])
    bc.draw_text(ax, 8, 0.5, "note")
    tag, png = figures.figure_html(fig, ALT)
    assert png.startswith(b"\x89PNG")
    plt.close(fig)


def test_diagram_text_passes_contrast_on_every_fill():
    def luminance(hex_colour):
        rgb = [c / 255 for c in bytes.fromhex(hex_colour.lstrip("#"))]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    text = luminance(drawing.TEXT)
    for role, (fill, _) in drawing.ROLES.items():
        ratio = (luminance(fill) + 0.05) / (text + 0.05)
        assert ratio >= 7, (role, ratio)  # WCAG AAA for normal text


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: bc.new_diagram(40, 4), ValueError, "split it in two"),
    (lambda: bc.new_diagram(0, 4), ValueError, "number of cells"),
    (lambda: bc.new_diagram("12", 4), ValueError, "number of cells"),
])
def test_bad_canvas(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()


def test_bad_drawing_arguments_name_the_fix():
    fig, ax = bc.new_diagram(8, 4)
    with pytest.raises(ValueError, match="role must be one of"):
        bc.draw_box(ax, 0, 0, 1, 1, "x", role="blue")
    with pytest.raises(ValueError, match="one per token"):
        bc.draw_tokens(ax, ["a", "b"], 0, 0, roles=["input"])
    with pytest.raises(ValueError, match="one per token"):
        bc.draw_tokens(ax, ["a", "b"], 0, 0, below=[1])
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        bc.draw_grid(ax, [[0, 2]], 0, 4)
    with pytest.raises(ValueError, match="2-D"):
        bc.draw_grid(ax, [0, 1], 0, 4)
    plt.close(fig)
