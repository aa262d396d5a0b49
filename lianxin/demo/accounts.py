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
