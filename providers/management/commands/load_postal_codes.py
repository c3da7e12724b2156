import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from providers.models import PostalCode

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "postal_codes_demo.csv"


class Command(BaseCommand):
    help = "Load the postal-code to county reference table from a CSV (code,county,state,city)."

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", default=str(DEMO_FILE))

    @transaction.atomic
    def handle(self, *args, csv_path=None, **options):
        path = Path(options["csv"])
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        count = 0
        with path.open(newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                code = PostalCode(
                    code=row["code"].strip(),
                    county=row["county"].strip(),
                    state=row["state"].strip(),
                    city=row.get("city", "").strip(),
                )
                try:
                    code.full_clean(validate_unique=False)
                except ValidationError as error:
                    raise CommandError(f"{path}:{line}: {error.messages}") from None
                code.save()
                count += 1
        if options["verbosity"]:
            self.stdout.write(f"Loaded {count} postal codes from {path.name}.")
