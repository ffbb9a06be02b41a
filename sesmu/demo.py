"""The demo world's logins: created by seed_demo, printed by `make run`."""

DEMO_PASSWORD = "sesmu-demo-2026"  # noqa: S105 - published demo logins, never production

DEMO_STAFF = [
    # username, role, given name, family name, language, back-office (is_staff)
    ("operator", "cc_operator", "Olga", "Ortega", "es", False),
    ("operator.en", "cc_operator", "Oliver", "Owen", "en", False),
    ("supervisor", "cc_supervisor", "Sara", "Sanz", "es", False),
    ("billing", "billing_agent", "Bruno", "Blanco", "es", False),
    ("dispatcher", "dispatcher", "Diana", "Duarte", "es", False),
    ("technician", "field_technician", "Tomás", "Torres", "es", False),
    ("clerk", "inventory_clerk", "Inés", "Iglesias", "es", False),
    ("marketing", "marketing_agent", "Marta", "Molina", "es", False),
    ("executive", "executive", "Elena", "Esteban", "en", False),
    ("admin", "backoffice_admin", "Adrián", "Alonso", "en", True),
]
