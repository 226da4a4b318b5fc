"""The notebook API: ``typology.load_results`` and what it returns (see ``results``)."""
