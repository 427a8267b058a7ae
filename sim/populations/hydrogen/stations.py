"""Hydrogen refuelling stations: their state as arrays, and Mesa agents that read and write them.

The state of every station slot of a draw lives in one :class:`StationArrays` (structure of
arrays), which the kernels of :mod:`sim.populations.hydrogen.station_kernels` read and write in bulk. A
:class:`Station` is a :class:`mesa.Agent` bound to one slot by its index: its attributes are
views of the arrays, so an agent and a kernel never disagree (one source of truth). Agents carry
the few rich, discrete events of a station's life: construction starts and completes, a station
is mothballed after sustained losses, reopens or closes. The yearly transitions of every station
at once (completions: :meth:`StationArrays.complete_due`; the exit review:
:func:`sim.populations.hydrogen.station_kernels.review_stations`) apply the same rules as the agents' methods,
which stay the one-station statement of them (the tests compare the two).

The number of slots is fixed per scenario (existing + planned + most investors may build), so the
``station`` dimension of the results has the same length in every draw; unused slots stay
``EMPTY`` and record ``station_opened_year = -1``, no sales and a NaN price.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mesa
import numpy as np

from sim.scenario.csv_input import CsvColumn, read_csv_table

__all__ = [
    "EMPTY",
    "PLANNED",
    "UNDER_CONSTRUCTION",
    "OPERATING",
    "MOTHBALLED",
    "CLOSED",
    "STATUS_NAMES",
    "ORIGIN_EXISTING",
    "ORIGIN_PLAN",
    "ORIGIN_INVESTOR",
    "StationArrays",
    "Station",
    "STATION_COLUMNS",
    "read_stations_csv",
    "opened_after_start",
]

#: Status codes of a station slot.
EMPTY, PLANNED, UNDER_CONSTRUCTION, OPERATING, MOTHBALLED, CLOSED = 0, 1, 2, 3, 4, 5
STATUS_NAMES = ("empty", "planned", "under_construction", "operating", "mothballed", "closed")
#: How a station came about.
ORIGIN_EXISTING, ORIGIN_PLAN, ORIGIN_INVESTOR = 0, 1, 2
_NO_DAY = -1


@dataclass
class StationArrays:
    """State of every station slot of one draw (index = slot = position on the ``station`` dim).

    Attributes
    ----------
    status : ndarray of int8
        One of the status codes.
    origin : ndarray of int8
        Existing, plan or investor.
    district : ndarray of int64
        Index into the scenario's districts.
    capacity_kg_per_12h : ndarray of float64
        Compressor 12-hour rated capacity, kg (the grant's measure).
    daily_capacity_kg : ndarray of float64
        What the station can dispense in a day, kg.
    capex_cny, fixed_opex_cny_per_year : ndarray of float64
        Capital cost (incl. land) and fixed operating cost a year.
    trailer_distance_km : ndarray of float64
        Tube-trailer haul from the hydrogen source (0 for hydrogen made on site).
    route : ndarray of int64
        Supply route (index into the scenario's ``[hydrogen.supply.routes]``).
    ex_works_cny_per_kg : ndarray of float64
        The station's ex-works price at the horizon's first year, CNY/kg.
    reopen_day : ndarray of int64
        Proleptic ordinal of the day a mothballed station sells again (-1 if not reopening).
    reopened_year : ndarray of int64
        Last year the station reopened (-1 if never).
    start_day, completion_day : ndarray of int64
        Proleptic ordinals of construction start and completion (-1 if none).
    planned_start_year, opened_year : ndarray of int64
        Year construction is due to start (planned stations) and year operation began (-1).
    loss_years, mothball_years : ndarray of int64
        Consecutive full years with operating losses, and years spent mothballed.
    grant_cny : ndarray
        Construction grants approved for the station, CNY.
    price_cny_per_kg, kg_sold, enrolled, profit_cny : ndarray
        This year's price, sales, enrolment (0/1) and operating profit incl. subsidy.
    captive : ndarray of bool
        The station sells only contracted volume and is not open to the public.
    """

    status: np.ndarray
    origin: np.ndarray
    district: np.ndarray
    capacity_kg_per_12h: np.ndarray
    daily_capacity_kg: np.ndarray
    capex_cny: np.ndarray
    fixed_opex_cny_per_year: np.ndarray
    trailer_distance_km: np.ndarray
    route: np.ndarray
    ex_works_cny_per_kg: np.ndarray
    reopen_day: np.ndarray
    reopened_year: np.ndarray
    start_day: np.ndarray
    completion_day: np.ndarray
    planned_start_year: np.ndarray
    opened_year: np.ndarray
    loss_years: np.ndarray
    mothball_years: np.ndarray
    price_cny_per_kg: np.ndarray
    kg_sold: np.ndarray
    enrolled: np.ndarray
    profit_cny: np.ndarray
    grant_cny: np.ndarray
    captive: np.ndarray

    @classmethod
    def empty(cls, n_slots: int) -> StationArrays:
        """All slots empty."""
        f = lambda: np.zeros(n_slots)  # noqa: E731
        i = lambda: np.full(n_slots, _NO_DAY, dtype=np.int64)  # noqa: E731
        return cls(
            status=np.zeros(n_slots, dtype=np.int8),
            origin=np.zeros(n_slots, dtype=np.int8),
            district=np.zeros(n_slots, dtype=np.int64),
            capacity_kg_per_12h=f(),
            daily_capacity_kg=f(),
            capex_cny=f(),
            fixed_opex_cny_per_year=f(),
            trailer_distance_km=f(),
            route=np.zeros(n_slots, dtype=np.int64),
            ex_works_cny_per_kg=f(),
            reopen_day=i(),
            reopened_year=i(),
            start_day=i(),
            completion_day=i(),
            planned_start_year=i(),
            opened_year=i(),
            loss_years=np.zeros(n_slots, dtype=np.int64),
            mothball_years=np.zeros(n_slots, dtype=np.int64),
            price_cny_per_kg=np.full(n_slots, np.nan),
            kg_sold=f(),
            enrolled=np.zeros(n_slots, dtype=np.int64),
            profit_cny=f(),
            grant_cny=f(),
            captive=np.zeros(n_slots, dtype=np.bool_),
        )

    @property
    def n_slots(self) -> int:
        """Number of station slots."""
        return self.status.shape[0]

    def free_slot(self) -> int:
        """Index of the first empty slot, or -1 when all are taken."""
        free = np.flatnonzero(self.status == EMPTY)
        return int(free[0]) if free.size else -1

    def complete_due(self, year: int) -> np.ndarray:
        """Stations under construction that complete in `year` start operating; return their slots, ascending.

        :meth:`Station.complete_if_due` for every slot at once.
        """
        jan1, next_jan1 = dt.date(year, 1, 1).toordinal(), dt.date(year + 1, 1, 1).toordinal()
        due = np.flatnonzero((self.status == UNDER_CONSTRUCTION) & (self.completion_day >= jan1)
                             & (self.completion_day < next_jan1))
        self.status[due] = OPERATING
        self.opened_year[due] = year
        return due


class Station(mesa.Agent):
    """A refuelling station: a Mesa agent whose state is one slot of :class:`StationArrays`.

    Parameters
    ----------
    model : mesa.Model
        The draw's model (the agent registers with it).
    arrays : StationArrays
        The component's arrays.
    index : int
        The slot.
    """

    def __init__(self, model: mesa.Model, arrays: StationArrays, index: int):
        super().__init__(model)
        self.arrays = arrays
        self.index = int(index)

    # Views of the arrays: reading and writing go straight to the one copy of the state.
    @property
    def status(self) -> int:
        """Status code of the station (see ``STATUS_NAMES``)."""
        return int(self.arrays.status[self.index])

    @status.setter
    def status(self, value: int) -> None:
        self.arrays.status[self.index] = value

    @property
    def status_name(self) -> str:
        """Name of the station's status."""
        return STATUS_NAMES[self.status]

    @property
    def district(self) -> int:
        """Index of the station's district."""
        return int(self.arrays.district[self.index])

    @property
    def capacity_kg_per_12h(self) -> float:
        """Dispensing capacity of the station, kg per 12 hours."""
        return float(self.arrays.capacity_kg_per_12h[self.index])

    @property
    def opened_year(self) -> int:
        """Year the station opened."""
        return int(self.arrays.opened_year[self.index])

    @property
    def completion_date(self) -> dt.date | None:
        """Day construction completes, or None when not scheduled."""
        day = int(self.arrays.completion_day[self.index])
        return None if day == _NO_DAY else dt.date.fromordinal(day)

    @property
    def price_cny_per_kg(self) -> float:
        """Price the station charges this year, CNY/kg."""
        return float(self.arrays.price_cny_per_kg[self.index])

    @property
    def kg_sold(self) -> float:
        """Hydrogen the station sold this year, kg."""
        return float(self.arrays.kg_sold[self.index])

    def begin_construction(self, start: dt.date) -> None:
        """Construction starts on `start` (the lead-time process decides when it ends)."""
        self.arrays.start_day[self.index] = start.toordinal()
        self.status = UNDER_CONSTRUCTION

    def schedule_completion(self, day: dt.date) -> None:
        """Record the completion day the construction process returned."""
        self.arrays.completion_day[self.index] = day.toordinal()

    def complete_if_due(self, year: int) -> bool:
        """Start operating if construction completes in `year`; return whether it did."""
        day = self.completion_date
        if self.status != UNDER_CONSTRUCTION or day is None or day.year != year:
            return False
        self.status = OPERATING
        self.arrays.opened_year[self.index] = year
        return True

    def review(self, year: int, rules, expected_cash_next_cny: float, fixed_opex_cny_per_year: float,
               capex_cny: float) -> None:
        """Yearly exit review: mothball on its own poor prospects after sustained losses, or close.

        Parameters
        ----------
        year : int
            The year just simulated.
        rules : sim.populations.hydrogen.station_kernels.ExitRules
            Loss years before a review, idle years before closing, idle and one-off costs.
        expected_cash_next_cny : float
            Cash it expects from operating next year (margin on its volume, subsidy, less fixed opex).
        fixed_opex_cny_per_year, capex_cny : float
            Its fixed opex and capital cost (the idle and one-off costs are shares of them).
        """
        a, i = self.arrays, self.index
        if self.status == OPERATING:
            # The year of opening or reopening is a partial ramp-up year: it does not count towards exit.
            if a.opened_year[i] < year and a.reopened_year[i] < year and a.profit_cny[i] < 0.0:
                a.loss_years[i] += 1
            elif a.profit_cny[i] >= 0.0:
                a.loss_years[i] = 0
            if a.loss_years[i] >= rules.mothball_after_loss_years:
                idle = -rules.mothballed_fixed_opex_share * fixed_opex_cny_per_year
                if expected_cash_next_cny < idle - rules.mothball_cost_share_of_capex * capex_cny:
                    self.status = MOTHBALLED
                    a.mothball_years[i] = 0
        elif self.status == MOTHBALLED:
            a.mothball_years[i] += 1
            if a.mothball_years[i] >= rules.close_after_mothball_years:
                self.status = CLOSED


#: Columns of the CSV of real stations (``[hydrogen.stations] stations_csv``), one row a station.
#: A district may have any number of stations; a station id need only differ from the other
#: stations' (it may equal a district name or a firm id).
STATION_COLUMNS = [
    CsvColumn("station_id", "id", description="a name no other station of the file has"),
    CsvColumn("district", "text", description="one of the scenario's districts"),
    CsvColumn("capacity_kg_per_12h", "float", min_value=0.0, description="compressor 12-hour rated capacity, kg"),
    CsvColumn(
        "status", "choice", choices=("operating", "under_construction", "mothballed"),
        description="state at the start of the horizon",
    ),
    CsvColumn("opened_year", "int", required=False, default=-1, min_value=-1, description="year it opened, -1 if not"),
    CsvColumn(
        "trailer_distance_km", "float", required=False, default=-1.0, min_value=-1.0,
        description="tube-trailer haul, km; -1 draws one in its supply route's range",
    ),
    CsvColumn(
        "supply_route", "text", required=False, default="",
        description="one of the scenario's [hydrogen.supply.routes]; empty draws one by the routes' weights",
    ),
    CsvColumn(
        "access", "choice", required=False, default="", choices=("public", "captive"),
        description="public, or captive (sells only to its operator's fleets); empty draws it by captive_share",
    ),
]


def read_stations_csv(path: str, district_names: list[str], route_names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Read the CSV of real stations (see :data:`STATION_COLUMNS`) and check its districts.

    Parameters
    ----------
    path : str
        The CSV file.
    district_names : list of str
        The scenario's districts, which the ``district`` column must name.
    route_names : list of str, optional
        The scenario's supply routes, which a non-empty ``supply_route`` must name.

    Returns
    -------
    dict of str to ndarray
        One array per column of :data:`STATION_COLUMNS`, one element per station, in file order.

    Raises
    ------
    InputDataError
        On any bad value, naming file, row and column: among them a station id that an earlier
        row already has, and a district that is not one of `district_names`.
    """
    from sim.errors import InputDataError
    from sim.messages import cut_text

    table = read_csv_table(path, STATION_COLUMNS)
    bad = [
        f"{path}: row {r + 2}, column 'district': is {cut_text(repr(d))}; allowed: {', '.join(district_names)}"
        for r, d in enumerate(table["district"])
        if d not in district_names
    ]
    if route_names is not None and "supply_route" in table:
        bad += [
            f"{path}: row {r + 2}, column 'supply_route': is {cut_text(repr(x))}; allowed: {', '.join(route_names)} "
            "or empty (drawn)"
            for r, x in enumerate(table["supply_route"])
            if x and x not in route_names
        ]
    if bad:
        raise InputDataError("\n".join(bad[:20]))
    return table


def opened_after_start(table: dict[str, np.ndarray], path: str, first_year: int) -> list[str]:
    """One line per station the CSV says is operating or mothballed at the start of the horizon but
    opened after its first year (an impossible date: it cannot be running before it opened).
    """
    from sim.messages import MAX_PROBLEM_LINES

    bad = [f"{path}: row {r + 2}, column 'opened_year': is {int(y)} for a station {s} at the start of the horizon; "
           f"allowed: at most the first year {first_year} (or -1: unknown)"
           for r, (y, s) in enumerate(zip(table["opened_year"], table["status"], strict=True))
           if s in ("operating", "mothballed") and int(y) > first_year]
    if len(bad) > MAX_PROBLEM_LINES:
        bad = bad[:MAX_PROBLEM_LINES] + [f"{path}: … and {len(bad) - MAX_PROBLEM_LINES} more stations opened after "
                                         f"{first_year}"]
    return bad
