"""The fixed vocabularies of the simulated company: names, titles, phrases.

Fixed lists, so that the same seed gives the same rows on every machine.
"""

from __future__ import annotations

# fmt: off

FIRST_NAMES: tuple[str, ...] = (
    "Ava", "Ben", "Carla", "Daniel", "Elena", "Farid", "Grace", "Hugo", "Ines", "James",
    "Keiko", "Liam", "Maya", "Noah", "Olivia", "Pavel", "Quinn", "Rosa", "Samir", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aaron", "Bianca", "Caleb", "Diana",
    "Ethan", "Fatima", "Gabriel", "Hannah", "Ivan", "Julia", "Kofi", "Laura", "Marco", "Nadia",
    "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Victor", "Wendy", "Xavier", "Yara",
    "Zane", "Amelia", "Bruno", "Chloe", "Dev", "Emma", "Felix", "Greta", "Henry", "Isla",
    "Jonas", "Kira", "Leo", "Mia",
)

LAST_NAMES: tuple[str, ...] = (
    "Anderson", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Lopez", "Müller", "Nakamura", "Okafor", "Patel", "Quintero", "Rossi",
    "Schmidt", "Tanaka", "Ullah", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Alvarez", "Berg",
    "Costa", "Dang", "Eriksen", "Fontaine", "Gupta", "Hughes", "Ibrahim", "Jovanovic", "Kim",
    "Larsen", "Moreau", "Nguyen", "Oliveira", "Park", "Reyes", "Silva", "Thompson", "Urban",
    "Vogel", "Walsh", "Young", "Ziegler", "Adams", "Brooks", "Carter", "Davies", "Ellis",
    "Foster", "Gray", "Hayes", "Ivers", "Jordan", "Klein", "Lambert", "Mason", "Novak",
)

COMPANY_WORDS_A: tuple[str, ...] = (
    "Apex", "Birch", "Cobalt", "Delta", "Ember", "Fairway", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Lumen", "Maple", "Northgate", "Orchid", "Pinnacle", "Quarry", "Redwood",
    "Summit", "Tidewater", "Union", "Vantage", "Westfield", "Yellowstone", "Zenith", "Atlas",
    "Beacon", "Cedar", "Driftwood", "Evergreen", "Falcon", "Glacier", "Highland", "Indigo",
    "Jasper", "Kestrel", "Lakeside", "Meridian", "Nimbus", "Oakridge", "Prairie", "Riverbend",
    "Silverline", "Trident", "Upland", "Vertex", "Willow", "Crescent",
)

COMPANY_WORDS_B: tuple[str, ...] = (
    "Analytics", "Brands", "Components", "Dynamics", "Foods", "Freight", "Health", "Holdings",
    "Industries", "Learning", "Logistics", "Materials", "Media", "Metals", "Motors", "Networks",
    "Outfitters", "Packaging", "Pharma", "Plastics", "Power", "Robotics", "Software", "Supply",
    "Systems", "Textiles", "Tools", "Trading", "Travel", "Ventures", "Works", "Energy", "Labs",
    "Cloud", "Devices", "Brewing", "Retail", "Payments", "Design", "Studios",
)

COMPANY_SUFFIXES: tuple[str, ...] = (
    "Inc", "Group", "Co", "LLC", "Ltd", "Corp", "GmbH", "Partners", "International", "BV",
)

# Job titles by persona (kernel.yaml persona ids); "" holds the titles no persona matches.
TITLES: dict[str, tuple[str, ...]] = {
    "controller": (
        "Controller", "Financial Controller", "Corporate Controller", "Assistant Controller",
        "Head of Accounting", "Chief Accounting Officer",
    ),
    "finance_leader": ("CFO", "Chief Financial Officer", "VP Finance", "Head of Finance"),
    "ap_manager": (
        "Accounts Payable Manager", "AP Manager", "Accounts Payable Specialist",
        "Payables Lead",
    ),
    "": (
        "Finance Analyst", "Operations Manager", "IT Director", "Office Manager",
        "Procurement Specialist", "Software Engineer", "Marketing Manager", "HR Generalist",
        "Sales Director", "Student",
    ),
}

# The department each title sits in, as a CRM's job-function property names it ("" = none given).
DEPARTMENTS: dict[str, str] = {
    "Controller": "Accounting", "Financial Controller": "Accounting",
    "Corporate Controller": "Accounting", "Assistant Controller": "Accounting",
    "Head of Accounting": "Accounting", "Chief Accounting Officer": "Accounting",
    "CFO": "Finance", "Chief Financial Officer": "Finance", "VP Finance": "Finance",
    "Head of Finance": "Finance", "Accounts Payable Manager": "Accounting",
    "AP Manager": "Accounting", "Accounts Payable Specialist": "Accounting",
    "Payables Lead": "Accounting", "Finance Analyst": "Finance",
    "Operations Manager": "Operations", "IT Director": "Information Technology",
    "Office Manager": "Administrative", "Procurement Specialist": "Purchasing",
    "Software Engineer": "Engineering", "Marketing Manager": "Marketing",
    "HR Generalist": "Human Resources", "Sales Director": "Sales", "Student": "",
}  # fmt: skip

# The finance systems a company runs, by size: the technologies its CRM record lists.
ERP_BY_SIZE: tuple[tuple[int, tuple[str, ...]], ...] = (
    (200, ("QuickBooks", "Xero")),
    (2000, ("NetSuite", "Sage Intacct")),
    (10**9, ("SAP S/4HANA", "Microsoft Dynamics 365")),
)
CRMS: tuple[str, ...] = ("Salesforce", "HubSpot", "Salesforce", "Microsoft Dynamics 365")

SALES_REPS: tuple[str, ...] = (
    "Alex Morgan", "Brianna Cole", "Chris Delgado", "Dana Whitfield", "Evan Brooks",
    "Fiona Hart", "Gabe Lindqvist", "Hana Sato", "Isaac Reed", "Jade Kim",
)

# Asset owners, as team.yaml ids of the demo company: its content marketer, its head of demand,
# its field and partner marketer.
CONTENT_OWNERS: tuple[str, ...] = ("priya", "maya", "aisha")

# Topics by kernel pillar, for asset titles.
PILLAR_TOPICS: dict[str, tuple[str, ...]] = {
    "close_faster": (
        "Close the month in five days", "The AP bottleneck in your close",
        "Touchless invoice coding", "Month-end without the scramble",
        "Accruals that don't wait on AP", "A faster close, step by step",
    ),
    "control_spend": (
        "Catch duplicate payments before they go out", "Budget checks at invoice time",
        "Purchase-order matching that works", "Spend visibility for controllers",
        "Approval routing by budget owner", "Stop paying invoices twice",
    ),
    "audit_ready": (
        "An audit trail from invoice to payment", "Audit prep in two days",
        "SOX controls for accounts payable", "What auditors ask AP teams",
        "Evidence without the spreadsheet hunt", "Segregation of duties in AP",
    ),
}

ASSET_TYPES: tuple[tuple[str, str, float], ...] = (  # type, title suffix, share of production
    ("blog_post", "", 0.36),
    ("guide", "a guide", 0.12),
    ("case_study", "customer story", 0.10),
    ("checklist", "checklist", 0.10),
    ("video", "video", 0.10),
    ("template", "template", 0.08),
    ("report", "benchmark report", 0.06),
    ("webinar", "webinar", 0.08),
)

NEWSLETTER_SUBJECTS: tuple[str, ...] = (
    "Close Notes: {topic}", "{topic} — this fortnight in AP", "Five minutes on {topic}",
    "What we learned: {topic}",
)

WIN_TAGS: tuple[str, ...] = (
    "automation", "approval_routing", "audit_trail", "ease_of_use", "integration", "price",
)
LOSS_TAGS: tuple[str, ...] = (
    "price", "no_decision", "timing", "competitor", "missing_feature", "erp_module",
)
WIN_NOTES: tuple[str, ...] = (
    "Chose us for touchless coding and a faster close.",
    "Approval routing by budget owner was the deciding factor.",
    "Audit trail won over the controller.",
    "Implementation plan was clearer than the alternatives.",
)
LOSS_NOTES: tuple[str, ...] = (
    "Went with a cheaper tool.",
    "Project postponed to next fiscal year.",
    "Decided to stay with the ERP's AP module.",
    "Needed a feature on our roadmap.",
    "No decision: the sponsor left.",
)
# NPS comments and tags by band: detractor, passive, promoter
NPS_NOTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Setup took longer than expected.", ("onboarding",)),
    ("Works, but approvals could be simpler.", ("approval_routing", "usability")),
    ("Our close is days shorter. Would recommend.", ("close_faster", "automation")),
)
SURVEY_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("How painful is your month-end close today?", ("close_faster",)),
    ("How confident are you in your AP controls?", ("control_spend",)),
    ("How long does audit preparation take your team?", ("audit_ready",)),
)
INTERVIEW_NOTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Customer interview: the close went from 9 to 6 days.", ("close_faster", "proof_point")),
    ("Customer interview: duplicate payments caught in month one.", ("control_spend",)),
    ("Customer interview: auditors signed off faster.", ("audit_ready", "proof_point")),
    ("Customer interview: wants deeper ERP sync.", ("integration", "feature_request")),
)

SIGNAL_KINDS: tuple[tuple[str, str, str], ...] = (  # kind, note template, source
    ("pricing_change", "{c} changed its pricing page", "website"),
    ("product_launch", "{c} announced a new AP feature", "press"),
    ("hiring", "{c} is hiring account executives", "linkedin"),
    ("campaign", "{c} runs a new paid campaign on close speed", "ad_library"),
    ("review", "{c} received a cluster of reviews", "g2"),
    ("funding", "{c} announced a funding round", "press"),
)
# fmt: on
