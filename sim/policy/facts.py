"""Facts about recipients that populations publish each year, for the instrument kinds to pay on.

A population (stations, firms, projects, incubators, centres, the fleet) does not know which
instruments exist: each year it publishes small typed tables of what its recipients did
(completed a station of some capacity, sold kg at a price, crossed a threshold, passed a
milestone ...), and hands them to the model's :class:`~sim.policy.claims.ClaimDesk`. Each kind
of instrument (:mod:`sim.policy.kinds`) says which tables it pays on and turns them into claims
under every programme of its kind that applies.

Recipient ids are indices into the population (station slot, firm index, project number ...);
they are what the ledger's per-recipient caps key on and what ``payments.csv`` reports.

A published table is read-only (its arrays are read-only views, the population's own arrays stay
writable): what a kind learns about a recipient goes back to the population through the
:class:`~sim.policy.kinds._base.Payment` it returns (``marked``), not through the facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Facts",
    "StationCompletions",
    "UnitSales",
    "StationSales",
    "FirmYear",
    "FirmLoans",
    "ProjectApprovals",
    "ProjectLoans",
    "IncubatorRecognitions",
    "IncubatorGraduates",
    "CentreMilestones",
    "VehicleAdditions",
    "ClaimBasis",
    "basis_of",
]


@dataclass(frozen=True)
class Facts:
    """Base of every table: the recipients it is about.

    Attributes
    ----------
    recipient : str
        What the ids index (``station``, ``firm``, ``project`` ...).
    ids : ndarray of int64
        One recipient per row.
    """

    recipient: str
    ids: np.ndarray

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                object.__setattr__(self, name, _read_only(value))
            elif isinstance(value, dict) and any(isinstance(v, np.ndarray) for v in value.values()):
                object.__setattr__(self, name, {k: _read_only(v) if isinstance(v, np.ndarray) else v
                                                for k, v in value.items()})

    def claim_detail(self) -> frozenset[str]:
        """What the table carries that decides which instruments can pay on it, besides its type
        and recipient (measure names, reward families, programme ids); none by default.

        A table type with detail says so here, so nothing else lists the types (see
        :func:`basis_of`).
        """
        return frozenset()

    def route_key(self) -> tuple:
        """What decides the table's routes to programmes (its :class:`ClaimBasis`), as a tuple
        cheap to make for the tables a population files every year.
        """
        return (type(self), self.recipient, self.claim_detail())


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view of `array` (the array itself keeps its flags)."""
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class StationCompletions(Facts):
    """Stations completed (built, rebuilt or expanded) this year.

    Attributes
    ----------
    dates : list of datetime.date
        Day each started operating (the event date checked against a grant's window).
    measures : dict of str to ndarray
        Quantities a grant may be tiered on, by name (``compressor_capacity_kg_per_12h``).
    district : ndarray of object
        Name of each station's district (a name of the scenario's ``[hydrogen] districts``),
        for instruments limited by district (``eligibility.district``).
    """

    dates: list[dt.date] = field(default_factory=list)
    measures: dict[str, np.ndarray] = field(default_factory=dict)
    district: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def claim_detail(self) -> frozenset[str]:
        """The measures a grant may be tiered on."""
        return frozenset(self.measures)


@dataclass(frozen=True)
class UnitSales(Facts):
    """What each seller sold this year, in kg, and at what price while enrolled under a cap: the
    family of tables a per-kg subsidy pays on (:mod:`sim.policy.kinds.unit_subsidy`). A
    population that sells by the kg publishes a subclass of its own (:class:`StationSales`, or
    one in its folder), and the per-kg subsidies to its recipient pay on it.

    Attributes
    ----------
    kg_sold : ndarray
        Sold in the year, kg.
    price_enrolled_cny_per_kg : ndarray
        Price while enrolled in a price-cap scheme (its own price when not enrolled), CNY/kg.
    enrolled : ndarray of bool
        Whether the seller committed to a price cap this year.
    district : ndarray of object
        Name of each seller's district ("" for none), for schemes limited by district.
    """

    kg_sold: np.ndarray = field(default_factory=lambda: np.zeros(0))
    price_enrolled_cny_per_kg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    enrolled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    district: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))


@dataclass(frozen=True)
class StationSales(UnitSales):
    """What each selling station sold this year and at what price while enrolled under a cap
    (the stations' :class:`UnitSales`; `district` as in :class:`StationCompletions`).
    """


@dataclass(frozen=True)
class FirmYear(Facts):
    """The record this year of the living firms first counted above size this year or last, or
    first reaching 100,000,000 last year, as the scale-up rewards read it. Every event a
    threshold reward pays on is such a first crossing, so the other firms are left out: the
    table is the year's crossings, not the population.

    Attributes
    ----------
    family : ndarray of object
        Reward family of each firm's sector (``advanced_manufacturing``, ``software_information_services``
        or "" for none; ``sim/populations/firms/sectors.toml``).
    first_size_year, first_100m_year : ndarray of int
        Year first counted above size, first reaching 100,000,000 (a large value for never).
    counted_in_year, counted_at_100m : ndarray of bool
        Counted above size in the year it crossed (an entrant's first year); counted with revenue
        >= 100,000,000 in the year first counted.
    revenue_cny : ndarray of float64
        Revenue this year, CNY.
    flags : ndarray of uint8
        Category flags (``srdi``, ``little_giant_central_funds``, ``srdi_extra_paid``) as bits of
        :data:`category_bits`.
    application_day : ndarray of int64
        Day of the year (0-based) the firm applies for this year's rewards.
    category_bits : dict of str to int
        Flag bit of each firm category the instruments may name.
    never_year : int
        The value of ``first_*_year`` for "never".
    """

    family: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    first_size_year: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    first_100m_year: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counted_in_year: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    counted_at_100m: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    revenue_cny: np.ndarray = field(default_factory=lambda: np.zeros(0))
    flags: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    application_day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    category_bits: dict[str, int] = field(default_factory=dict)
    never_year: int = 32767

    def claim_detail(self) -> frozenset[str]:
        """The reward families of its firms."""
        return frozenset(str(f) for f in set(self.family.tolist()) if f)


@dataclass(frozen=True)
class FirmLoans(Facts):
    """Open firm loans this year, each under the programme the firm borrowed under.

    Attributes
    ----------
    program_ids : tuple of str
        The programmes firms borrow under (``[firms.loans.programs]``), indexed by `program`.
    program : ndarray of int
        Index into `program_ids` of each loan.
    balance_cny : ndarray
        Average balance outstanding in the year, CNY.
    age_years : ndarray of int
        Years since the loan was drawn.
    borrower_rate_percent : float
        Rate borrowers pay, percent a year.
    """

    program_ids: tuple[str, ...] = ()
    program: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    balance_cny: np.ndarray = field(default_factory=lambda: np.zeros(0))
    age_years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    borrower_rate_percent: float = 0.0

    def claim_detail(self) -> frozenset[str]:
        """The programmes its loans were drawn under."""
        return frozenset(self.program_ids)

    def route_key(self) -> tuple:
        """(type, recipient, programme ids): no set made each year."""
        return (FirmLoans, self.recipient, self.program_ids)


@dataclass(frozen=True)
class ProjectApprovals(Facts):
    """Projects approved this year under one programme's stream (``[projects.streams."<id>"]``).

    Attributes
    ----------
    program_id : str
        The stream's programme.
    size_cny : ndarray
        The project's base amount (investment, contract, lease; the amount asked for), CNY;
        0 where the stream gives no size.
    category : ndarray of object
        Category of each project, for category grants ("" otherwise).
    """

    program_id: str = ""
    size_cny: np.ndarray = field(default_factory=lambda: np.zeros(0))
    category: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def claim_detail(self) -> frozenset[str]:
        """The programme of its stream."""
        return frozenset({self.program_id})

    def route_key(self) -> tuple:
        """(type, recipient, programme id): no set made each year."""
        return (ProjectApprovals, self.recipient, self.program_id)


@dataclass(frozen=True)
class ProjectLoans(Facts):
    """Open loans of one programme's project stream this year (ids: the project's recipient)."""

    program_id: str = ""
    balance_cny: np.ndarray = field(default_factory=lambda: np.zeros(0))
    age_years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    borrower_rate_percent: float = 0.0

    def claim_detail(self) -> frozenset[str]:
        """The programme of its stream."""
        return frozenset({self.program_id})

    def route_key(self) -> tuple:
        """(type, recipient, programme id): no set made each year."""
        return (ProjectLoans, self.recipient, self.program_id)


@dataclass(frozen=True)
class IncubatorRecognitions(Facts):
    """Benchmark incubators recognised this year, each asking a share of a grant's cap by category."""

    share_of_cap: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class IncubatorGraduates(Facts):
    """Incubation service institutions and the start-ups each graduated this year."""

    graduates: np.ndarray = field(default_factory=lambda: np.zeros(0))
    award_per_graduate_cny: float = 0.0


@dataclass(frozen=True)
class CentreMilestones(Facts):
    """Milestone evaluations of innovation centres this year, with the stage each would release.

    Attributes
    ----------
    dates : list of datetime.date
        Day of each evaluation.
    passed : ndarray of bool
    stage_cny : ndarray
        The stage's share of the centre's city funding, CNY.
    matching_cny : ndarray
        Participants' matching funds for the stage, CNY.
    total_city_funding_cny : ndarray
        The centre's approved city funding in all, CNY.
    """

    dates: list[dt.date] = field(default_factory=list)
    passed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    stage_cny: np.ndarray = field(default_factory=lambda: np.zeros(0))
    matching_cny: np.ndarray = field(default_factory=lambda: np.zeros(0))
    total_city_funding_cny: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class VehicleAdditions(Facts):
    """Fuel-cell vehicles put into demonstration service this year, by fleet segment (the ids;
    recipient ``fleet_segment``: the firms paid are the segment's makers, operators and suppliers).
    """

    vehicles: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class ClaimBasis:
    """What a population of a scenario publishes, known before any draw (for ``sim validate``).

    Attributes
    ----------
    facts : type
        The table type.
    recipient : str
        What its ids index.
    detail : frozenset of str
        What the table carries that decides which instruments can pay on it: measure names of
        station completions, reward families of firms, programme ids of streams and loans.
    districts : tuple of str, optional
        The district names its rows may carry (the scenario's districts, in order); None when
        its recipients have no district. ``sim validate`` checks an instrument's
        ``eligibility.district`` against them.
    """

    facts: type
    recipient: str
    detail: frozenset[str] = frozenset()
    districts: tuple[str, ...] | None = None


def basis_of(facts: Facts) -> ClaimBasis:
    """The :class:`ClaimBasis` of a table: its type, recipient and what decides who pays on it."""
    return ClaimBasis(type(facts), facts.recipient, facts.claim_detail())
