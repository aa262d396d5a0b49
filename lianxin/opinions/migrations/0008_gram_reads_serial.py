"""PostgreSQL: no parallel scans of the bigram table.

Its reads are short index walks that stop at a ``LIMIT`` (a keyword's newest matches) or single
probes. Run in parallel, a walk newest first is split among workers whose ordered streams the leader
merges: each worker reads ahead of the limit, and on the 2-core bench machine a district's 小区 took
56–92 ms instead of 32 (516,100 opinions). Other databases: nothing to do.
"""

from django.db import migrations


def serial(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE opinions_opiniongram SET (parallel_workers = 0)")


def parallel(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE opinions_opiniongram RESET (parallel_workers)")


class Migration(migrations.Migration):

    dependencies = [
        ('opinions', '0007_gram_time'),
    ]

    operations = [
        migrations.RunPython(serial, parallel),
    ]
