"""Errors raised by `sim`.

Every error a user can cause derives from :class:`SimError`; the command line turns it into one
line on standard error and exit status 2.
"""

from __future__ import annotations

__all__ = ["SimError", "ScenarioError", "PolicyDataError", "InputDataError", "OutputError", "NumericalError",
           "ArgumentError"]


class SimError(Exception):
    """Root of every error caused by bad input to `sim`."""


class ScenarioError(SimError):
    """A scenario file is malformed or names impossible values.

    Parameters
    ----------
    problems : list of str
        One line per problem, each naming the file, the key path and what is allowed.
    omitted : int
        Further problems found but not formatted (the message lists at most
        :data:`sim.messages.MAX_PROBLEM_LINES` and counts the rest).
    """

    def __init__(self, problems: list[str], omitted: int = 0):
        from sim.messages import bounded_lines

        self.problems = list(problems)
        self.omitted = omitted
        super().__init__("\n".join(bounded_lines(self.problems, omitted)))


class PolicyDataError(SimError):
    """A gazette data file shipped with the package is inconsistent."""


class InputDataError(SimError):
    """A CSV or other input file given by the user is malformed."""


class OutputError(SimError):
    """An output folder cannot be written as asked (exists, not writable)."""


class NumericalError(SimError):
    """A run produced a number that is not finite (values of the scenario that overflow together)."""


class ArgumentError(SimError, ValueError):
    """An argument of the Python API (or a command-line flag) is out of its allowed range or of the wrong type."""
