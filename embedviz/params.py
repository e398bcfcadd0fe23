"""Parameters that describe themselves: one declaration per parameter, read by every face.

A projection method or a clusterer lists its :class:`Param` objects; the app's sliders, the
command line's flags, the checks and the docs all read them, so a default or a range is
written once (scikit-learn's ``_parameter_constraints`` serves the same purpose).

Example:
    >>> p = Param("perplexity", 30.0, low=1.0, high=None, ui=(2.0, 100.0, 1.0))
    >>> p.check(40, "t-SNE")
    40.0
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ParameterError


@dataclass(frozen=True)
class Param:
    """One tunable parameter.

    Attributes:
        name: the keyword (scikit-learn's name where there is one: ``n_neighbors``).
        default: the value used when none is given; its type (int or float) is the param's.
        low, high: the accepted range (inclusive); ``None`` for no bound.
        ui: (lowest, highest, step) of the app's slider: a range people need, inside
            ``low..high``.
        help: one sentence for the slider's help and the flag's ``--help``.
    """

    name: str
    default: int | float
    low: int | float | None = None
    high: int | float | None = None
    ui: tuple[int | float, int | float, int | float] | None = None
    help: str = ""

    @property
    def kind(self) -> type:
        return int if isinstance(self.default, int) else float

    @property
    def flag(self) -> str:
        """The command-line flag: ``--n-neighbors``."""
        return "--" + self.name.replace("_", "-")

    def range_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"at least {self.low:g}"
        if self.high is not None:
            return f"at most {self.high:g}"
        return "any number"

    def check(self, value, owner: str) -> int | float:
        """``value`` as this parameter's type, or a :class:`ParameterError` that names the
        parameter, the value and the accepted range."""
        try:
            number = float(value)
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
