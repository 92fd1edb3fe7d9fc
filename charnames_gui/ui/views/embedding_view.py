"""The embedding table C drawn as the lecture draws it: a circle per character, its letter inside.

    plt.scatter(C[:, 0], C[:, 1], s=200)
    for i in range(C.shape[0]):
        plt.text(C[i, 0], C[i, 1], itos[i], ha="center", va="center", color="white")
    plt.grid("minor")

Three scatter items are created once and only moved afterwards: the circles, the rings that
mark the sampling context, and the letters. The letters are glyph outlines used as scatter
symbols, so all of them are drawn from one cached atlas in a single pass (no text layout per
frame), and a training update only writes new positions into the items (~0.2 ms for 200
characters). With more than two dimensions the learner picks two columns of C or a PCA
projection (charnames_gui.core.projection).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainterPath,
    QPalette,
    QResizeEvent,
    QTransform,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from charnames_gui.core.display import display_char
from charnames_gui.core.projection import PCAProjector, select_dimensions
from charnames_gui.core.replay_projection import ReplayProjection
from charnames_gui.ui.views.plot_style import export_widgets_png, scale_plot_text, white_plot
from charnames_gui.ui.views.text_scale import set_text_colour, text_scale

MODE_DIMENSIONS = "dimensions"
MODE_PCA = "pca"

STATUS_SEPARATOR = " · "  # between the step and the shape on one line
STATUS_WIDEST = f"step 8,888,888{STATUS_SEPARATOR}C is 888 × 888"
CAPTION_MIN_LINES = 26  # below this height (in lines of text) the caption is hidden
CIRCLE_PX = 26  # diameter in pixels at any zoom; the lecture's s=200 is ~20 px, a bit small
CHARACTER_COLOUR = QColor(31, 119, 180)  # matplotlib's default blue, as in the lecture
BOUNDARY_COLOUR = QColor(96, 96, 96)
HIGHLIGHT_COLOUR = QColor(255, 127, 14)
RING_COLOUR = QColor(214, 80, 0)
LETTER_COLOUR = QColor(255, 255, 255)
HINT_COLOUR = QColor(110, 110, 110)

ONE_COLUMN_LABEL = "0 (C has one column)"
EMPTY_HINT = "Train or open a model to see its embedding"
NOT_FINITE_HINT = "C contains NaN or infinite values (training diverged), so it cannot be drawn"
CAPTION = (
    "Each circle is a row of C: the vector the network learned for that character. "
    "Characters the network treats alike end up close together — look for the vowels. "
    "Grey: the boundary token that starts and ends every name; orange: the characters of "
    "the current sampling context."
)

# Glyph outlines are made at this pixel size, then scaled into the unit box of a symbol.
_GLYPH_FONT_PX = 100
_CAP_HEIGHT = 0.42  # a capital letter's height as a fraction of the circle's diameter
_MAX_GLYPH_WIDTH = 0.74  # wider glyphs ('W', 'm') are shrunk to stay inside the circle
_MIN_GLYPH_SIZE = 0.17
# Following the characters: re-fit when they cover less than _SHRINK of the view; a fit
# leaves _HEADROOM of their spread free on each side.
_SHRINK = 0.6
_HEADROOM = 0.1


def displayed_character(ch: str) -> str:
    """What to draw for a vocabulary entry: invisible characters get a visible stand-in."""
    return display_char(ch)


class _Caption(QLabel):
    """A wrapped label without height-for-width: in a scroll area, a view with one is sized
    by its preferred height for the width (the plot's whole size hint) and scrolls the plot
    away; the caption hides when the view is short instead (see resizeEvent)."""

    def hasHeightForWidth(self) -> bool:
        return False


class EmbeddingView(QWidget):
    """A scatter of the rows of C (vocab_size, n_embd), one labelled circle per character."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._C: np.ndarray | None = None  # (vocab_size, n_embd) float64 copy
        self._itos: tuple[str, ...] = ()
        self._step: int | None = None
        self._points = np.zeros((0, 2))  # what is drawn: (vocab_size, 2)
        self._highlighted: list[int] = []
        self._brushes: list[QBrush] = []
        self._spot_index: list[int] = []
        self._pca = PCAProjector()
        self._explained = np.zeros(0)
        # while replaying: one fixed map and range for every frame (core/replay_projection)
        self._replay: ReplayProjection | None = None
        # the learner's choice; what is shown also depends on n_embd
        self._want_pca = False
        self._want_x, self._want_y = 0, 1
        self._glyphs: dict[str, QPainterPath] = {}
        self._symbols: list[QPainterPath] = []
        self._axis_text = {"bottom": "", "left": ""}  # the full titles
        self._axis_short = {"bottom": "", "left": ""}  # when the full ones do not fit
        self._axis_shown = {"bottom": "", "left": ""}
        self._follow = True  # keep the characters in view (until the user zooms or pans)
        self._needs_fit = True
        self._strip = False  # drawing a one-column C along y = 0

        self._character_brush = pg.mkBrush(CHARACTER_COLOUR)
        self._boundary_brush = pg.mkBrush(BOUNDARY_COLOUR)
        self._highlight_brush = pg.mkBrush(HIGHLIGHT_COLOUR)

        self._build_controls()
        self._build_plot()
        self.caption = caption = _Caption(CAPTION)
        caption.setWordWrap(True)
        caption.setAccessibleName("About the embedding view")
        set_text_colour(caption, caption.palette().color(QPalette.ColorRole.PlaceholderText))
        caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.plot_widget.setToolTip(self.plot_widget.toolTip() + "\n\n" + CAPTION)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(self._controls)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(self._view_buttons)  # with the status at its end: one row less
        layout.addWidget(caption)
        self.clear()
        self._scale_text()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._show_axis_labels)  # once the plot has its new size
        QTimer.singleShot(0, self, self._follow_points)  # circles cut by the new size: refit
        # a short view (a small screen, large text) gives the caption's room to the plot;
        # the caption is also in the plot's tooltip
        line = self.fontMetrics().height()
        self.caption.setVisible(event.size().height() >= CAPTION_MIN_LINES * line)
        margins = self.contentsMargins()
        width = event.size().width() - 8 - margins.left() - margins.right()
        self.caption.setFixedHeight(QLabel.heightForWidth(self.caption, max(width, 50)))
        self._fit_status(self._room(width))

    # -- construction ------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Columns", MODE_DIMENSIONS)
        self.mode_combo.addItem("PCA", MODE_PCA)
        self.mode_combo.setAccessibleName("Embedding projection")
        self.mode_combo.setToolTip(
            "Each character's embedding has n_embd numbers, but a screen has two axes.\n"
            "Columns: plot two of those numbers, as the lecture does with C[:, 0] "
            "and C[:, 1].\n"
            "PCA (2 components): plot the two directions along which the characters differ "
            "the most, mixing all the columns."
        )
        self.x_combo = QComboBox()
        self.x_combo.setAccessibleName("Horizontal axis dimension")
        self.x_combo.setToolTip("Which column of C goes on the horizontal axis.")
        self.y_combo = QComboBox()
        self.y_combo.setAccessibleName("Vertical axis dimension")
        self.y_combo.setToolTip("Which column of C goes on the vertical axis.")
        self.fit_button = QPushButton("Fit")
        self.fit_button.setAccessibleName("Fit the view to the characters")
        self.fit_button.setToolTip(
            "Zoom to show every character, and keep following them as training moves them.\n"
            "Scrolling or dragging the plot stops the following; double-clicking it fits too."
        )
        self.crowd_button = QPushButton("Zoom to crowd")
        self.crowd_button.setAccessibleName("Zoom to the densest group of characters")
        self.crowd_button.setToolTip(
            "Zoom into the densest group of characters, where the letters overlap; the mouse "
            "wheel zooms too. Fit shows every character again."
        )
        self.status_label = QLabel()
        self._status_separator = STATUS_SEPARATOR  # or a new line (_fit_status)
        self._status_beside = True  # beside the view buttons, or on a row under them
        self._watched: QWidget | None = None  # the viewport of the dock's scroll area
        self.status_label.setAccessibleName("Embedding size and training step")
        self.status_label.setToolTip("The training step of this snapshot of C, and its shape.")
        # (a fixed size, set in _scale_text: its text changes at every training update)

        x_label, y_label = QLabel("x:"), QLabel("y:")
        x_label.setBuddy(self.x_combo)
        y_label.setBuddy(self.y_combo)
        self._controls = QHBoxLayout()
        self._controls.setSpacing(6)
        self._controls.addWidget(self.mode_combo)
        self._controls.addWidget(x_label)
        self._controls.addWidget(self.x_combo)
        self._controls.addWidget(y_label)
        self._controls.addWidget(self.y_combo)
        self._controls.addStretch(1)
        # the view buttons get a row of their own under the plot: a narrow dock (a 1280 px
        # screen, large text) then needs no horizontal scroll bar
        self._view_buttons = QHBoxLayout()
        self._view_buttons.setSpacing(6)
        self._view_buttons.addWidget(self.crowd_button)
        self._view_buttons.addWidget(self.fit_button)
        self._view_buttons.addStretch(1)
        self._view_buttons.addWidget(self.status_label)

        self.mode_combo.currentIndexChanged.connect(self._on_mode_chosen)
        self.x_combo.currentIndexChanged.connect(self._on_dimension_chosen)
        self.y_combo.currentIndexChanged.connect(self._on_dimension_chosen)
        self.fit_button.clicked.connect(self.fit)
        self.crowd_button.clicked.connect(self.zoom_to_crowd)

    def _build_plot(self) -> None:
        self.plot_widget = white_plot(
            "Embedding scatter plot",
            "Hover over a circle for its character and coordinates. Scroll to zoom, drag to "
            "pan; Fit or a double-click shows all the characters again.",
        )
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(True)
        self.plot_item.hideButtons()  # the Fit button and a double-click do what 'A' would
        self.view_box = self.plot_item.getViewBox()
        self.view_box.setAspectLocked(True)  # one unit is as long across as up: honest distances
        self.view_box.disableAutoRange()  # _follow_points keeps the characters in view instead
        self.view_box.sigRangeChangedManually.connect(self._on_user_moved_view)
        for name in ("bottom", "left"):
            axis = self.plot_item.getAxis(name)
            # grid lines at the labelled ticks only, as in the lecture's figure: minor lines
            # made every repaint ~2x slower and the picture busier
            axis.setStyle(maxTickLevel=0)
            axis.setTickDensity(1.6)
            axis.enableAutoSIPrefix(False)  # "500 (x0.001)" would hide the plain numbers
            axis.setPen(pg.mkPen(90, 90, 90))
            axis.setTextPen(pg.mkPen(50, 50, 50))

        self.scatter = pg.ScatterPlotItem(
            pxMode=True,
            size=CIRCLE_PX,
            symbol="o",
            pen=pg.mkPen(255, 255, 255, 200, width=1),  # separates overlapping circles
            hoverable=True,
            hoverPen=pg.mkPen(20, 20, 20, width=2),
            tip=self._tip,
            antialias=True,  # symbols are drawn once into an atlas: smooth costs nothing
        )
        self.rings = pg.ScatterPlotItem(
            pxMode=True,
            size=CIRCLE_PX + 8,
            symbol="o",
            pen=pg.mkPen(RING_COLOUR, width=3),
            brush=None,
            antialias=True,
        )
        self.labels = pg.ScatterPlotItem(
            pxMode=True,
            size=CIRCLE_PX,
            pen=None,
            brush=pg.mkBrush(LETTER_COLOUR),
            antialias=True,
        )
        for z, item in enumerate((self.scatter, self.rings, self.labels)):
            item.setZValue(z)
            self.plot_item.addItem(item)
        self.hint = pg.TextItem(color=HINT_COLOUR, anchor=(0.5, 0.5))
        hint_font = QFont(self.font())
        hint_font.setPointSizeF(hint_font.pointSizeF() * 1.15)
        self.hint.setFont(hint_font)
        self.plot_item.addItem(self.hint, ignoreBounds=True)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_scene_clicked)

    # -- public interface --------------------------------------------------------------------
    def set_embedding(self, C: np.ndarray, itos: Sequence[str], *, step: int | None = None) -> None:
        """Show a snapshot of C (vocab_size, n_embd) whose row i belongs to itos[i].

        Cheap enough to call several times a second during training: the items are moved,
        not rebuilt, unless the vocabulary changed."""
        table = np.array(C, dtype=np.float64)  # our own copy, whatever the caller does next
        itos = tuple(itos)
        if table.ndim != 2 or table.shape[0] != len(itos) or table.shape[1] < 1:
            raise ValueError(
                f"C must have one row per character ({len(itos)}) and at least one column, "
                f"not shape {table.shape}"
            )
        first = self._C is None
        if itos != self._itos:
            self._set_vocabulary(itos)
            first = True
        if self._C is None or table.shape[1] != self._C.shape[1]:
            self._populate_dimension_combos(table.shape[1])
            self._pca.reset()
            first = True
        self._C = table
        self._step = step
        self._update_status()
        if first:
            self._follow = self._needs_fit = True
        self._redraw()
        self._follow_points(refit=first)

    def shown(self) -> tuple[np.ndarray | None, int | None]:
        """The table C shown (a copy, (vocab_size, n_embd); None: no model) and its step."""
        return (None if self._C is None else self._C.copy()), self._step

    def clear(self) -> None:
        """No model: an empty plot and a hint."""
        self._C = None
        self._itos = ()
        self._step = None
        self._highlighted = []
        self._points = np.zeros((0, 2))
        self._pca.reset()
        for item in (self.scatter, self.rings, self.labels):
            item.setData(pos=np.zeros((0, 2)))
        self._populate_dimension_combos(2)
        self._set_axis_labels("", "")
        self.status_label.setText("")
        self._show_hint(EMPTY_HINT)

    def highlight(self, indices: Sequence[int]) -> None:
        """Mark the characters of the current sampling context; [] clears the marks.

        Indices outside the vocabulary are ignored (a context of another model)."""
        chosen = sorted({int(i) for i in indices if 0 <= int(i) < len(self._itos)})
        if chosen == self._highlighted:
            return
        self._highlighted = chosen
        self._brushes = self._spot_brushes()
        if len(self._points):
            self.scatter.setBrush(self._brushes)
            self._move_rings()

    def highlighted(self) -> list[int]:
        """The indices marked by highlight(), sorted."""
        return list(self._highlighted)

    def set_projection(self, mode: str, x: int = 0, y: int = 1) -> None:
        """Choose what to plot: MODE_DIMENSIONS with columns x and y of C, or MODE_PCA.

        Columns beyond n_embd fall back to 0 and 1; PCA needs n_embd >= 2."""
        if mode not in (MODE_DIMENSIONS, MODE_PCA):
            raise ValueError(f"mode must be {MODE_DIMENSIONS!r} or {MODE_PCA!r}, not {mode!r}")
        self._want_pca = mode == MODE_PCA
        self._want_x, self._want_y = int(x), int(y)
        self._populate_dimension_combos(self._n_embd())
        self._refit()

    def set_replay_projection(self, projection: ReplayProjection | None) -> None:
        """Replaying a run: PCA draws every frame with the same map (the last frame's
        components) in the same range, so a character moves on screen only when it moves
        in C. None: back to the live PCA, which follows the model frame by frame."""
        if projection is self._replay:
            return
        self._replay = projection
        self._pca.reset()
        if not self._hold_replay_range():
            self._follow = self._needs_fit = True
        self._redraw()
        self._follow_points()

    def _replay_range(self) -> tuple[float, float, float, float] | None:
        """While replaying: the range that holds every frame of what is drawn (the fixed
        PCA map's, or the two columns' over the run); None: follow the points."""
        replay = self._replay
        if replay is None:
            return None
        mode, x, y = self.projection()
        if mode == MODE_PCA:
            return replay.limits if replay.basis is not None else None
        return None if y is None else replay.column_limits(x, y)

    def _hold_replay_range(self) -> bool:
        """Show the replay's fixed range, if there is one: a character moves on screen only
        when it moves in C, and the axes (and grid) stay still from frame to frame."""
        limits = self._replay_range()
        if limits is None:
            return False
        x0, x1, y0, y1 = limits
        self._follow = False  # the fixed range holds every frame
        self.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        return True

    def projection(self) -> tuple[str, int, int | None]:
        """What is shown: (mode, x column, y column); the columns are those of MODE_DIMENSIONS
        (y is None for a one-dimensional embedding)."""
        return self.projection_for(self._n_embd())

    def points(self) -> np.ndarray:
        """(vocab_size, 2) coordinates of the drawn circles (empty without a model)."""
        return self._points.copy()

    def axis_labels(self) -> tuple[str, str]:
        """The (horizontal, vertical) axis titles."""
        return self._axis_text["bottom"], self._axis_text["left"]

    def fit(self) -> None:
        """Zoom to every character and follow them again as training moves them (while
        replaying: back to the range that holds every frame)."""
        if self._hold_replay_range():
            return
        self._follow = True
        self._follow_points(refit=True)

    def following(self) -> bool:
        """Whether the view follows the characters (until the user zooms or pans)."""
        return self._follow

    def export_png(self, path: str) -> None:
        """Save the plot, as shown, to a PNG file, drawn at export size (text scaled too)."""
        export_widgets_png([self.plot_widget], path)

    # -- drawing -----------------------------------------------------------------------------
    def _redraw(self) -> None:
        if self._C is None:
            return
        if not np.all(np.isfinite(self._C)):
            self._points = np.zeros((0, 2))
            for item in (self.scatter, self.rings, self.labels):
                item.setData(pos=np.zeros((0, 2)))
            self._show_hint(NOT_FINITE_HINT)
            return
        if self.hint.isVisible():  # back from the hint: the points need a view again
            self.hint.setVisible(False)
            self.view_box.setMouseEnabled(x=True, y=True)
            self._follow = self._needs_fit = True
        mode, x, y = self.projection()
        if mode == MODE_PCA and self._replay is not None and self._replay.basis is not None:
            self._points = self._replay.project(self._C)
            self._set_axis_labels("PC 1 of the run's last C", "PC 2 of the run's last C",
                                  short=("PC 1 (last C)", "PC 2 (last C)"))  # fmt: skip
        elif mode == MODE_PCA:
            self._points, self._explained = self._pca.project(self._C)
            self._set_axis_labels(
                f"PCA component 1 ({self._percent(0)} of the variance)",
                f"PCA component 2 ({self._percent(1)} of the variance)",
                short=(f"PC 1 ({self._percent(0)})", f"PC 2 ({self._percent(1)})"),
            )
        else:
            self._points = select_dimensions(self._C, x, y)
            self._set_axis_labels(
                f"C[:, {x}]",
                f"C[:, {y}]" if y is not None else ONE_COLUMN_LABEL,
                short=(f"C[:, {x}]", f"C[:, {y}]" if y is not None else "0"),
            )
        # a one-column C is a strip along y = 0: a single tick there, no scale to misread
        one_column = mode == MODE_DIMENSIONS and y is None
        if one_column != self._strip:
            self._strip = one_column
            self.plot_item.getAxis("left").setTicks([[(0.0, "0")]] if one_column else None)
        pos = self._points
        if not _move_spots(self.scatter, pos):
            self.scatter.setData(pos=pos, brush=self._brushes, data=self._spot_index)
        if not _move_spots(self.labels, pos):
            self.labels.setData(pos=pos, symbol=self._symbols)
        self._move_rings()

    def _follow_points(self, refit: bool = False) -> None:
        """Keep every character in view while following.

        The view is re-fitted only when a character would leave it or all of them shrink to a
        small part of it, so during training the frame stays still while the points move
        (a range that changed every frame would make the axes and grid swim)."""
        if not self._follow or len(self._points) == 0:
            return
        lo, hi = self._points.min(axis=0), self._points.max(axis=0)
        if not (refit or self._needs_fit):
            rect = self.view_box.viewRect()  # data coordinates: top() is the lowest y
            px, py = self.view_box.viewPixelSize()
            r = self._radius_px()
            inside = (
                lo[0] - r * px >= rect.left()
                and hi[0] + r * px <= rect.right()
                and lo[1] - r * py >= rect.top()
                and hi[1] + r * py <= rect.bottom()
            )
            span = hi - lo
            small = span[0] < _SHRINK * rect.width() and span[1] < _SHRINK * rect.height()
            if inside and not small:
                return
        # room around the points for a few frames of movement, and for the circles' radius
        self._needs_fit = False
        self._show_range(lo, hi, _HEADROOM)

    def _on_user_moved_view(self, *_: object) -> None:
        self._follow = False  # the learner zoomed or panned: stop following until Fit

    def _move_rings(self) -> None:
        self.rings.setData(pos=self._points[self._highlighted].reshape(-1, 2))

    def _percent(self, i: int) -> str:
        value = self._explained[i] if i < len(self._explained) else 0.0
        return f"{100 * value:.0f}%"

    def _set_axis_labels(
        self, bottom: str, left: str, short: tuple[str, str] | None = None
    ) -> None:
        """The axis titles; `short` versions are shown when the full ones do not fit along
        their axis (a small dock, large text): a title is never cut."""
        short = short or (bottom, left)
        for name, text, brief in (("bottom", bottom, short[0]), ("left", left, short[1])):
            self._axis_text[name] = text
            self._axis_short[name] = brief
        self._show_axis_labels()

    def _show_axis_labels(self) -> None:
        metrics = QFontMetricsF(self.font())
        rect = self.view_box.sceneBoundingRect()
        room = {"bottom": rect.width() - 8, "left": rect.height() - 8}
        for name in ("bottom", "left"):
            text = self._axis_text[name]
            if text and metrics.horizontalAdvance(text) > room[name]:
                text = self._axis_short[name]
            if text and metrics.horizontalAdvance(text) > room[name]:
                text = ""  # a tiny plot: no title rather than a cut one (the tooltip has it)
            if self._axis_shown[name] != text:  # a new title re-lays out the plot
                self._axis_shown[name] = text
                axis = self.plot_item.getAxis(name)  # (its style holds the zoomed size)
                self.plot_item.setLabel(name, text, **{**axis.labelStyle, "color": "#333333"})
                self.plot_item.getAxis(name).setToolTip(self._axis_text[name])

    def shown_axis_labels(self) -> tuple[str, str]:
        """The (horizontal, vertical) titles as drawn (maybe the short forms)."""
        return self._axis_shown["bottom"], self._axis_shown["left"]

    def zoom_to_crowd(self) -> bool:
        """Zoom to the densest cluster of characters, where their labels overlap the most.
        False when there is nothing to zoom to. The view then stays until Fit."""
        crowd = densest_cluster(self._points)
        if len(crowd) < 2:
            return False
        lo, hi = self._points[crowd].min(axis=0), self._points[crowd].max(axis=0)
        self._follow = False
        self._show_range(lo, hi, 0.35)
        return True

    def _radius_px(self) -> float:
        """A circle's radius on screen (it follows the zoom), and a little margin."""
        return CIRCLE_PX * text_scale(self) / 2 + 2

    def _show_range(self, lo: np.ndarray, hi: np.ndarray, headroom: float) -> None:
        """Show the points between lo and hi (data coordinates, shape (2,)) with headroom
        (a fraction of their largest extent) around them, and their circles whole: the
        circles are a fixed number of pixels, so in a short plot (1024 x 600) a margin in data
        units alone cut the top and bottom rows in half. One scale for both axes (the view's
        aspect is locked): the larger of what each axis needs once the radius is set aside."""
        pad = headroom * max(float(np.max(hi - lo)), 1e-6)
        span = (hi - lo) + 2 * pad  # (2,) data units
        rect = self.view_box.sceneBoundingRect()
        # a plot too short for whole circles (large text in a small dock) keeps at least half
        # its height for the data: edge circles are cut there rather than the points squeezed
        # into a dot
        radius = min(self._radius_px(), rect.width() / 4, rect.height() / 4)
        width, height = rect.width() - 2 * radius, rect.height() - 2 * radius
        if width < 10 or height < 10:  # not laid out yet, or tiny: the data margin alone
            self.view_box.setRange(
                xRange=(lo[0] - pad, hi[0] + pad), yRange=(lo[1] - pad, hi[1] + pad), padding=0
            )
            return
        per_px = max(float(span[0]) / width, float(span[1]) / height)  # data units per pixel
        centre = (lo + hi) / 2
        half_x, half_y = per_px * rect.width() / 2, per_px * rect.height() / 2
        self.view_box.setRange(
            xRange=(centre[0] - half_x, centre[0] + half_x),
            yRange=(centre[1] - half_y, centre[1] + half_y),
            padding=0,
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the zoom changed
            self._scale_text()

    def _scale_text(self) -> None:
        """Axis text, circles and letters follow the zoom."""
        scale = text_scale(self)
        scale_plot_text(self.plot_item, self.font(), scale)
        size = round(CIRCLE_PX * scale)
        self.scatter.setSize(size)
        self.labels.setSize(size)
        self.rings.setSize(size + round(8 * scale))
        hint_font = QFont(self.font())
        hint_font.setPointSizeF(hint_font.pointSizeF() * 1.15)
        self.hint.setFont(hint_font)
        # The status changes at every training update. Qt re-lays out the whole window when a
        # widget's size hint changes, unless its size is fixed: so it gets one, for its
        # longest text (a width that followed the view would stop the dock from shrinking).
        margins = self.contentsMargins()
        room = self._room(self.width() - 8 - margins.left() - margins.right())
        self._fit_status(room, force=True)
        self._show_axis_labels()

    def _room(self, width: int) -> int:
        """width, or less when the view is wider than the scrolling dock that shows it
        (the one-line status itself may be what makes it wider)."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is None:
            return width
        if self._watched is not parent.viewport():
            self._watched = parent.viewport()
            self._watched.installEventFilter(self)  # its resizes fit the status too
        return min(width, self._watched.width() - (self.width() - width))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched and event.type() == QEvent.Type.Resize:
            margins = self.contentsMargins()
            self._fit_status(self._room(self.width() - 8 - margins.left() - margins.right()))
        return super().eventFilter(watched, event)

    def _fit_status(self, width: int, force: bool = False) -> None:
        """The status beside the Zoom to crowd and Fit buttons on one line ("step 8,888 ·
        C is 27 × 2") or two (the step above the shape), or, when even two lines leave no
        room there (a small screen, large text), on a row of its own under them; its size
        fixed for its longest text of the kind."""
        metrics = self.status_label.fontMetrics()
        one_line = round(metrics.horizontalAdvance(STATUS_WIDEST)) + 6
        parts = STATUS_WIDEST.split(STATUS_SEPARATOR)
        two_lines = round(max(metrics.horizontalAdvance(part) for part in parts)) + 6
        spacing = max(self._view_buttons.spacing(), 0)
        buttons = sum(b.sizeHint().width() + spacing for b in (self.crowd_button, self.fit_button))
        if width - buttons >= one_line:
            separator, beside = STATUS_SEPARATOR, True
        elif width - buttons >= two_lines:
            separator, beside = "\n", True
        else:
            separator, beside = (STATUS_SEPARATOR if width >= one_line else "\n"), False
        if (separator, beside) == (self._status_separator, self._status_beside) and not force:
            return
        self._status_separator, self._status_beside = separator, beside
        if separator == STATUS_SEPARATOR:
            self.status_label.setFixedSize(one_line, metrics.height() + 4)
        else:
            self.status_label.setFixedSize(two_lines, 2 * metrics.lineSpacing() + 4)
        in_row = self._view_buttons.indexOf(self.status_label) >= 0
        layout = self.layout()
        if beside != in_row and isinstance(layout, QVBoxLayout):
            (layout if in_row else self._view_buttons).removeWidget(self.status_label)
            if beside:
                self._view_buttons.addWidget(self.status_label)
            else:  # the row under the buttons
                items = [layout.itemAt(i) for i in range(layout.count())]
                row = next(i for i, item in enumerate(items)
                           if item is not None and item.layout() is self._view_buttons)  # fmt: skip
                layout.insertWidget(row + 1, self.status_label)
        if self._C is not None:
            self._update_status()

    def _show_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setPos(0, 0)
        self.hint.setVisible(True)
        self.view_box.setMouseEnabled(x=False, y=False)
        self.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
        self._follow = True

    def _update_status(self) -> None:
        assert self._C is not None
        vocab_size, n_embd = self._C.shape
        shape = f"C is {vocab_size} × {n_embd}"
        if self._step is None:
            self.status_label.setText(shape)
        else:
            self.status_label.setText(f"step {self._step:,}{self._status_separator}{shape}")

    # -- vocabulary and styles ---------------------------------------------------------------
    def _set_vocabulary(self, itos: tuple[str, ...]) -> None:
        """A new set of characters: new letters, styles and tooltips (the rest is reused)."""
        self._itos = itos
        self._highlighted = []
        self._spot_index = list(range(len(itos)))
        self._symbols = [self._glyph(displayed_character(ch)) for ch in itos]
        self._brushes = self._spot_brushes()
        self._pca.reset()
        # new spots with their styles; from now on, set_embedding only moves them
        empty = np.zeros((0, 2))
        self.scatter.setData(pos=empty)
        self.labels.setData(pos=empty)

    def _spot_brushes(self) -> list[QBrush]:
        brushes = [self._character_brush] * len(self._itos)
        if brushes:
            brushes[0] = self._boundary_brush
        for i in self._highlighted:
            brushes[i] = self._highlight_brush
        return brushes

    def _glyph(self, ch: str) -> QPainterPath:
        """The outline of ch, centred in the unit box a scatter symbol is drawn in."""
        if ch not in self._glyphs:
            font = QFont(QApplication.font())
            font.setPixelSize(_GLYPH_FONT_PX)
            font.setWeight(QFont.Weight.DemiBold)
            path = QPainterPath()
            path.addText(0, 0, font, ch)
            box: QRectF = path.boundingRect()
            scale = _CAP_HEIGHT / QFontMetricsF(font).capHeight()
            if box.width() * scale > _MAX_GLYPH_WIDTH:
                scale = _MAX_GLYPH_WIDTH / box.width()
            largest = max(box.width(), box.height())
            if 0 < largest * scale < _MIN_GLYPH_SIZE:  # '.', ',' and '-' stay visible
                scale = _MIN_GLYPH_SIZE / largest
            # symbols are drawn in screen pixels, y down like the glyph: no flip needed
            transform = QTransform()
            transform.scale(scale, scale)
            transform.translate(-box.center().x(), -box.center().y())
            self._glyphs[ch] = transform.map(path)
        return self._glyphs[ch]

    def _tip(self, x: float, y: float, data: object) -> str:
        i = int(data)  # type: ignore[call-overload]
        if not 0 <= i < len(self._itos):
            return ""
        ch = self._itos[i]
        name = f"'{ch}'" if displayed_character(ch) == ch else f"{ch!r}"
        lines = [f"{name}: row {i} of C"]
        if i == 0:
            lines.append("the boundary token: it starts and ends every name")
        mode, dx, dy = self.projection()
        if mode == MODE_PCA:
            lines.append(f"PCA component 1 = {x:.3f}, component 2 = {y:.3f}")
        else:
            lines.append(f"C[{i}, {dx}] = {x:.3f}")
            if dy is not None:
                lines.append(f"C[{i}, {dy}] = {y:.3f}")
        return "\n".join(lines)

    # -- the projection selector -------------------------------------------------------------
    def _n_embd(self) -> int:
        return self._C.shape[1] if self._C is not None else 2

    def _populate_dimension_combos(self, n_embd: int) -> None:
        """Fill the x/y lists for n_embd columns, keeping the learner's choice where it fits."""
        combos = (self.mode_combo, self.x_combo, self.y_combo)
        for combo in combos:
            combo.blockSignals(True)
        try:
            pca_item = self.mode_combo.model().item(1)  # type: ignore[attr-defined]
            pca_item.setEnabled(n_embd >= 2)
            pca_item.setToolTip("" if n_embd >= 2 else "PCA needs at least two dimensions")
            self.x_combo.clear()
            self.y_combo.clear()
            for d in range(n_embd):
                self.x_combo.addItem(f"C[:, {d}]", d)
                self.y_combo.addItem(f"C[:, {d}]", d)
            if n_embd < 2:
                self.y_combo.clear()
                self.y_combo.addItem("none", None)
            mode, x, y = self.projection_for(n_embd)
            self.mode_combo.setCurrentIndex(1 if mode == MODE_PCA else 0)
            self.x_combo.setCurrentIndex(x)
            self.y_combo.setCurrentIndex(y if y is not None else 0)
            dims = mode == MODE_DIMENSIONS
            self.x_combo.setEnabled(dims and n_embd >= 2)
            self.y_combo.setEnabled(dims and n_embd >= 2)
        finally:
            for combo in combos:
                combo.blockSignals(False)

    def projection_for(self, n_embd: int) -> tuple[str, int, int | None]:
        """What projection() would give for an embedding of n_embd columns."""
        mode = MODE_PCA if self._want_pca and n_embd >= 2 else MODE_DIMENSIONS
        x = self._want_x if self._want_x < n_embd else 0
        if n_embd < 2:
            return mode, x, None
        y = self._want_y if self._want_y < n_embd else (1 if x != 1 else 0)
        return mode, x, y

    def _on_mode_chosen(self, index: int) -> None:
        self._want_pca = self.mode_combo.itemData(index) == MODE_PCA
        self._populate_dimension_combos(self._n_embd())
        self._refit()

    def _on_dimension_chosen(self, _index: int) -> None:
        x, y = self.x_combo.currentData(), self.y_combo.currentData()
        if x is None or self._n_embd() < 2:
            return
        self._want_x = int(x)
        if y is not None:
            self._want_y = int(y)
        self._refit()

    def _refit(self) -> None:
        """A different picture: redraw it and fit the view to it."""
        if self._C is None:
            return
        self._redraw()
        self.fit()

    def _on_scene_clicked(self, event: object) -> None:
        double = getattr(event, "double", None)
        if double is not None and double() and event.button() == Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            self.fit()


def densest_cluster(points: np.ndarray, radius_share: float = 0.12) -> np.ndarray:
    """Indices of the points around the one with the most neighbours within radius_share of
    the whole spread: where the circles crowd the most. Empty for fewer than 3 points."""
    if len(points) < 3 or not np.all(np.isfinite(points)):
        return np.zeros(0, dtype=int)
    spread = float(np.max(points.max(axis=0) - points.min(axis=0)))
    if spread <= 0:
        return np.arange(len(points))
    distances = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)  # (V, V)
    near = distances <= radius_share * spread
    centre = int(np.argmax(near.sum(axis=1)))
    return np.flatnonzero(near[centre])


def _move_spots(item: pg.ScatterPlotItem, pos: np.ndarray) -> bool:
    """Move the existing spots of item to pos (n, 2), keeping their styles; False if the
    count differs (then setData must create them).

    setData would rebuild every spot and look its style up again: ~4 ms for 200 characters
    against ~0.2 ms here. This writes the coordinates into the item's spot table and then
    invalidates exactly what ScatterPlotItem.addPoints invalidates after new data.
    """
    data = getattr(item, "data", None)
    if data is None or len(data) != len(pos) or len(pos) == 0:
        return False
    data["x"] = pos[:, 0]
    data["y"] = pos[:, 1]
    item.prepareGeometryChange()
    item.informViewBoundsChanged()
    item.bounds = [None, None]
    item.invalidate()
    item.sigPlotChanged.emit(item)
    return True
