"""The Locust load test and its traffic profiles.

The pure parts are exported here; `loadtest.runner` runs a whole test (it starts the
system and Locust in child processes) and `loadtest/locustfile.py` is what Locust loads.
Nothing here imports Locust: importing it monkey-patches the process for gevent.
"""

from loadtest.durations import format_duration, parse_duration_s
from loadtest.journal import Expectations, Line, expect_ledger, read_journals
from loadtest.profile import HOURLY_WEIGHTS, Plan, day_plan, day_share, fixed_plan
from loadtest.stats import PlanHeld, Rates, percentile, plan_held, steady_rates
from loadtest.travel import Device, Mix, Request, Traveller, World

__all__ = [
    "HOURLY_WEIGHTS",
    "Device",
    "Expectations",
    "Line",
    "Mix",
    "Plan",
    "PlanHeld",
    "Rates",
    "Request",
    "Traveller",
    "World",
    "day_plan",
    "day_share",
    "expect_ledger",
    "fixed_plan",
    "format_duration",
    "parse_duration_s",
    "percentile",
    "plan_held",
    "read_journals",
    "steady_rates",
]
