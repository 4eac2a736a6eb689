"""How an explorer lays out its controls: columns sized for a laptop screen, and tabs.

:func:`arrange_controls` puts one set of controls in two columns (the main sliders on the left
with long tracks, menus and toggles on the right); :func:`arrange_groups` does it once per
group of controls, each group on its own tab, and :class:`Block` gathers small toggles in rows
under one label. :class:`~dlbasics.widgets._base.Explorer` uses them through its ``side=``,
``groups=`` and ``blocks=`` seams.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets

#: Explorers draw their pictures with this many pixels per screen pixel, so they stay sharp on
#: high-density ("retina", 2×) screens; the picture is shown at its natural size, ``figsize``
#: times ``dpi`` screen pixels.
PIXEL_RATIO = 2

#: Track length of a main slider, in pixels: a few pixels per step, so a drag is precise.
TRACK_PX = 260
#: A label's width per character (JupyterLab's 13 px sans-serif), to fit the longest label.
LABEL_PX_PER_CHAR = 7.5
READOUT_PX = 100  # the number beside a slider, with its margins
SIDE_CONTROL_PX = 200  # a side control after its label: a menu, or a short slider

#: The line under every explorer's controls.
CONTROLS_HINT = ("Drag a slider, or click it and step with the ← → arrow keys; click a "
                 "slider's number to type a value.")


def label_width(controls: Iterable[widgets.Widget]) -> int:
    """Pixels that fit the longest description of ``controls`` (at least ipywidgets' 80)."""
    longest = max((len(getattr(c, "description", "") or "") for c in controls), default=0)
    return max(80, round(longest * LABEL_PX_PER_CHAR) + 12)


def is_slider(control: widgets.Widget) -> bool:
    return isinstance(control, (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider,
                                widgets.SelectionSlider))


def arrange_controls(controls: Sequence[widgets.Widget],
                     side: Sequence[widgets.Widget] | None = None,
                     foot: Sequence[widgets.Widget] = ()) -> widgets.Widget:
    """The controls in two columns: the main sliders on the left, each with a ``TRACK_PX``
    track, and the ``side`` controls (by default every control that is not a slider) on the
    right, with ``foot`` (buttons) at the foot of the right-hand column. Every label is as wide
    as the longest, so none is cut off. Returns the box, with ``CONTROLS_HINT`` under it."""
    controls = list(controls)
    if side is None:
        side = [c for c in controls if not is_slider(c)]
    side_ids = {id(c) for c in side}
    main = [c for c in controls if id(c) not in side_ids]
    side = [c for c in controls if id(c) in side_ids]
    for column, wide in ((main, True), (side, False)):
        label = label_width(column)
        for control in column:
            if not hasattr(control, "description"):  # a labelled block of its own
                continue
            control.style.description_width = f"{label}px"
            if wide:
                control.layout.width = f"{label + TRACK_PX + READOUT_PX}px"
            elif is_slider(control) or isinstance(control, (widgets.Dropdown, widgets.Text)):
                control.layout.width = f"{label + SIDE_CONTROL_PX}px"
    columns = [widgets.VBox(column, layout=widgets.Layout(margin="0 16px 0 0"))
               for column in (main, [*side, *foot]) if column]
    hint = widgets.HTML(f'<span style="color:var(--jp-ui-font-color2, #555);font-size:0.9em">'
                        f"{CONTROLS_HINT}</span>")
    return widgets.VBox([widgets.HBox(columns, layout=widgets.Layout(flex_flow="row wrap")),
                         hint])


def picture(figsize: tuple[float, float], dpi: int) -> widgets.Image:
    """An empty PNG image widget shown at ``figsize`` × ``dpi`` screen pixels (its bitmap is
    drawn at ``PIXEL_RATIO`` times that), shrinking with a narrow notebook."""
    width = round(figsize[0] * dpi)
    return widgets.Image(format="png", layout=widgets.Layout(
        width=f"{width}px", max_width="100%", height="auto", object_fit="contain"))



@dataclass(frozen=True)
class Block:
    """Small controls (toggle buttons) in ``rows`` of control names under one label, at the
    foot of the right-hand column of the controls (or of the tab) that hold them; ``tooltip``
    explains the label."""

    rows: tuple[tuple[str, ...], ...]
    tooltip: str = ""

    def names(self) -> tuple[str, ...]:
        return tuple(name for row in self.rows for name in row)


def block_widget(label: str, block: Block, controls: Mapping[str, widgets.Widget],
                 label_px: int) -> widgets.Widget:
    """``block``'s controls in their rows, after ``label`` right-aligned in ``label_px``."""
    title = f' title="{block.tooltip}"' if block.tooltip else ""
    head = widgets.HTML(f'<div style="text-align:right;margin-right:8px;line-height:28px"'
                        f"{title}>{label}</div>", layout=widgets.Layout(width=f"{label_px}px"))
    rows = [widgets.HBox([controls[name] for name in row]) for row in block.rows]
    return widgets.HBox([head, widgets.VBox(rows)])


def arrange_names(controls: Mapping[str, widgets.Widget], names: Sequence[str],
                  side: Iterable[str] | None = None,
                  blocks: Mapping[str, Block] | None = None,
                  foot: Sequence[widgets.Widget] = ()) -> widgets.Widget:
    """The controls ``names`` (keys of ``controls``) as :func:`arrange_controls` lays them out:
    the ``side`` ones (by default every one that is not a slider) on the right, then every
    block with a control among ``names``, each as one labelled row (:func:`block_widget`)."""
    blocks = dict(blocks or {})
    in_blocks = {name for block in blocks.values() for name in block.names()}
    plain = [name for name in names if name not in in_blocks]
    chosen = set(side) if side is not None else {n for n in plain
                                                 if not is_slider(controls[n])}
    right = [controls[name] for name in plain if name in chosen]
    label_px = label_width(right)
    right += [block_widget(label, block, controls, label_px) for label, block in blocks.items()
              if any(name in names for name in block.names())]
    main = [controls[name] for name in plain if name not in chosen]
    return arrange_controls(main + right, right, foot=foot)


def arrange_groups(controls: Mapping[str, widgets.Widget], groups: Mapping[str, Sequence[str]],
                   side: Iterable[str] | None = None,
                   blocks: Mapping[str, Block] | None = None) -> widgets.Tab:
    """One tab per group (its name → the names of its controls), each laid out by
    :func:`arrange_names`. Every control must be in exactly one group."""
    listed = [name for names in groups.values() for name in names]
    if sorted(listed) != sorted(controls):
        missing = sorted(set(controls) - set(listed))
        doubled = sorted({n for n in listed if listed.count(n) > 1})
        unknown = sorted(set(listed) - set(controls))
        raise ValueError(f"groups must name every control once: missing {missing}, named "
                         f"twice {doubled}, not a control {unknown}")
    side = None if side is None else list(side)
    return widgets.Tab([arrange_names(controls, names, side, blocks)
                        for names in groups.values()], titles=list(groups))
