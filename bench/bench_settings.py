"""Settings of the benchmarks: Lianxin's own settings plus the bench URLs (``bench/bench_urls.py``).

Everything else — middleware, database, cache, huey — is exactly ``lianxin.settings``, read from the
same environment. Select with ``DJANGO_SETTINGS_MODULE=bench.bench_settings`` (the repository root on
the Python path).
"""

from lianxin.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
