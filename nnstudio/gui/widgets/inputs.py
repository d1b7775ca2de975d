"""Small input widgets the editor panels share."""

from __future__ import annotations

import math
import re

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSignalBlocker, Qt
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QAbstractScrollArea, QAbstractSpinBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox,
                               QWidget)

_MANTISSAS = (1.0, 2.0, 5.0)


def _grid(exponent: int) -> list[float]:
    # float("2e-05") is the closest double to 2·10⁻⁵; 2 * 10 ** -5 may not be
    return [float(f"{m:g}e{exponent}") for m in _MANTISSAS]


def log_step_up(value: float) -> float:
    """The next value of the 1, 2, 5 × 10ⁿ sequence above ``value`` (> 0)."""
    e = math.floor(math.log10(value))
    for g in _grid(e) + _grid(e + 1):
        if g > value * (1 + 1e-9):
            return g
    return _grid(e + 2)[0]


def log_step_down(value: float) -> float:
    """The previous value of the 1, 2, 5 × 10ⁿ sequence below ``value`` (> 0)."""
    e = math.floor(math.log10(value))
    for g in reversed(_grid(e - 1) + _grid(e)):
        if g < value * (1 - 1e-9):
            return g
    return _grid(e - 2)[-1]


class LogSpinBox(QDoubleSpinBox):
    """A spin box for scale parameters (learning rates, penalties, thresholds).

    The arrows step through 1, 2, 5 × 10ⁿ (each step multiplies or divides by about 2.2);
    typing accepts any number, scientific notation included (``3e-4``).  With ``zero_text``
    the value 0 is allowed and shown as that text (``"off"``); stepping down from the
    smallest positive value reaches it.  ``typed`` widens what typing accepts beyond the
    arrows' range, so that a value the config refuses (a learning rate of 0) reaches the config,
    which explains it, instead of being silently put back.
    """

    def __init__(self, minimum: float, maximum: float, zero_text: str = "", parent: QWidget | None = None,
                 typed: tuple[float, float] | None = None):
        super().__init__(parent)
        self._floor = minimum
        self._ceiling = maximum
        self._zero_text = zero_text
        self._typed = typed is not None
        self.setDecimals(15)  # precision of stored values; the display uses textFromValue
        lo, hi = typed if typed is not None else (0.0 if zero_text else minimum, maximum)
        self.setRange(lo, hi)
        if zero_text:
            self.setSpecialValueText(zero_text)
        self.setKeyboardTracking(False)
        self.setAccelerated(True)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        return "0" if value == 0 else f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        text = text.strip()
        if self._zero_text and text == self._zero_text:
            return 0.0
        try:
            return parse_scale(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if self._zero_text and stripped == self._zero_text:
            return QValidator.State.Acceptable
        try:
            value = parse_scale(stripped)
        except ValueError:
            partial = stripped == "" or all(c in "0123456789.,eE+-" for c in stripped)
            return QValidator.State.Intermediate if partial else QValidator.State.Invalid
        return QValidator.State.Acceptable if self.accepts(value) else QValidator.State.Intermediate

    def accepts(self, value: float) -> bool:
        """Whether a typed ``value`` is taken (else the box puts its last value back)."""
        return self.minimum() <= value <= self.maximum() and (value == 0 or value >= self._floor or self._typed)

    def range_text(self) -> str:
        """What typing accepts, in words."""
        if self._typed:
            lo = "above 0" if self.minimum() == 0 else f"from {_number(self.minimum())}"
            return f"{lo}, up to {_number(self.maximum())}"
        zero = f"0 ({self._zero_text}) or " if self._zero_text else ""
        return f"{zero}{_number(self._floor)} to {_number(self.maximum())}"

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                value = self._floor if value <= 0 else log_step_up(value)
            elif value <= self._floor * (1 + 1e-9):
                value = 0.0 if self._zero_text else self._floor
            else:
                value = max(self._floor, log_step_down(value))
        self.setValue(min(value, self._ceiling))


def parse_scale(text: str) -> float:
    """A typed scale parameter: a number, with a decimal comma taken as a point ("0,02" is 0.02,
    never 2: such values need no thousands separator)."""
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    return float(text)


def decimal_comma(spin: QAbstractSpinBox) -> bool:
    """Whether the text typed into a spin box of fractions holds a comma where a decimal point
    belongs (the box reads "0,3" as 3: the comma separates thousands)."""
    return isinstance(spin, QDoubleSpinBox) and not isinstance(spin, LogSpinBox) and "," in spin.cleanText()


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def range_text(spin: QAbstractSpinBox) -> str:
    """The values ``spin`` takes, in words ("1 to 1,000,000", "0 (full batch) to 1,000,000")."""
    if isinstance(spin, LogSpinBox):
        return spin.range_text()
    lo, hi = spin.minimum(), spin.maximum()
    special = spin.specialValueText()
    low = f"{_number(lo)} ({special})" if special else _number(lo)
    return f"{low} to {_number(hi)}"


def refused_entry(spin: QAbstractSpinBox) -> bool:
    """Whether the number typed into ``spin`` (not yet committed) is one it will not take: on
    Return or leaving the box it would silently put its last value back."""
    text = spin.cleanText().strip()
    if not text or (spin.specialValueText() and text == spin.specialValueText()):
        return False
    try:
        value = float(text.replace(",", "")) if not isinstance(spin, LogSpinBox) else parse_scale(text)
    except ValueError:
        return False
    if isinstance(spin, LogSpinBox):
        return not spin.accepts(value)
    if isinstance(spin, QSpinBox) and not value.is_integer():
        return True
    return not spin.minimum() <= value <= spin.maximum()


class _WheelGuard(QObject):
    """Let the mouse wheel scroll the panel instead of changing an unfocused spin box or combo."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.Wheel or not isinstance(obj, QWidget) or obj.hasFocus():
            return False
        area = obj.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QCoreApplication.sendEvent(area.verticalScrollBar(), event)
        return True


_WHEEL_GUARD: _WheelGuard | None = None


def guard_wheel(*widgets: QWidget) -> None:
    """Make wheel events reach ``widgets`` only once they have been clicked (focused)."""
    global _WHEEL_GUARD
    if _WHEEL_GUARD is None:
        _WHEEL_GUARD = _WheelGuard()
    for w in widgets:
        w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        w.installEventFilter(_WHEEL_GUARD)


_PARTIAL_INT = re.compile(r"[+-]?\d*")
_PARTIAL_FLOAT = re.compile(r"[+-]?\d*[.,]?\d*")


def _let_through(spin: QAbstractSpinBox, result, pattern: re.Pattern):
    """Let a number outside the range be typed (Qt refuses its keystrokes): on Return the
    connector then says why it is not applied, instead of the box eating the key unseen."""
    state, text, pos = result
    if state == QValidator.State.Invalid and pattern.fullmatch(text.strip()) and \
            text.strip() != spin.specialValueText():
        state = QValidator.State.Intermediate
    return state, text, pos


class IntSpinBox(QSpinBox):
    """A spin box that lets any integer be typed; one outside the range is reported, not applied."""

    def validate(self, text: str, pos: int):
        return _let_through(self, super().validate(text, pos), _PARTIAL_INT)


class FloatSpinBox(QDoubleSpinBox):
    """A spin box that lets any number be typed; one outside the range is reported, not applied."""

    def validate(self, text: str, pos: int):
        return _let_through(self, super().validate(text, pos), _PARTIAL_FLOAT)


def int_spin(minimum: int, maximum: int, special: str = "", parent: QWidget | None = None) -> QSpinBox:
    spin = IntSpinBox(parent)
    spin.setRange(minimum, maximum)
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    if special:
        spin.setSpecialValueText(special)
    return spin


def float_spin(minimum: float, maximum: float, step: float, decimals: int,
               parent: QWidget | None = None) -> QDoubleSpinBox:
    spin = FloatSpinBox(parent)
    spin.setRange(minimum, maximum)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setKeyboardTracking(False)
    return spin


def wheel_guarded_children(root: QWidget) -> None:
    """Apply :func:`guard_wheel` to every spin box and combo box under ``root``."""
    guard_wheel(*root.findChildren(QAbstractSpinBox), *root.findChildren(QComboBox))


class SecretUrlEdit(QLineEdit):
    """A line edit for a URL that may hold a password: shown in full while focused (for typing),
    masked by ``mask`` otherwise, so a password never stays on screen.  :meth:`url` is the
    real text whichever is shown."""

    def __init__(self, mask, parent: QWidget | None = None):
        super().__init__(parent)
        self._mask = mask
        self._url = ""
        self._masked = False

    def url(self) -> str:
        return self._url if self._masked else self.text()

    def focusInEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._masked:
            self._show(self._url, masked=False)
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.conceal()

    def conceal(self) -> None:
        """Show the masked form now (if it differs from the text)."""
        url = self.url()
        shown = self._mask(url)
        if shown != url:
            self._url = url
            self._show(shown, masked=True)

    def _show(self, text: str, masked: bool) -> None:
        blocker = QSignalBlocker(self)
        try:
            self.setText(text)
        finally:
            blocker.unblock()
        self._masked = masked
