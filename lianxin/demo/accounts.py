"""The demo log-ins, one per role (printed by ``lianxin serve`` and created by ``lianxin demo``)."""

DEMO_PASSWORD = "lianxin2026"

# (role, username, scope description in Chinese for the start-up banner)
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("city_admin", "city-admin", "太原市人大常委会"),
    ("district_admin", "xiaodian-admin", "小店区人大常委会"),
    ("site_manager", "site-manager", "坞城街道人大代表联络站"),
    ("deputy", "deputy", "坞城街道联络站的一位代表"),
    ("unit_staff", "unit-staff", "小店区住房和城乡建设局"),
    ("auditor", "auditor", "示范型站点评审员"),
    ("superuser", "admin", "系统管理员 (Django admin)"),
]

# What each demo log-in is scoped to, by the demo's natural keys (division code, site code, unit
# code). "deputy_at" links the account to the group leader of that site.
DEMO_SCOPES: dict[str, dict[str, str]] = {
    "city-admin": {"region": "140100"},
    "xiaodian-admin": {"region": "140105"},
    "site-manager": {"station": "ST140105001"},
    "deputy": {"deputy_at": "ST140105001"},
    "unit-staff": {"unit": "U140105-01"},
    "auditor": {},
    "admin": {},
}

# Besides the accounts above, every station gets a manager of its own: "zhan-" + township code,
# e.g. zhan-140106001 for 柳巷街道人大代表联络站 (same password).
STATION_MANAGER_PREFIX = "zhan-"
