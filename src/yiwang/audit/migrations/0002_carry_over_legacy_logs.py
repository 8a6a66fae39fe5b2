# Placeholder: the carry-over of the three legacy logs (identity, licenses, registers) is written here.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = []
