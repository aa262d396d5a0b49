from django.db import migrations


def create_default(apps, schema_editor):
    from lianxin.campaigns.defaults import build_default_template

    build_default_template(apps.get_model("campaigns", "CriteriaTemplate"), apps.get_model("campaigns", "Dimension"),
                           apps.get_model("campaigns", "Criterion"))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
