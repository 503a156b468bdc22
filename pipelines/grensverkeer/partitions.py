"""One partition per school year ('2024-2025'), added when files of a new year arrive."""

from dagster import DynamicPartitionsDefinition

school_years = DynamicPartitionsDefinition(name="school_year")
