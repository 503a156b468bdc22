"""The Dutch static dashboard site (docs/site.md): build_site(con, out_dir, region, settings)."""

from .build import build_site

__all__ = ["build_site"]
