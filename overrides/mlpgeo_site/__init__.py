"""Site-side code of mlpgeo: everything the MkDocs build needs that the package does not.

``overrides/hooks.py`` wires these modules into the build:

- :mod:`mlpgeo_site.scorecard`: reading the metrics files, run times, the scorecard page and claim tables.
- :mod:`mlpgeo_site.notebook`: report pages made readable (figures, folded code and output, wide content).
- :mod:`mlpgeo_site.references`: the works the reports cite, with public links.
- :mod:`mlpgeo_site.sources`: the package's source files as pages, and per-function source links.
- :mod:`mlpgeo_site.search`: search entries from prose (no code, no raw TeX).
"""
