"""The standard tables of the clinical study report (TLGs), after the tern / chevron catalogue.

One module per table family (demographics, disposition, response, time_to_event, adverse_events,
exposure), each a set of pure functions: ADaM and `reporting` DataFrames in, one tidy table out
(`layout.TABLE_COLUMNS`: one row per cell, with its display text and its number). `catalogue`
holds every table's metadata (number, title, population, footnotes with the method) in one place;
`rtf` and the HTML report render the same tables from it.
"""
