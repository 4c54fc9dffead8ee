"""The regional report: the waiting-time side (``providers.reports.selectors``) beside the
catch-up plans of the region's providers (``plans.selectors.reports``), as a page and an API."""
