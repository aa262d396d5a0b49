"""Settings of the benchmarks: Lianxin's own settings plus the bench URLs (``bench/bench_urls.py``).

Everything else — middleware, database, cache, huey — is exactly ``lianxin.settings``, read from the
same environment. Select with ``DJANGO_SETTINGS_MODULE=bench.bench_settings`` (the repository root on
the Python path).
"""

from lianxin.settings import *  # noqa: F403
from lianxin.settings import env_rate

ROOT_URLCONF = "bench.bench_urls"

# The public API's submit limits (opinions_public.RATES) have no environment variable in
# lianxin.settings: read them here, so a benchmark can lift the per-address one from 127.0.0.1.
OPINION_API_SUBMIT_RATE_IP = env_rate("OPINION_API_SUBMIT_RATE_IP", "10/600")
OPINION_API_SUBMIT_RATE_PHONE = env_rate("OPINION_API_SUBMIT_RATE_PHONE", "5/3600")
