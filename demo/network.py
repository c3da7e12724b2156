"""The Lakeside County demo network: one county agency, four providers, staff and a few clients."""

import datetime

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo credential, refused in production

ORGANIZATIONS = [
    {
        "slug": "lakeside-county",
        "name": "Lakeside County Human Services",
        "kind": "agency",
        "partner_category": "county-agency",
        "email": "hs-intake@lakeside.example.gov",
        "website": "https://lakeside.example.gov/human-services",
        "phone": "541-555-0100",
        "description": "County human services: eligibility, case management and care coordination for residents.",
    },
    {
        "slug": "harbor-health",
        "name": "Harbor Community Health",
        "kind": "provider",
        "partner_category": "healthcare",
        "email": "referrals@harborhealth.example.org",
        "website": "https://harborhealth.example.org",
        "phone": "541-555-0142",
        "description": "Federally qualified health center with primary care, dental and community health workers.",
    },
    {
        "slug": "northside-bh",
        "name": "Northside Behavioral Health",
        "kind": "provider",
        "partner_category": "behavioral-health",
        "email": "intake@northsidebh.example.org",
        "website": "https://northsidebh.example.org",
        "phone": "541-555-0177",
        "description": "Outpatient mental health and substance use treatment, crisis stabilization and peer support.",
    },
    {
        "slug": "safe-haven-housing",
        "name": "Safe Haven Housing",
        "kind": "provider",
        "partner_category": "housing",
        "email": "housing@safehaven.example.org",
        "website": "https://safehaven.example.org",
        "phone": "541-555-0190",
        "description": "Emergency shelter, rapid re-housing and eviction prevention for families and individuals.",
    },
    {
        "slug": "meals-together",
        "name": "Meals Together Food Bank",
        "kind": "provider",
        "partner_category": "food",
        "email": "help@mealstogether.example.org",
        "website": "https://mealstogether.example.org",
        "phone": "541-555-0123",
        "description": "Food pantry network, home-delivered meals and SNAP application help.",
    },
]

LOCATIONS = {
    "harbor-health": [("Harbor Health Downtown Clinic", "210 Harbor Way", "Lakeside", "97401", 44.0521, -123.0868)],
    "northside-bh": [
        ("Northside Outpatient Center", "1450 North Park Ave", "North Lakeside", "97404", 44.0901, -123.1012)
    ],
    "safe-haven-housing": [("Safe Haven Resource Center", "88 Riverside Dr", "Riverbend", "97426", 43.9820, -123.0551)],
    "meals-together": [
        ("Meals Together Central Pantry", "500 Market St", "Lakeside", "97402", 44.0490, -123.0950),
        ("Millbrook Community Pantry", "12 Mill Rd", "Millbrook", "97419", 44.1200, -123.2010),
    ],
}

# assured_days_ago: when the listing was last verified; over 365 days marks it stale.
SERVICES = [
    {
        "organization": "harbor-health",
        "name": "Primary care for uninsured adults",
        "category": "health-insurance-coverage-status",
        "languages": ["en", "es"],
        "postal_codes": [],
        "counties": ["Lakeside"],
        "minimum_age": 18,
        "maximum_age": None,
        "capacity_status": "capacity",
        "capacity_note": "New patient appointments within two weeks.",
        "assured_days_ago": 20,
        "interpretation_services": "Phone interpretation in 200+ languages",
        "eligibility_description": "Adults without insurance or with Medicaid; sliding-scale fees.",
        "application_process": "Referral or walk-in; bring ID if available.",
    },
    {
        "organization": "harbor-health",
        "name": "Community health worker home visits",
        "category": "personal-health-literacy",
        "languages": ["en", "es", "vi"],
        "postal_codes": ["97401", "97402", "97403", "97408", "97419"],
        "counties": [],
        "minimum_age": None,
        "maximum_age": None,
        "capacity_status": "waitlist",
        "capacity_note": "About three weeks' wait.",
        "assured_days_ago": 45,
        "interpretation_services": "",
        "eligibility_description": "Residents with chronic conditions needing help managing care at home.",
        "application_process": "Referral from a case manager or clinician.",
    },
    {
        "organization": "northside-bh",
        "name": "Outpatient counseling",
        "category": "stress",
        "languages": ["en"],
        "postal_codes": [],
        "counties": ["Lakeside", "Ridge"],
        "minimum_age": 12,
        "maximum_age": None,
        "capacity_status": "capacity",
        "capacity_note": "",
        "assured_days_ago": 60,
        "interpretation_services": "In-person Spanish interpreter on Tuesdays",
        "eligibility_description": "Youth 12+ and adults; Medicaid and most private insurance.",
        "application_process": "Referral, then an intake assessment call.",
    },
    {
        "organization": "northside-bh",
        "name": "Substance use treatment (outpatient)",
        "category": "stress",
        "languages": ["en", "es"],
        "postal_codes": ["97401", "97404", "97405"],
        "counties": [],
        "minimum_age": 18,
        "maximum_age": None,
        "capacity_status": "additional-assessment-required",
        "capacity_note": "A clinical assessment decides the level of care.",
        "assured_days_ago": 400,
        "interpretation_services": "",
        "eligibility_description": "Adults seeking treatment for substance use.",
        "application_process": "Referral with consent for substance-use information (42 CFR Part 2).",
    },
    {
        "organization": "safe-haven-housing",
        "name": "Emergency family shelter",
        "category": "homelessness",
        "languages": ["en", "es"],
        "postal_codes": [],
        "counties": ["Lakeside"],
        "minimum_age": None,
        "maximum_age": None,
        "capacity_status": "no-capacity",
        "capacity_note": "All family units full; call daily for openings.",
        "assured_days_ago": 3,
        "interpretation_services": "",
        "eligibility_description": "Families with children experiencing homelessness.",
        "application_process": "Referral; staff call back the same day.",
    },
    {
        "organization": "safe-haven-housing",
        "name": "Eviction prevention and rental assistance",
        "category": "housing-instability",
        "languages": ["en", "es", "ru"],
        "postal_codes": ["97401", "97402", "97403", "97404", "97426"],
        "counties": [],
        "minimum_age": 18,
        "maximum_age": None,
        "capacity_status": "capacity",
        "capacity_note": "Funds available this quarter.",
        "assured_days_ago": 10,
        "interpretation_services": "Phone interpretation",
        "eligibility_description": "Renters at or below 60% of area median income with a notice to vacate.",
        "application_process": "Referral with income information and the notice.",
    },
    {
        "organization": "meals-together",
        "name": "Home-delivered meals",
        "category": "food-insecurity",
        "languages": ["en"],
        "postal_codes": ["97401", "97402", "97419"],
        "counties": [],
        # No hard age range: people with disabilities qualify at any age (sending checks a listed range).
        "minimum_age": None,
        "maximum_age": None,
        "capacity_status": "waitlist",
        "capacity_note": "Waitlist of about ten days.",
        "assured_days_ago": 500,
        "interpretation_services": "",
        "eligibility_description": "Adults 60+ or people with disabilities who cannot shop or cook.",
        "application_process": "Referral, then a phone assessment.",
    },
    {
        "organization": "meals-together",
        "name": "Food pantry and SNAP enrollment help",
        "category": "food-insecurity",
        "languages": ["en", "es", "vi", "zh"],
        "postal_codes": [],
        "counties": ["Lakeside", "Ridge"],
        "minimum_age": None,
        "maximum_age": None,
        "capacity_status": "capacity",
        "capacity_note": "",
        "assured_days_ago": 30,
        "interpretation_services": "Volunteer interpreters for Spanish and Vietnamese",
        "eligibility_description": "Anyone in need; no documentation required for the pantry.",
        "application_process": "Walk in, or referral for SNAP application help.",
    },
]

USERS = [
    # username, first, last, organization, role, is_staff
    ("casemanager", "Maria", "Lopez", "lakeside-county", "case_manager", False),
    ("casemanager2", "David", "Chen", "lakeside-county", "case_manager", False),
    ("supervisor", "Angela", "Brooks", "lakeside-county", "county_supervisor", False),
    ("harbor", "Sam", "Okafor", "harbor-health", "provider_intake", False),
    ("harborlead", "Lena", "Fischer", "harbor-health", "provider_supervisor", False),
    ("northside", "Priya", "Raman", "northside-bh", "provider_intake", False),
    ("safehaven", "Tom", "Nguyen", "safe-haven-housing", "provider_intake", False),
    ("meals", "Grace", "Miller", "meals-together", "provider_intake", False),
    ("governance", "Helen", "Park", "lakeside-county", "governance_lead", True),
    ("datasteward", "Omar", "Haddad", "lakeside-county", "data_steward", False),
]

CLIENTS = [
    {
        "identifier": "LC-100234",
        "given_name": "Rosa",
        "family_name": "Martinez",
        "birth_date": datetime.date(1984, 3, 14),
        "phone": "541-555-0311",
        "email": "",
        "address_line": "17 Alder St, Apt 4",
        "city": "Lakeside",
        "postal_code": "97402",
        "county": "Lakeside",
        "preferred_contact_method": "phone",
        "preferred_language": "es",
        "interpreter_needed": True,
    },
    {
        "identifier": "LC-100871",
        "given_name": "James",
        "family_name": "Whitaker",
        "birth_date": datetime.date(1957, 11, 2),
        "phone": "541-555-0388",
        "email": "jwhitaker@example.net",
        "address_line": "402 Mill Rd",
        "city": "Millbrook",
        "postal_code": "97419",
        "county": "Lakeside",
        "preferred_contact_method": "phone",
        "preferred_language": "en",
        "interpreter_needed": False,
    },
    {
        "identifier": "LC-101552",
        "given_name": "Linh",
        "family_name": "Tran",
        "birth_date": datetime.date(1991, 7, 23),
        "phone": "541-555-0402",
        "email": "linh.tran@example.com",
        "address_line": "9 Harbor View Ct",
        "city": "Lakeside",
        "postal_code": "97401",
        "county": "Lakeside",
        "preferred_contact_method": "text",
        "preferred_language": "vi",
        "interpreter_needed": False,
    },
    {
        "identifier": "LC-102019",
        "given_name": "Marcus",
        "family_name": "Johnson",
        "birth_date": datetime.date(1978, 1, 30),
        "phone": "",
        "email": "",
        "address_line": "General delivery, Lakeside Post Office",
        "city": "Lakeside",
        "postal_code": "97403",
        "county": "Lakeside",
        "preferred_contact_method": "mail",
        "preferred_language": "en",
        "interpreter_needed": False,
    },
    {
        "identifier": "LC-102288",
        "given_name": "Dmitri",
        "family_name": "Volkov",
        "birth_date": datetime.date(1969, 9, 8),
        "phone": "541-555-0457",
        "email": "",
        "address_line": "1120 North Park Ave, Unit 12",
        "city": "North Lakeside",
        "postal_code": "97404",
        "county": "Lakeside",
        "preferred_contact_method": "phone",
        "preferred_language": "ru",
        "interpreter_needed": True,
    },
]

# Consents, recorded (and some withdrawn) through the consent services by the clients' case managers before
# any referral is sent: sending needs a consent letting the receiving provider see what the referral carries
# for coordination of care. Days are relative to the seed run (negative = in the past). A consent is recognised
# on a later run by its client and provisions, so seeding twice adds nothing.
_DEMO_PARTNERS = ["healthcare", "behavioral-health", "housing", "food"]
_NOT_PART2 = [
    "demographics",
    "contact",
    "referral-reason",
    "risk-flags",
    "behavioral-health",
    "housing",
    "income-benefits",
]
_FOR_HOUSING = ["demographics", "contact", "referral-reason", "risk-flags", "housing", "income-benefits"]

CONSENTS = [
    {
        # full: every kind of demo provider, coordination of care, everything but Part 2 data
        "story": "full",
        "client": "LC-100234",
        "by": "casemanager",
        "method": "written",
        "date": -200,
        "provisions": [
            {"type": "permit", "partners": _DEMO_PARTNERS, "purposes": ["COC"], "data": _NOT_PART2, "start": -200},
        ],
    },
    {
        "story": "full",
        "client": "LC-100871",
        "by": "casemanager",
        "method": "electronic",
        "date": -60,
        "provisions": [
            {"type": "permit", "partners": _DEMO_PARTNERS, "purposes": ["COC"], "data": _NOT_PART2, "start": -60},
        ],
    },
    {
        # expired: last year's consent for his meals, which ended in the spring (the one above replaced it)
        "story": "expired",
        "client": "LC-100871",
        "by": "casemanager",
        "method": "written",
        "date": -500,
        "provisions": [
            {
                "type": "permit",
                "partners": ["food", "healthcare"],
                "purposes": ["COC"],
                "data": ["demographics", "contact", "referral-reason"],
                "start": -500,
                "end": -135,
            },
        ],
    },
    {
        "story": "full",
        "client": "LC-101552",
        "by": "casemanager2",
        "method": "verbal",
        "date": -45,
        "provisions": [
            {"type": "permit", "partners": _DEMO_PARTNERS, "purposes": ["COC"], "data": _NOT_PART2, "start": -45},
            # She asked that nothing of hers be used for research.
            {"type": "deny", "partners": _DEMO_PARTNERS, "purposes": ["HRESCH"], "data": _NOT_PART2, "start": -45},
        ],
    },
    {
        # revoked: an earlier consent to her health clinic for treatment, withdrawn in writing
        "story": "revoked",
        "client": "LC-101552",
        "by": "casemanager2",
        "method": "electronic",
        "date": -90,
        "provisions": [
            {
                "type": "permit",
                "partners": ["healthcare"],
                "purposes": ["COC", "TREAT"],
                "data": ["demographics", "contact", "behavioral-health"],
                "start": -90,
            },
        ],
        "revoke": {
            "by": "casemanager2",
            "method": "written",
            "reason": "Asked that her behavioral health notes no longer go to clinics; replaced by a new consent.",
        },
    },
    {
        # substance-use restricted: Part 2 data to Northside only, named; the rest to health partners
        "story": "part2",
        "client": "LC-102019",
        "by": "casemanager",
        "method": "written",
        "date": -520,
        "provisions": [
            {
                "type": "permit",
                "partners": ["healthcare", "behavioral-health"],
                "purposes": ["COC"],
                "data": _NOT_PART2,
                "start": -520,
            },
            {
                "type": "permit",
                "organizations": ["northside-bh"],
                "purposes": ["COC", "TREAT"],
                "data": ["substance-use"],
                "start": -520,
            },
        ],
    },
    {
        # housing-only: housing partners, his housing and income details
        "story": "housing-only",
        "client": "LC-102288",
        "by": "casemanager2",
        "method": "verbal",
        "date": -20,
        "provisions": [
            {"type": "permit", "partners": ["housing"], "purposes": ["COC"], "data": _FOR_HOUSING, "start": -20},
        ],
    },
    {
        # ... and a separate one naming Northside for the counseling he was referred to last month
        "story": "named",
        "client": "LC-102288",
        "by": "casemanager2",
        "method": "written",
        "date": -30,
        "provisions": [
            {
                "type": "permit",
                "organizations": ["northside-bh"],
                "purposes": ["COC"],
                "data": ["demographics", "contact", "referral-reason", "risk-flags", "behavioral-health"],
                "start": -30,
            },
        ],
    },
]

# Referral stories, told through the real services as the demo users would, so the demo shows every
# status. Times are hours relative to when the seed runs: `sent` is when the referral was created and
# sent (negative = in the past), and each step runs `after` hours later. A step's `by` is "referrer"
# (the story's case manager), "provider" (the intake worker of the receiving provider) or a username.
# A draft has no `sent`; its `created` says when it was started.
# A story is recognised on a later run by (client, service, reason), so seeding twice adds nothing.
# Steps left owed on purpose make some referrals overdue against the SLA targets.
_FOOD = ("meals-together", "Food pantry and SNAP enrollment help")
_MEALS = ("meals-together", "Home-delivered meals")
_EVICTION = ("safe-haven-housing", "Eviction prevention and rental assistance")
_COUNSELING = ("northside-bh", "Outpatient counseling")
_PRIMARY_CARE = ("harbor-health", "Primary care for uninsured adults")
_CHW = ("harbor-health", "Community health worker home visits")

REFERRALS = [
    {
        # draft: still being prepared
        "client": "LC-101552",
        "by": "casemanager2",
        "service": _CHW,
        "sent": None,
        "created": -20,
        "template": {
            "category": "personal-health-literacy",
            "urgency": "routine",
            "reason": "Newly diagnosed with type 2 diabetes; asked for help at home understanding her medicines "
            "and meal planning.",
            "safe_contact_times": "Weekday evenings",
            "eligibility_basis": ["county-resident"],
        },
        "steps": [],
    },
    {
        # sent, crisis, acknowledgement overdue (1 hour target)
        "client": "LC-102019",
        "by": "casemanager",
        "service": _COUNSELING,
        "sent": -3,
        "template": {
            "category": "stress",
            "urgency": "crisis",
            "reason": "Said he feels hopeless at today's benefits appointment after losing his shelter bed. Safety "
            "plan made with the county crisis line; needs a counseling intake within days.",
            "risk_flags": ["self-harm-risk"],
            "contact_constraints": "No phone. Reach him through the Lakeside day center (541-555-0160).",
            "eligibility_basis": ["medicaid"],
        },
        "steps": [],
    },
    {
        # sent, urgent, three days unanswered: acknowledgement and first contact overdue
        "client": "LC-102288",
        "by": "casemanager2",
        "service": _EVICTION,
        "sent": -72,
        "template": {
            "category": "housing-instability",
            "urgency": "urgent",
            "reason": "Landlord served a 72-hour notice for two months' unpaid rent after his hours were cut.",
            "eligibility_basis": ["income", "county-resident"],
            "safe_contact_times": "Mornings before 11",
        },
        "steps": [],
    },
    {
        # acknowledged, routine, within its targets
        "client": "LC-100871",
        "by": "casemanager",
        "service": _MEALS,
        "sent": -30,
        "template": {
            "category": "food-insecurity",
            "urgency": "routine",
            "reason": "Lives alone since his wife died; recovering from hip surgery and cannot shop or cook for now.",
            "eligibility_basis": ["age"],
            "contact_constraints": "Hard of hearing: let the phone ring long, or call his daughter (541-555-0391).",
        },
        "steps": [{"by": "provider", "name": "acknowledge", "after": 6}],
    },
    {
        # accepted, urgent, no contact since: first contact overdue (24 hour target)
        "client": "LC-100234",
        "by": "casemanager",
        "service": _EVICTION,
        "sent": -80,
        "template": {
            "category": "housing-instability",
            "urgency": "urgent",
            "reason": "Received a 10-day notice to vacate for unpaid rent after her hours were cut; two children "
            "at home.",
            "eligibility_basis": ["income", "county-resident"],
            "safe_contact_times": "After 4 pm",
        },
        "steps": [{"by": "provider", "name": "accept", "after": 2}],
    },
    {
        # declined (not eligible), then rerouted to the pantry, where the work is under way
        "client": "LC-100234",
        "by": "casemanager",
        "service": _MEALS,
        "sent": -150,
        "template": {
            "category": "food-insecurity",
            "urgency": "routine",
            "reason": "Family of three out of food after a job loss; no car to get to a pantry.",
            "eligibility_basis": ["income"],
        },
        "steps": [
            {
                "by": "provider",
                "name": "decline",
                "after": 20,
                "inputs": {
                    "reason_code": "not-eligible",
                    "note": "Home-delivered meals are for adults 60+ or people with disabilities. The pantry can "
                    "help and has Spanish-speaking volunteers.",
                },
            }
        ],
        "reroute": {
            "service": _FOOD,
            "after": 22,
            "steps": [
                {"by": "referrer", "name": "submit", "after": 22.5},
                {"by": "provider", "name": "acknowledge", "after": 25},
                {"by": "provider", "name": "accept", "after": 26},
                {
                    "by": "provider",
                    "name": "record_contact_attempt",
                    "after": 30,
                    "inputs": {"contact_result": "left-message", "note": "Message left in Spanish."},
                },
                {
                    "by": "provider",
                    "name": "record_contact_attempt",
                    "after": 48,
                    "inputs": {"contact_result": "reached", "note": "Will come Thursday; SNAP papers to bring."},
                },
                # `appointment_at` is given in hours from the seed run, so the appointment is always ahead.
                {"by": "provider", "name": "schedule", "after": 49, "appointment_at": 40},
            ],
        },
    },
    {
        # in progress: service started
        "client": "LC-101552",
        "by": "casemanager2",
        "service": _PRIMARY_CARE,
        "sent": -240,
        "template": {
            "category": "health-insurance-coverage-status",
            "urgency": "routine",
            "reason": "Lost employer insurance; needs a primary care clinic and help applying for the Oregon "
            "Health Plan.",
            "eligibility_basis": ["income"],
        },
        "steps": [
            {"by": "provider", "name": "accept", "after": 20},
            {"by": "provider", "name": "record_contact_attempt", "after": 26, "inputs": {"contact_result": "reached"}},
            {"by": "provider", "name": "start_service", "after": 100, "inputs": {"note": "First visit done."}},
        ],
    },
    {
        # on hold: waitlisted
        "client": "LC-100871",
        "by": "casemanager",
        "service": _CHW,
        "sent": -200,
        "template": {
            "category": "personal-health-literacy",
            "urgency": "urgent",
            "reason": "Discharged after a fall; struggling to manage six medications on his own.",
            "risk_flags": ["medical-fragility"],
            "eligibility_basis": ["age", "medicaid"],
        },
        "steps": [
            {"by": "provider", "name": "accept", "after": 3},
            {"by": "provider", "name": "record_contact_attempt", "after": 5, "inputs": {"contact_result": "reached"}},
            {
                "by": "provider",
                "name": "hold",
                "after": 6,
                "inputs": {"reason_code": "waitlisted", "note": "About three weeks until a health worker is free."},
            },
        ],
    },
    {
        # closed, successfully
        "client": "LC-101552",
        "by": "casemanager2",
        "service": _FOOD,
        "sent": -720,
        "template": {
            "category": "food-insecurity",
            "urgency": "routine",
            "reason": "Between jobs; needs groceries and help applying for SNAP.",
            "eligibility_basis": ["income"],
        },
        "steps": [
            {"by": "provider", "name": "acknowledge", "after": 4},
            {"by": "provider", "name": "accept", "after": 5},
            {"by": "provider", "name": "record_contact_attempt", "after": 8, "inputs": {"contact_result": "reached"}},
            {"by": "provider", "name": "start_service", "after": 50},
            {
                "by": "provider",
                "name": "close",
                "after": 300,
                "inputs": {"outcome_code": "service-completed", "note": "SNAP approved; monthly pantry visits set."},
            },
        ],
    },
    {
        # closed, unable to contact after three attempts
        "client": "LC-102019",
        "by": "casemanager",
        "service": _PRIMARY_CARE,
        "sent": -500,
        "template": {
            "category": "health-insurance-coverage-status",
            "urgency": "routine",
            "reason": "No doctor and no insurance; persistent cough for a month.",
            "contact_constraints": "No phone; leave messages at the Lakeside day center.",
            "eligibility_basis": ["income", "county-resident"],
        },
        "steps": [
            {"by": "provider", "name": "accept", "after": 10},
            {
                "by": "provider",
                "name": "record_contact_attempt",
                "after": 12,
                "inputs": {"contact_result": "no-answer"},
            },
            {
                "by": "provider",
                "name": "record_contact_attempt",
                "after": 60,
                "inputs": {"contact_result": "left-message"},
            },
            {
                "by": "provider",
                "name": "record_contact_attempt",
                "after": 120,
                "inputs": {"contact_result": "no-answer"},
            },
            {
                "by": "provider",
                "name": "close",
                "after": 200,
                "inputs": {"outcome_code": "unable-to-contact", "note": "Three attempts over a week."},
            },
        ],
    },
    {
        # cancelled by the referrer
        "client": "LC-102288",
        "by": "casemanager2",
        "service": _COUNSELING,
        "sent": -400,
        "template": {
            "category": "stress",
            "urgency": "routine",
            "reason": "Trouble sleeping and constant worry since the layoff; asked to talk to someone.",
            "eligibility_basis": ["medicaid"],
        },
        "steps": [
            {"by": "provider", "name": "acknowledge", "after": 30},
            {
                "by": "referrer",
                "name": "cancel",
                "after": 70,
                "inputs": {"reason_code": "need-resolved", "note": "Started counseling through his union's program."},
            },
        ],
    },
    {
        # entered in error by the county supervisor (made for the wrong client)
        "client": "LC-101552",
        "by": "casemanager2",
        "service": _EVICTION,
        "sent": -74,
        "template": {
            "category": "housing-instability",
            "urgency": "urgent",
            "reason": "Eviction notice; behind on rent.",
            "eligibility_basis": ["income"],
        },
        "steps": [
            {
                "by": "supervisor",
                "name": "mark_entered_in_error",
                "after": 1,
                "inputs": {"note": "Made under the wrong client record; re-entered for Dmitri Volkov."},
            }
        ],
    },
]

# The exchange catalog: what each receiving role gets for each use case, before consent narrows it.
# An intake worker gets the elements of every entry that covers the referral's need, plus the default
# entry's (any need). Roles with no entry (supervisors, partner systems) get the portal's default set.
_INTAKE_BASE = [
    "given_name",
    "family_name",
    "phone",
    "preferred_contact_method",
    "preferred_language",
    "interpreter_needed",
    "category",
    "urgency",
    "reason",
    "contact_method",
    "contact_constraints",
    "safe_contact_times",
    "sensitive_categories",
    "language",
]
_CONSENT_RULE = (
    "An active consent permitting the provider (by name or partner category) to receive demographics, contact "
    "details and the referral reason for coordination of care (COC), plus each sensitive category the referral "
    "carries; substance-use (42 CFR Part 2) data only with a consent naming the provider itself."
)
EXCHANGE_CATALOG = [
    {
        "slug": "care-coordination-referral",
        "name": "Care coordination referral",
        "referral_categories": [],
        "receiving_role": "provider_intake",
        "data_elements": _INTAKE_BASE,
        "purpose": "COC",
        "sending_party": "County case manager (Lakeside County Human Services)",
        "receiving_party": "Community provider intake worker",
        "consent_rule": _CONSENT_RULE,
        "testing_notes": "Golden tests: tests/api/test_referral_fields_golden.py. Re-test when a field is added.",
    },
    {
        "slug": "housing-referral",
        "name": "Housing referral",
        "referral_categories": ["housing-instability", "homelessness", "inadequate-housing"],
        "receiving_role": "provider_intake",
        "data_elements": [*_INTAKE_BASE, "risk_flags", "eligibility_basis", "eligibility_note"],
        "purpose": "COC",
        "sending_party": "County case manager (Lakeside County Human Services)",
        "receiving_party": "Housing provider intake worker",
        "consent_rule": _CONSENT_RULE + " Housing needs also need the housing category.",
        "testing_notes": "Check that a housing-only consent hides risk flags and that no street address is sent.",
    },
    {
        "slug": "food-referral",
        "name": "Food referral",
        "referral_categories": ["food-insecurity"],
        "receiving_role": "provider_intake",
        "data_elements": [*_INTAKE_BASE, "postal_code", "eligibility_basis", "eligibility_note"],
        "purpose": "COC",
        "sending_party": "County case manager (Lakeside County Human Services)",
        "receiving_party": "Food bank intake worker",
        "consent_rule": _CONSENT_RULE,
        "testing_notes": "The postal code picks the pantry or delivery route; risk flags are not needed.",
    },
    {
        "slug": "behavioral-health-referral",
        "name": "Behavioral health referral",
        "referral_categories": ["stress", "social-connection"],
        "receiving_role": "provider_intake",
        "data_elements": [*_INTAKE_BASE, "birth_date", "risk_flags", "eligibility_basis", "eligibility_note"],
        "purpose": "COC",
        "sending_party": "County case manager (Lakeside County Human Services)",
        "receiving_party": "Behavioral health intake worker",
        "consent_rule": _CONSENT_RULE + " Behavioral health content needs the behavioral-health category.",
        "testing_notes": "Check self-harm and violence risk flags reach intake, and Part 2 only with a naming consent.",
    },
]
