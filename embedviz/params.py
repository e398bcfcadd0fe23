"""Parameters that describe themselves: one declaration per parameter, read by every face.

A projection method, a clusterer, an encoder or an LLM backend lists its :class:`Param`
objects; the app's widgets, the command line's flags, the checks, the generated tests and
the docs all read them, so a default or a range is written once (scikit-learn's
``_parameter_constraints`` serves the same purpose).

A parameter is a number (``int`` or ``float`` default, an optional range), a choice among
strings (``choices``), a switch (``bool`` default) or free text (``str`` default).

Example:
    >>> p = Param("perplexity", 30.0, low=1.0, high=None, ui=(2.0, 100.0, 1.0))
    >>> p.check(40, "t-SNE")
    40.0
    >>> Param("precision", "auto", choices=("auto", "fp16")).check("fp16", "ChatGLM")
    'fp16'
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ParameterError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Param:
    """One tunable parameter.

    Attributes:
        name: the keyword (scikit-learn's name where there is one: ``n_neighbors``).
        default: the value used when none is given; its type (int, float, bool, str) is
            the param's.
        low, high: the accepted range of a number (inclusive); ``None`` for no bound.
        ui: (lowest, highest, step) of the app's slider: a range people need, inside
            ``low..high``.
        help: one sentence for the widget's help and the flag's ``--help``.
        choices: the accepted strings, for a choice.
        label: what a widget calls it, when not its name.
    """

    name: str
    default: int | float | bool | str
    low: int | float | None = None
    high: int | float | None = None
    ui: tuple[int | float, int | float, int | float] | None = None
    help: str = ""
    choices: tuple[str, ...] = ()
    label: str = ""

    @property
    def kind(self) -> type:
        if isinstance(self.default, bool):
            return bool
        if isinstance(self.default, int):
            return int
        if isinstance(self.default, float):
            return float
        return str

    @property
    def numeric(self) -> bool:
        return self.kind in (int, float)

    @property
    def flag(self) -> str:
        """The command-line flag: ``--n-neighbors``."""
        return "--" + self.name.replace("_", "-")

    def range_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "any text"
        if self.low is not None and self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"at least {self.low:g}"
        if self.high is not None:
            return f"at most {self.high:g}"
        return "any number"

    def check(self, value, owner: str) -> int | float | bool | str:
        """``value`` as this parameter's type, or a :class:`ParameterError` that names the
        parameter, the value and what is accepted."""
        if self.choices:
            if str(value) in self.choices:
                return str(value)
            raise ParameterError(f"{owner} {self.name} must be {self.range_text()}; got {value!r}.")
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE and not isinstance(value, float):
                return text in _TRUE
            raise ParameterError(f"{owner} {self.name} must be true or false; got {value!r}.")
        if self.kind is str:
            if value is None or isinstance(value, str):
                return value or ""
            raise ParameterError(f"{owner} {self.name} must be text; got {value!r}.")
        return self._check_number(value, owner)

    def _check_number(self, value, owner: str) -> int | float:
        try:
            number = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            number = float("nan")
        ok = number == number and (self.kind is float or number.is_integer())
        if ok and self.low is not None:
            ok = number >= self.low
        if ok and self.high is not None:
            ok = number <= self.high
        if not ok:
            kind = "a whole number" if self.kind is int else "a number"
            raise ParameterError(
                f"{owner} {self.name} must be {kind} {self.range_text()}, got {value!r}."
            )
        return self.kind(number)

    def edge_values(self) -> list:
        """Values at the ends of what is accepted (for the tests generated over every
        registry): both ends of a range, every choice, both switches."""
        if self.choices:
            return list(self.choices)
        if self.kind is bool:
            return [False, True]
        if self.kind is str:
            return ["", "x"]
        values = [self.default]
        values += [v for v in (self.low, self.high) if v is not None]
        return [self.kind(v) for v in values]

    def invalid_values(self) -> list:
        """Values just outside what is accepted, each of which :meth:`check` refuses."""
        if self.choices:
            return ["no-such-" + self.name, ""]
        if self.kind is bool:
            return ["maybe", 2]
        if self.kind is str:
            return [3, ["x"]]
        step = 1 if self.kind is int else 1e-6
        out: list = ["many", None, float("nan")]
        if self.low is not None:
            out.append(self.low - step)
        if self.high is not None:
            out.append(self.high + step)
        if self.kind is int:
            out.append((self.low if self.low is not None else 0) + 0.5)
        return out


def check_params(params: dict, declared: tuple[Param, ...], owner: str) -> dict:
    """Check every given parameter against its declaration.

    Raises:
        ParameterError: a parameter ``owner`` does not take (the message lists those it
            does) or a value out of range.
    """
    by_name = {p.name: p for p in declared}
    unknown = sorted(set(params) - set(by_name))
    if unknown:
        takes = ", ".join(by_name) or "no parameters"
        raise ParameterError(f"{owner} does not take {', '.join(unknown)}. It takes: {takes}.")
    return {name: by_name[name].check(value, owner) for name, value in params.items()}


def with_defaults(params: dict, declared: tuple[Param, ...], owner: str) -> dict:
    """Every declared parameter: the given ones checked, the rest at their defaults, in the
    order they are declared."""
    checked = check_params(params, declared, owner)
    return {p.name: checked.get(p.name, p.default) for p in declared}
