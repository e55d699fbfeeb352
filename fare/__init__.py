"""fare: pure pricing of metro, bus and taxi trips over versioned tariff data."""

from fare.apportion import apportion
from fare.book import TariffBook
from fare.errors import FareError, PricingError, TariffError
from fare.loader import DEFAULT_DIR, load_tariffs, parse_tariffs
from fare.network import BusRoute, Line, MetroPath, Network, Section, Station
from fare.quote import Quote, QuoteLine
from fare.tariff import Tariff
from fare.trip import PricedTrip, TripEnd

__all__ = [
    "DEFAULT_DIR",
    "BusRoute",
    "FareError",
    "Line",
    "MetroPath",
    "Network",
    "PricedTrip",
    "PricingError",
    "Quote",
    "QuoteLine",
    "Section",
    "Station",
    "Tariff",
    "TariffBook",
    "TariffError",
    "TripEnd",
    "apportion",
    "load_tariffs",
    "parse_tariffs",
]
