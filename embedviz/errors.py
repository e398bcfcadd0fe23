"""The one root of embedviz's errors, so that the CLI, the app and a notebook catch one class.

Every error embedviz raises on purpose says what was wrong and what to do about it. Each
subclass also derives from the builtin a caller would expect (``ValueError`` for bad input,
``RuntimeError`` for a model that cannot load), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class EmbedvizError(Exception):
    """Anything embedviz refuses or cannot do; the message is the fix."""


class InputError(EmbedvizError, ValueError):
    """The user's input cannot be used; the message says what to do about it."""


class ParameterError(EmbedvizError, ValueError):
    """A parameter is unknown or out of range; the message names it, the value and the range."""


class ModelLoadError(EmbedvizError, RuntimeError):
    """A model could not be loaded; the message says what to give instead."""


class LLMError(EmbedvizError, RuntimeError):
    """A local LLM could not be loaded or did not answer; the message says what to do."""
