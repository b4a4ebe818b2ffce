"""The demo data set's fixed vocabulary: staff, catalogue, names, places, customer segments, tickets and campaigns."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple

from crm_graphql.models import Channel, Role, Segment, TicketKind, TicketPriority


# Long lists are written as text and split at import, so that they stay a few lines long.
def _words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of `text`."""
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    """The comma-separated phrases of `text`, stripped of surrounding whitespace."""
    return tuple(phrase.strip() for phrase in text.split(","))


USERS = (
    ("Dana Whitfield", Role.ADMIN),
    ("Jonas Becker", Role.SALES_REP),
    ("Laura Schmitt", Role.SALES_REP),
    ("Oliver Grant", Role.SALES_REP),
    ("Priya Nair", Role.SALES_REP),
    ("Marcus Reed", Role.SALES_REP),
    ("Sofia Lange", Role.SUPPORT_AGENT),
    ("Tom Hughes", Role.SUPPORT_AGENT),
    ("Aisha Khan", Role.SUPPORT_AGENT),
    ("Emma Roth", Role.MARKETER),
    ("Lucas Martin", Role.MARKETER),
    ("Pat Kowalski", Role.PARTNER),
)

# category: (list price range in EUR, relative demand)
CATEGORIES = {
    "Software": ((15, 400), 1.0),
    "Hardware": ((80, 1500), 0.6),
    "Services": ((500, 5000), 0.25),
    "Support Plans": ((100, 3000), 0.5),
    "Training": ((50, 1500), 0.4),
    "Accessories": ((5, 120), 1.2),
}
# The products of each category; their order fixes SKUs and external ids.
PRODUCTS = {
    "Software": _phrases("""
        CRM Cloud Seat, Analytics Add-on, Mobile Sales App, Workflow Automation, Data Connector Pack, Reporting Suite,
        API Access Tier
    """),
    "Hardware": _phrases("""
        Barcode Scanner, Receipt Printer, POS Terminal, Rugged Tablet, Label Printer, Docking Station, Card Reader
    """),
    "Services": _phrases("""
        Onboarding Package, Data Migration, Custom Integration, Consulting Day, Health Check, Process Workshop
    """),
    "Support Plans": _phrases("""
        Basic Support (annual), Premium Support (annual), 24/7 Support (annual), Extended Warranty,
        On-site Support Visit, Priority Hotline
    """),
    "Training": _phrases("""
        Admin Training, End-User Training, Sales Playbook Course, Webinar Seat, Certification Exam, Train-the-Trainer
    """),
    "Accessories": _phrases("""
        Charging Cradle, Screen Protector (10-pack), Carry Case, Spare Battery, USB-C Cable Set, Paper Rolls (50),
        Stylus Pen (3-pack), Wall Mount
    """),
}

FIRST_NAMES = _words("""
    Anna Ben Clara David Elif Felix Grace Hannah Isaac Julia Karim Lena Mia Noah Olivia Paul Rosa Sam Tara Umar Vera
    Will Yusuf Zoe
""")
LAST_NAMES = _words("""
    Schmidt Fischer Weber Wagner Hoffmann Koch Richter Wolf Smith Jones Taylor Brown Evans Walker Wright Miller Davis
    Garcia Nguyen Clark Patel
""")
COMPANY_WORDS = _words("""
    Nord Blue Summit Apex Alpen River Cedar Bright Iron Harbor Silver Pioneer Falcon Oak Granite Meridian
""")
TRADES = _words("""
    Logistics Systems Foods Consulting Retail Engineering Media Health Energy Manufacturing Solutions Labs
""")


class Country(NamedTuple):
    """Where customers live, and how their names, addresses and phone numbers look there."""

    calling_code: str
    legal: tuple[str, str]  # company suffix: small business, enterprise
    public: tuple[str, ...]  # public-sector name patterns, filled with the city
    cities: tuple[tuple[str, str, str], ...]  # city, postcode prefix, area code
    streets: tuple[str, ...]
    address: str


COUNTRIES = (
    Country(
        calling_code="+49",
        legal=("GmbH", "AG"),
        public=("Stadt {}", "Stadtwerke {}", "Universität {}"),
        cities=(
            ("Berlin", "10", "30"),
            ("Hamburg", "20", "40"),
            ("München", "80", "89"),
            ("Köln", "50", "221"),
            ("Leipzig", "04", "341"),
            ("Stuttgart", "70", "711"),
        ),
        streets=("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße"),
        address="{street} {no}, {zip} {city}, Germany",
    ),
    Country(
        calling_code="+44",
        legal=("Ltd", "plc"),
        public=("{} City Council", "{} NHS Trust", "University of {}"),
        cities=(
            ("London", "SW", "20"),
            ("Manchester", "M", "161"),
            ("Leeds", "LS", "113"),
            ("Bristol", "BS", "117"),
            ("Edinburgh", "EH", "131"),
            ("Glasgow", "G", "141"),
        ),
        streets=("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"),
        address="{no} {street}, {city} {zip}, United Kingdom",
    ),
    Country(
        calling_code="+1",
        legal=("LLC", "Inc."),
        public=("City of {}", "{} School District", "{} County"),
        cities=(
            ("Austin, TX", "787", "512"),
            ("Chicago, IL", "606", "312"),
            ("Seattle, WA", "981", "206"),
            ("Boston, MA", "021", "617"),
            ("Denver, CO", "802", "303"),
            ("Atlanta, GA", "303", "404"),
        ),
        streets=("Main Street", "Oak Avenue", "Maple Drive", "Park Avenue", "Washington Street"),
        address="{no} {street}, {city} {zip}, USA",
    ),
)
COUNTRY_SHARES = (0.5, 0.3, 0.2)  # of the customers, in the order of COUNTRIES


class Profile(NamedTuple):
    """How customers of one segment behave."""

    share: float
    orders_per_day: float  # mean of the gamma-distributed rate
    extra_units: float  # mean units per order line beyond the first
    discount: Decimal
    visit_every: int  # mean days between rep visits; 0 for none
    tickets_per_year: float


SEGMENTS = {
    Segment.CONSUMER: Profile(0.40, 0.024, 0.3, Decimal("0"), 0, 0.5),
    Segment.SMALL_BUSINESS: Profile(0.35, 0.042, 3.0, Decimal("0.03"), 110, 1.5),
    Segment.ENTERPRISE: Profile(0.15, 0.072, 15.0, Decimal("0.12"), 35, 1.5),
    Segment.PUBLIC_SECTOR: Profile(0.10, 0.036, 6.0, Decimal("0.08"), 60, 1.5),
}
# Order intensity Monday..Sunday: businesses buy on weekdays, consumers more at weekends.
WEEKDAYS = {True: (1.15, 1.25, 1.2, 1.15, 0.95, 0.2, 0.1), False: (0.85, 0.85, 0.9, 0.95, 1.1, 1.4, 1.25)}

VISIT_PURPOSES = _phrases("""
    Quarterly business review, Product demo, Contract renewal, Onboarding check-in, Needs analysis,
    Upsell: analytics add-on, Technical workshop, Relationship visit
""")
VISIT_OUTCOMES = (
    "Customer happy; renewal expected next quarter.",
    "Requested a quote for additional seats.",
    "Demoed the reporting suite; follow-up booked.",
    "Raised concerns about delivery times; escalated.",
    "Agreed on a pilot with two departments.",
    "No immediate needs; check back in three months.",
    "Signed an order on site.",
    "Introduced a new procurement contact.",
)

TICKET_SUBJECTS = {
    TicketKind.CONSULTATION: (
        "How do I export reports to Excel?",
        "Question about user permissions",
        "Help setting up the mobile app",
        "Which support plan fits us?",
        "Integration with our ERP system",
        "Training options for new staff",
    ),
    TicketKind.FEEDBACK: (
        "Great onboarding experience",
        "Suggestion: dark mode for the dashboard",
        "Feedback on the new invoice layout",
        "Praise for the support team",
    ),
    TicketKind.COMPLAINT: (
        "Delivery arrived damaged",
        "Invoice amount is wrong",
        "Scanner fails after update",
        "Late delivery of order",
        "App crashes on login",
        "Charged twice for subscription",
    ),
}
KIND_WEIGHTS = {TicketKind.CONSULTATION: 0.45, TicketKind.FEEDBACK: 0.2, TicketKind.COMPLAINT: 0.35}
PRIORITY_WEIGHTS = {  # low, normal, high, urgent
    TicketKind.CONSULTATION: (0.3, 0.55, 0.12, 0.03),
    TicketKind.FEEDBACK: (0.6, 0.35, 0.05, 0.0),
    TicketKind.COMPLAINT: (0.05, 0.35, 0.4, 0.2),
}
SLA = {
    TicketPriority.LOW: timedelta(days=7),
    TicketPriority.NORMAL: timedelta(days=3),
    TicketPriority.HIGH: timedelta(days=1),
    TicketPriority.URGENT: timedelta(hours=4),
}
# Typical satisfaction (1-5) with a ticket resolved in time.
MOOD = {TicketKind.CONSULTATION: 4.2, TicketKind.FEEDBACK: 4.4, TicketKind.COMPLAINT: 3.0}


class CampaignSpec(NamedTuple):
    """A marketing campaign, placed relative to today."""

    name: str
    channel: Channel
    offset: int  # first day, relative to today
    days: int
    budget: int
    segments: tuple[Segment, ...]
    reach: float  # share of those segments' customers targeted


_ALL = tuple(Segment)
_B2B = (Segment.SMALL_BUSINESS, Segment.ENTERPRISE, Segment.PUBLIC_SECTOR)
CAMPAIGNS = (
    CampaignSpec("Customer Webinar Series", Channel.WEB, -500, 42, 12_000, _ALL, 0.30),
    CampaignSpec("Hannover Trade Fair", Channel.EVENT, -420, 5, 45_000, _B2B, 0.25),
    CampaignSpec("Upgrade Mailing", Channel.EMAIL, -330, 30, 6_000, _ALL, 0.50),
    CampaignSpec("Catalogue Direct Mail", Channel.DIRECT_MAIL, -190, 35, 18_000, _ALL[:2], 0.35),
    CampaignSpec("LinkedIn Awareness Push", Channel.SOCIAL, -45, 75, 15_000, _ALL, 0.25),
    CampaignSpec("Renewal Call Drive", Channel.PHONE, 14, 28, 8_000, _B2B[:2], 0.30),
)
